"""Which files a protocol may read: only files inside its stimuli folder, links followed.

A protocol is shared between labs as a project folder (``protocols/NAME.yaml`` beside ``stimuli/NAME/``), so
opening one must not read anything else on the machine: ``source: ../../../etc/passwd`` would otherwise be
read, frozen into the study at init and shown in the preview. The rule:

- the stimuli folder is ``stimuli:``, relative to the protocol file (without it: the protocol's own folder);
  it must be that folder, a folder inside it, or a folder beside it (``../stimuli/NAME``) — not absolute,
  not the folder above, not hidden (``../.ssh``);
- every file the protocol names (text and script sources, each cell's media file, its instrument files) must
  lie inside the stimuli folder once every ``..`` and link is resolved.

Every read of the protocol's files from disk goes through ``confine``; a study re-opened from its store
reads only the copies frozen at init and never touches the disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath

ReadFile = Callable[[str], bytes]


class OutsideStimuli(OSError):
    """A file a protocol names lies outside its stimuli folder; the message says which, and what to do."""


def stimulus_key(stimuli: str | None, name: str) -> str:
    """Where ``name`` in the stimuli folder is, relative to the protocol file: how it is read and frozen."""
    return f"{stimuli}/{name}" if stimuli else name


def stimuli_root(protocol_dir: Path, stimuli: str | None) -> Path:
    """The stimuli folder, links resolved; ``ValueError`` saying what is wrong and what is right when
    ``stimuli`` points somewhere a protocol may not read."""
    here = protocol_dir.resolve()
    if not stimuli:
        return here
    example = "e.g. `stimuli: ../stimuli/NAME` or `stimuli: stimuli`"
    if PurePosixPath(stimuli).is_absolute() or stimuli.startswith("~"):
        raise ValueError(
            f"'{stimuli}' is an absolute path; give the stimuli folder relative to the protocol file ({example}), "
            "so the protocol and its stimuli are shared as one project folder"
        )
    try:
        root, project = _resolved(protocol_dir / stimuli, stimuli), here.parent
    except OutsideStimuli as exc:
        raise ValueError(str(exc)) from None
    if not root.is_relative_to(project) or root == project:
        raise ValueError(
            f"'{stimuli}' leads to {root}, outside the protocol's project; the stimuli folder must be the "
            f"protocol's folder, a folder inside it or a folder beside it ({example})"
        )
    beyond = root.relative_to(here if root.is_relative_to(here) else project)  # the protocol's own folder may be hidden
    if any(part.startswith(".") for part in beyond.parts):
        raise ValueError(
            f"'{stimuli}' leads to a hidden folder ({root}); keep the stimuli in a visible folder ({example})"
        )
    if root.exists() and not root.is_dir():
        raise ValueError(f"'{stimuli}' is a file; `stimuli:` names the folder that holds the stimulus files")
    return root


def confine(read_file: ReadFile, protocol_dir: Path, stimuli: str | None, root: Path) -> ReadFile:
    """``read_file`` that refuses (``OutsideStimuli``) any path that is not inside ``root``, the stimuli folder.
    The instrument bank (``placebolab-instruments/…``) is served from the package and passes through."""
    from placebolab.instruments import BANK_FOLDER

    folder = f"the stimuli folder '{stimuli}'" if stimuli else "the protocol's folder (it has no `stimuli:`)"
    prefix = f"{stimuli}/" if stimuli else ""

    def read(relative: str) -> bytes:
        if relative.startswith(BANK_FOLDER + "/"):
            return read_file(relative)
        name = relative.removeprefix(prefix) if relative != stimuli else "."
        fix = "copy the file there and give its path inside it (e.g. 'welcome.md')"
        if PurePosixPath(name).is_absolute():
            raise OutsideStimuli(f"'{name}' is an absolute path; a protocol reads only files inside {folder}: {fix}")
        target = _resolved(protocol_dir / relative, name)
        if not target.is_relative_to(root):
            climbs = os.path.normpath(name).split(os.sep)[0] == ".."
            how = "" if climbs else f" (it is a link to {target})"
            raise OutsideStimuli(f"'{name}' is outside {folder}{how}; a protocol reads only files inside it: {fix}")
        return read_file(relative)

    return read


def _resolved(path: Path, name: str) -> Path:
    """``path`` with every ``..`` and link resolved; links that lead in a circle are an ``OutsideStimuli``."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python < 3.13 raises RuntimeError for a loop of links
        raise OutsideStimuli(f"'{name}' is a link that leads in a circle; replace it with the file itself") from None
