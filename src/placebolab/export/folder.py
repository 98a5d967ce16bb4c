"""Replace an export folder whole: a reader sees the previous export or the new one, never a mix.

The new export is written into a hidden folder beside the target (``.export.new-TOKEN``, same
filesystem), flushed to disk, then swapped in with two renames: the old folder aside
(``.export.old-TOKEN``), the new one in; the old one is then removed. Where a crash can stop it:

- while writing: the target is untouched; the hidden ``.new-`` folder is removed by the next export;
- between the two renames: the target is briefly absent (never mixed) and the new folder is complete;
  the next export finds ``.old-TOKEN`` beside ``.new-TOKEN`` and renames the new one in first;
- after the second rename: the new export is in place; the hidden ``.old-`` folder is removed next time.

Exports of one target are serialised by a lock file (``.export.lock``) where the platform has ``fcntl``.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from placebolab.errors import StoreError
from placebolab.files import fsync_folder, fsync_tree

#: Every file an export folder may hold; a folder holding anything else is not replaced.
EXPORT_FILES = frozenset(
    {"long.csv", "wide.csv", "steps.csv", "codebook.json", "codebook.csv", "consort.json"}
    | {"wide.parquet", "long.parquet", "wide.sav"}
)


def replace_folder(target: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(folder)`` on a new hidden folder beside ``target``, then swap it in for ``target``.

    ``target`` may be absent, empty or a previous export (only :data:`EXPORT_FILES`); anything else is
    refused before a file is written, so choosing the wrong ``--out`` never deletes a user's files.
    A failure to write (a full disk) is a StoreError saying the previous export is unchanged.
    """
    where = Path(target).absolute()
    if where.is_symlink():
        where = where.resolve()  # replace the folder the link points to, keep the link
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        with _locked(where):
            _recover(where)
            _check_replaceable(where)
            _swap_in(where, write)
    except OSError as err:
        raise StoreError(f"could not write the export to {where} ({err}); the previous export is unchanged") from err
    return Path(target)


def _swap_in(target: Path, write: Callable[[Path], None]) -> None:
    token = uuid.uuid4().hex[:12]
    new, aside = _hidden(target, "new", token), _hidden(target, "old", token)
    new.mkdir()
    try:
        write(new)
        fsync_tree(new)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    if target.exists():
        target.rename(aside)
    try:
        new.rename(target)
    except OSError:
        if aside.exists():
            aside.rename(target)  # put the previous export back
        raise
    fsync_folder(target.parent)
    shutil.rmtree(aside, ignore_errors=True)


def _hidden(target: Path, kind: str, token: str) -> Path:
    return target.with_name(f".{target.name}.{kind}-{token}")


def _recover(target: Path) -> None:
    """Finish or undo a swap a crash interrupted, then remove the hidden leftovers of earlier exports."""
    news = sorted(target.parent.glob(f".{target.name}.new-*"))
    olds = sorted(target.parent.glob(f".{target.name}.old-*"))
    if not target.exists():
        for aside in olds:  # the old folder was moved aside: its new folder was complete
            token = aside.name.rsplit("-", 1)[1]
            new = _hidden(target, "new", token)
            (new if new.is_dir() else aside).rename(target)
            break
    for leftover in (*news, *olds):
        if leftover.exists():
            shutil.rmtree(leftover, ignore_errors=True)


def _check_replaceable(target: Path) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise StoreError(f"{target} is a file, not a folder; choose a folder for the export (--out)")
    foreign = sorted(p.name for p in target.iterdir() if p.name not in EXPORT_FILES or not p.is_file())
    if foreign:
        listed = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        raise StoreError(
            f"{target} holds files that are not part of an export ({listed}); an export replaces its whole "
            "folder, so move them elsewhere or choose an empty or new folder (--out)"
        )


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: exports of one folder are not serialised
        yield
        return
    with open(target.with_name(f".{target.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
