"""Writing files so that a reader never sees half of one and a crash never loses the last good copy.

A file is written beside its target under a hidden temporary name, flushed to disk, then renamed
over the target (``os.replace`` is atomic on one filesystem). A crash leaves the old file whole and,
at worst, a hidden ``.NAME.*.tmp`` file that nothing reads.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_file(path: str | Path, mode: str = "w", **open_args) -> Iterator:
    """Open a temporary file beside ``path``; when the block succeeds it replaces ``path`` whole.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "report.html"
    >>> with atomic_file(target, encoding="utf-8") as file:
    ...     _ = file.write("<p>done</p>")
    >>> target.read_text(encoding="utf-8")
    '<p>done</p>'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(temp, mode, **open_args) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path."""
    with atomic_file(path, encoding="utf-8") as file:
        file.write(text)
    return Path(path)


def fsync_folder(folder: Path) -> None:
    """Make a folder's entries (renames, new files) durable; a no-op where folders cannot be opened (Windows)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some filesystems refuse fsync on a folder; the rename itself is still atomic
    finally:
        os.close(handle)


def fsync_tree(folder: Path) -> None:
    """Flush every file of ``folder`` (one level) and the folder itself to disk."""
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as file:
                os.fsync(file.fileno())
    fsync_folder(folder)
