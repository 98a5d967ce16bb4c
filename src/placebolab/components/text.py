"""Pages of text: ``text`` (markdown, the same for everyone) and ``script`` (the clinician interaction,
a jinja2 template rendered per cell with the cell's levels, the protocol's variables and the intake)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator

from placebolab.components.base import PAGE_RT, PlacedValueError, ShownText, StepBase, StepInfo, Template
from placebolab.components.templating import render_template
from placebolab.errors import InternalError

_PAGE_BREAK = re.compile(r"^\s*---\s*$", re.MULTILINE)


def split_pages(markdown: str) -> list[str]:
    """Pages are separated by a line holding only ``---``."""
    return list(_pages(markdown))


@lru_cache(maxsize=256)  # a text step shows the same markdown to every participant: split it once
def _pages(markdown: str) -> tuple[str, ...]:
    return tuple(page.strip() for page in _PAGE_BREAK.split(markdown) if page.strip())


class _Pages(StepBase):
    source: str | None = Field(None, description="Markdown file, relative to the protocol's stimuli folder.")
    continue_key: str = Field("space", description="Key that turns the page in the lab.")

    if TYPE_CHECKING:
        type: str  # each subclass's Literal

    # Each subclass names its inline field and an example file, for one shared "exactly one body" rule.
    _inline: ClassVar[str]
    _example: ClassVar[str]

    @model_validator(mode="after")
    def _one_body(self) -> _Pages:
        inline = getattr(self, self._inline)
        if inline is not None and self.source is not None:
            raise PlacedValueError(
                f"give either `{self._inline}` (inline) or `source` (a file), not both", self._inline
            )
        if inline is None and self.source is None:
            raise ValueError(
                f"a {self.type} step needs `{self._inline}` (inline) or `source` (a file), e.g. source: {self._example}"
            )
        return self

    def _body(self, files: dict[str, str]) -> str:
        return files[self.source] if self.source else getattr(self, self._inline)

    def sources(self) -> list[str]:
        return [self.source] if self.source else []


class TextStep(_Pages):
    """Instructions, consent reminders, debriefing: markdown shown as it is written."""

    _inline, _example = "text", "welcome.md"
    info = StepInfo("Markdown pages, the same for everyone; the participant turns them.", detail=(PAGE_RT,))
    type: Literal["text"]
    text: ShownText | None = Field(None, description="Inline markdown, shown as written (or give `source`).")

    def render(self, files: dict[str, str], context: dict[str, Any]) -> list[str]:
        return split_pages(self._body(files))


class ScriptStep(_Pages):
    """The clinician interaction: one jinja2 template, rendered for each cell (``{{ warmth }}`` …)."""

    _inline, _example = "template", "clinician.md.j2"
    info = StepInfo(
        "The clinician interaction: a jinja2 template rendered per cell (levels, variables, intake).",
        detail=(PAGE_RT,),
    )
    type: Literal["script"]
    template: str | None = Field(None, description="Inline jinja2 markdown (or give `source`).")
    speaker: str | None = Field(None, description="Who speaks, shown above the text, e.g. {{ clinician }}.")

    def render(self, files: dict[str, str], context: dict[str, Any]) -> list[str]:
        return split_pages(render_template(self._body(files), context))

    def render_speaker(self, context: dict[str, Any]) -> str | None:
        return render_template(self.speaker, context) if self.speaker else None

    def templates(self, files: dict[str, str]) -> list[Template]:
        if self.source and self.source not in files:
            return []  # its file was not read (the loader said why)
        body = files[self.source] if self.source else self.template
        if body is None:
            raise InternalError("a script step has its template or its source (_one_body)")
        main = (
            Template("source", f"'{self.source}'", body) if self.source else Template("template", "the template", body)
        )
        return [main] + ([Template("speaker", "the speaker", self.speaker)] if self.speaker else [])
