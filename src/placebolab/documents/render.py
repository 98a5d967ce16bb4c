"""One small document model, written out as Markdown or as one self-contained HTML page.

Every generated document (preregistration, reporting checklists) is built as :class:`Document`
(sections of paragraphs, lists and tables of plain text) and only then written in a format, so the
two formats say the same thing. Text from the protocol is untrusted: it is escaped in both formats
(a Markdown reader shows raw HTML, so ``<`` is escaped there too). What a person must fill in
starts with ``TODO:`` and is highlighted.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

TODO = "TODO:"


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str | None = None


@dataclass(frozen=True)
class Bullets:
    items: list[str]


Block = str | Table | Bullets


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 2

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self


@dataclass
class Document:
    title: str
    intro: list[Block] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    trailer: str = ""  # written verbatim at the end (a machine-readable record, already safe)

    def section(self, title: str, level: int = 2) -> Section:
        self.sections.append(Section(title, level=level))
        return self.sections[-1]


def todo(text: str) -> str:
    """A statement only a person can make: ``TODO: …``."""
    return f"{TODO} {text}"


# --- Markdown -------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\*_\[\]])")  # backticks stay: `placebolab analyze` reads as code


def _md(text: str, cell: bool = False) -> str:
    pieces = re.split(r"(`[^`<>]+`)", text)  # code spans (odd pieces) are shown as written
    escaped = "".join(
        piece if i % 2 else _MD_SPECIAL.sub(r"\\\1", piece).replace("<", "&lt;").replace(">", "&gt;")
        for i, piece in enumerate(pieces)
    )
    if escaped.startswith(TODO):
        escaped = f"**{TODO}**{escaped[len(TODO) :]}"
    if cell:
        escaped = escaped.replace("|", "\\|").replace("\n", "<br>")
    return escaped


def _md_block(block: Block) -> str:
    if isinstance(block, Table):
        lines = [f"*{_md(block.caption)}*", ""] if block.caption else []
        lines.append("| " + " | ".join(_md(h, True) for h in block.headers) + " |")
        lines.append("|" + "|".join(" --- " for _ in block.headers) + "|")
        lines += ["| " + " | ".join(_md(c, True) for c in row) + " |" for row in block.rows]
        return "\n".join(lines)
    if isinstance(block, Bullets):
        return "\n".join(f"- {_md(item)}" for item in block.items)
    return _md(block)


def to_markdown(doc: Document) -> str:
    parts = [f"# {_md(doc.title)}", *(_md_block(b) for b in doc.intro)]
    for section in doc.sections:
        parts.append(f"{'#' * section.level} {_md(section.title)}")
        parts += [_md_block(b) for b in section.blocks]
    if doc.trailer:
        parts.append(doc.trailer)
    return "\n\n".join(parts) + "\n"


# --- HTML -----------------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5;
       color: #1b1b1b; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; width: 100%; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.5rem; vertical-align: top; text-align: left; }
th { background: #f1f1f1; }
caption { text-align: left; font-style: italic; padding-bottom: 0.3rem; }
mark.todo { background: #ffe58a; font-weight: 600; }
td.mark { text-align: center; }
"""


def _html(text: str) -> str:
    escaped = re.sub(r"`([^`<]+)`", r"<code>\1</code>", html.escape(text)).replace("\n", "<br>")
    if text.startswith(TODO):
        escaped = f'<mark class="todo">{TODO}</mark>' + escaped[len(TODO) :]
    return escaped


def _html_block(block: Block) -> str:
    if isinstance(block, Table):
        caption = f"<caption>{_html(block.caption)}</caption>" if block.caption else ""
        head = "".join(f"<th>{_html(h)}</th>" for h in block.headers)
        body = "\n".join(
            "<tr>" + "".join(f"<td{' class=mark' if c == 'X' else ''}>{_html(c)}</td>" for c in row) + "</tr>"
            for row in block.rows
        )
        return f"<table>{caption}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_html(item)}</li>" for item in block.items) + "</ul>"
    return f"<p>{_html(block)}</p>"


def to_html(doc: Document) -> str:
    body = [f"<h1>{_html(doc.title)}</h1>", *(_html_block(b) for b in doc.intro)]
    for section in doc.sections:
        body.append(f"<h{section.level}>{_html(section.title)}</h{section.level}>")
        body += [_html_block(b) for b in section.blocks]
    title = html.escape(doc.title)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
        f"<style>{STYLE}</style>\n</head>\n<body>\n" + "\n".join(body) + f"\n{doc.trailer}\n</body>\n</html>\n"
    )


def write(doc: Document, path) -> str:
    """The document in the format ``path``'s suffix names (.md or .html): the text written."""
    from pathlib import Path

    from placebolab.files import write_text_atomic

    suffix = Path(path).suffix.lower()
    text = to_html(doc) if suffix in (".html", ".htm") else to_markdown(doc)
    write_text_atomic(path, text)
    return text
