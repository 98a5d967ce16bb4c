"""A problem in a document (a protocol, an instrument, an effects model), located by file, line, column and
the path inside the document."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DocPath = tuple[str | int, ...]  # where a value stands inside a document: ('timeline', 3, 'scale')
#: How a check reports a problem it found: where in the document, and what is wrong.
Report = Callable[[DocPath, str], None]


def format_path(path: DocPath) -> str:
    """``('timeline', 3, 'scale')`` → ``timeline[3].scale``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None  # 1-based
    column: int | None
    path: DocPath
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {format_path(self.path)}: {self.message}" if self.path else f"{where}: {self.message}"


class Positions:
    """Line and column of every node of a YAML document, by path; a missing path falls back to its parent."""

    def __init__(self) -> None:
        self._at: dict[DocPath, tuple[int, int]] = {}
        self._keys: dict[DocPath, tuple[int, int]] = {}
        self._flow: set[DocPath] = set()

    def add(self, path: DocPath, line: int, column: int) -> None:
        self._at[path] = (line + 1, column + 1)

    def add_key(self, path: DocPath, line: int, column: int) -> None:
        """Where the key of a mapping entry stands (its value may start further right or on a later line)."""
        self._keys[path] = (line + 1, column + 1)

    def add_flow(self, path: DocPath) -> None:
        """The mapping at ``path`` is written inside ``{ }`` (where a comma ends a value)."""
        self._flow.add(tuple(path))

    def in_flow(self, path: DocPath) -> bool:
        """Whether the mapping at ``path`` is written inside ``{ }``."""
        return tuple(path) in self._flow

    def key_of(self, path: DocPath) -> tuple[int | None, int | None]:
        """Line and column of the key at ``path`` (``promt:``), else of its value, else of its parent."""
        return self._keys.get(tuple(path)) or self.of(path)

    def of(self, path: DocPath) -> tuple[int | None, int | None]:
        path = tuple(path)
        while path not in self._at and path:
            path = path[:-1]
        return self._at.get(path, (None, None))
