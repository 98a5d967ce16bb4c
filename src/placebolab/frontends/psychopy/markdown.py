"""Markdown pages for the lab window, as blocks (headings, paragraphs, list items) whose bold and italic
words the page draws in Noto Sans's bold and italic faces (``screens.page_stims``); the words unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


@dataclass(frozen=True)
class Block:
    """One block of a page: a heading (``level`` 1–6), a paragraph, or a list item (``marker``: '•' or
    '3.'). ``text`` keeps bold and italics in the markup TextBox2 draws (``**bold**``, ``*italic*``)."""

    kind: str  # heading | paragraph | item
    text: str
    level: int = 0
    marker: str = ""


_UNDERSCORE_STRONG = re.compile(r"(?<![\w_])__(?!\s)(.+?)(?<!\s)__(?![\w_])")
_UNDERSCORE_EM = re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])")


def _inline(text: str) -> str:
    """Links become their text; __strong__ and _em_ become TextBox2's **bold** and *italic*."""
    text = _LINK.sub(r"\1", text)
    text = _UNDERSCORE_STRONG.sub(r"**\1**", text)
    return _UNDERSCORE_EM.sub(r"*\1*", text)


def blocks(markdown: str) -> list[Block]:
    """A markdown page as blocks for the lab window: headings, paragraphs (soft line breaks joined) and
    list items (a numbered one keeps its number); bold and italics kept as TextBox2 markup."""
    found: list[Block] = []
    current: list[str] = []
    marker = ""

    def close() -> None:
        nonlocal current, marker
        if current:
            text = _inline(" ".join(current))
            found.append(Block("item", text, marker=marker) if marker else Block("paragraph", text))
        current, marker = [], ""

    for raw in markdown.splitlines():
        line = raw.rstrip()
        if not line.strip():
            close()
            continue
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        numbered = _NUMBERED.match(line)
        if heading:
            close()
            found.append(Block("heading", _inline(heading[1]), level=len(line.strip()) - len(line.strip().lstrip("#"))))
        elif bullet or numbered:
            close()
            match = bullet or numbered
            marker = "•" if bullet else line[: match.end()].strip()  # type: ignore[union-attr]
            current = [line[match.end() :].strip()]  # type: ignore[union-attr]
        else:
            current.append(line.strip())
    close()
    return found
