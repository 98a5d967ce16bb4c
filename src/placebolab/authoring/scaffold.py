"""``placebolab new``: a new protocol and its stimuli folder, copied from an example to edit."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from placebolab.errors import ProtocolError, StoreError

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
PACKAGE = Path(__file__).resolve().parents[1]  # src/placebolab in a checkout, site-packages/placebolab installed


def new_protocol(name: str, example: str | Path, root: Path) -> list[Path]:
    """Copy the example protocol (a name in ``root/protocols``, a path, or the name of an example shipped with
    placebolab) to ``root/protocols/NAME.yaml``,
    its stimuli folder to ``root/stimuli/NAME/`` and its effects file, if any, to
    ``root/protocols/effects/NAME.yaml``; the protocol's name and stimuli path are changed to NAME.
    Nothing is overwritten. Returns the paths made."""
    if not NAME.match(name):
        raise ProtocolError(f"'{name}' is not a protocol name; start with a letter, then letters, digits, _ or -")
    source = _example_path(example, root)
    text = source.read_text(encoding="utf-8")
    stimuli = _stimuli_folder(text, source)
    target = root / "protocols" / f"{name}.yaml"
    target_stimuli = root / "stimuli" / name
    effects = source.parent / "effects" / source.name
    target_effects = root / "protocols" / "effects" / f"{name}.yaml"
    for path in (target, target_stimuli, *([target_effects] if effects.is_file() else [])):
        if path.exists():
            raise StoreError(f"{path} already exists; choose another name or remove it first")
    made = []
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_renamed(text, source.stem, name, target, target_stimuli if stimuli else None), encoding="utf-8")
    made.append(target)
    if stimuli is not None:
        shutil.copytree(stimuli, target_stimuli, symlinks=True)  # a link stays a link, and validate checks it
        made.append(target_stimuli)
    if effects.is_file():
        target_effects.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(effects, target_effects)
        made.append(target_effects)
    return made


def example_folder(package: Path | None = None) -> Path | None:
    """The folder holding the example protocols shipped with placebolab (its ``protocols/`` and ``stimuli/``):
    inside an installed package, ``examples/`` (copied there at build, see setup.py); run from a source
    checkout, the repository's top level. None if neither is there."""
    package = package or PACKAGE
    for folder in (package / "examples", package.parents[1]):
        if (folder / "protocols").is_dir():
            return folder
    return None


def examples(root: Path) -> list[str]:
    """The examples by name: the project's own protocols, then those shipped with placebolab."""
    shipped = example_folder()
    folders = [root / "protocols", *([shipped / "protocols"] if shipped else [])]
    return sorted({p.stem for folder in folders for p in folder.glob("*.yaml")})


def _example_path(example: str | Path, root: Path) -> Path:
    shipped = example_folder()
    for folder in (root, *([shipped] if shipped else [])):
        by_name = folder / "protocols" / f"{example}.yaml"
        if by_name.is_file():
            return by_name
    if Path(example).is_file():
        return Path(example)
    known = ", ".join(examples(root)) or "none found"
    raise ProtocolError(
        f"no example protocol '{example}' in {root / 'protocols'} or among placebolab's examples ({known}); "
        "or give a path"
    )


def _stimuli_folder(text: str, source: Path) -> Path | None:
    """The example's stimuli folder, by the rule every protocol follows (protocol/files.py): an example from
    elsewhere cannot have ``stimuli: ~/.ssh`` copied into the project."""
    from placebolab.protocol.files import stimuli_root

    match = re.search(r"^stimuli:\s*(\S+)\s*$", text, re.MULTILINE)
    if not match:
        return None
    try:
        folder = stimuli_root(source.parent, match[1])
    except ValueError as exc:
        raise ProtocolError(f"{source}: stimuli: {exc}") from None
    return folder if folder.is_dir() else None


def _renamed(text: str, old_name: str, name: str, target: Path, stimuli: Path | None) -> str:
    text = re.sub(r"^protocol:\s*\S+\s*$", f"protocol: {name}", text, count=1, flags=re.MULTILINE)
    if stimuli is not None:
        relative = Path(_relative(stimuli, target.parent))
        text = re.sub(r"^stimuli:\s*\S+\s*$", f"stimuli: {relative.as_posix()}", text, count=1, flags=re.MULTILINE)
    return text.replace(f"protocols/{old_name}.yaml", f"protocols/{name}.yaml").replace(
        f"effects/{old_name}.yaml", f"effects/{name}.yaml"
    )


def _relative(path: Path, start: Path) -> str:
    import os

    return os.path.relpath(path, start)
