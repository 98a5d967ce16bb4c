"""Markdown pages as plain text for a PsychoPy TextStim (which cannot mix bold and plain in one string).

Headings, emphasis markers and list bullets are turned into plain typography; the words are unchanged.
"""

from __future__ import annotations

import re

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def plain_text(markdown: str) -> str:
    """A markdown page as text for the screen: paragraphs kept, soft line breaks joined."""
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in markdown.splitlines():
        line = raw.rstrip()
        if not line.strip():
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        numbered = _NUMBERED.match(line)
        if heading or bullet or numbered:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            if heading:
                paragraphs.append(heading[1])
            else:  # a list item starts its own line (a numbered one keeps its number); its next lines join it
                current = [line.strip() if numbered or not bullet else "• " + line[bullet.end() :]]
            continue
        current.append(line.strip())
    if current:
        paragraphs.append(" ".join(current))
    text = "\n\n".join(paragraphs)
    text = _LINK.sub(r"\1", text)
    return _EMPHASIS.sub(lambda m: m[2] or m[3], text)
