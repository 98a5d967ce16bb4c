"""Informed consent: the consent text (markdown), statements the participant must tick, and a choice to
agree or to decline. Agreeing records 1; declining records 0 and ends the session there (the engine asks
:meth:`ConsentStep.declines`), recorded like any answer, so the participant's status shows it.

Consent is a step of the session, and a session begins at enrolment, which allocates: a participant who
declines has used their place in the allocation list and is counted in their cell as ``declined_consent``
(never as an incomplete session, never analysed). Nothing cell-specific may come before it: the step is
refused with ``cells:`` or ``at:``, so a decline cannot depend on the cell (docs/tables.md). Online, a consent
step that every plan begins with is asked before enrolment instead (frontends/web/app.py, ``first_consent``):
a decline there allocates nothing and is only logged."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from placebolab.components.base import (
    ID_PATTERN,
    Datum,
    Draw,
    Item,
    Model,
    PlacedValueError,
    ShownText,
    StepBase,
    StepInfo,
)

AGREED, DECLINED = 1.0, 0.0


class Statement(Model):
    """One statement the participant must tick before agreeing (``I have read the information above``)."""

    id: str = Field(pattern=ID_PATTERN, description="Names the statement in the step's detail (consent_checked).")
    text: ShownText = Field(description="The statement shown beside its checkbox.")


def text_sha256(text: str) -> str:
    """The SHA-256 (hex) of a consent text as stored with its answer: the UTF-8 bytes of the text as the
    protocol gives it (a file's content as frozen, or the inline ``text:``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ConsentStep(StepBase):
    """Consent text, required statements, agree or decline; declining ends the session (recorded)."""

    info = StepInfo(
        "Informed consent: markdown text, statements to tick, agree (1) or decline (0, ends the session).",
        answers=(
            Datum("item", "str", "", "empty: the step's one value"),
            Datum("value", "float", "", "1: agreed; 0: declined (the session ended there)"),
            Datum("rt", "float", "s", "from the step's onset to the choice"),
            Datum("responded_at", "str", "ISO-8601 UTC", "when the choice was made"),
        ),
        detail=(
            Datum(
                "consent_sha256",
                "str",
                "",
                "[engine] SHA-256 of the consent text shown (UTF-8: the file's content as frozen, or the inline text)",
            ),
            Datum("consent_checked", "list[str]", "", "[every frontend] ids of the statements ticked, in order"),
        ),
    )
    type: Literal["consent"]
    text: ShownText | None = Field(None, description="Inline markdown consent text (or give `source`).")
    source: str | None = Field(None, description="Markdown file with the consent text, in the stimuli folder.")
    statements: list[Statement] = Field(
        default_factory=list, description="Statements the participant must tick to agree, each a checkbox."
    )
    agree: ShownText | None = Field(
        None, description="The agree button's label (default: 'I agree to take part', in the protocol's language)."
    )
    decline: ShownText | None = Field(
        None, description="The decline button's label (default: 'I do not agree', in the protocol's language)."
    )

    #: a consent step's answer may end the session (see :meth:`declines`)
    may_decline: ClassVar[bool] = True

    @model_validator(mode="after")
    def _consistent(self) -> ConsentStep:
        if self.text is not None and self.source is not None:
            raise PlacedValueError("give either `text` (inline) or `source` (a file), not both", "text")
        if self.text is None and self.source is None:
            raise ValueError("a consent step needs `text` (inline) or `source` (a file), e.g. source: consent.md")
        if self.text is not None and not self.text:
            raise PlacedValueError("the consent text is empty; write what the participant agrees to", "text")
        if self.cells is not None:
            raise PlacedValueError(
                "a consent step is shown to every cell (a decline must not depend on the cell); remove `cells`",
                "cells",
            )
        if self.at is not None:
            raise PlacedValueError(
                "a consent step is answered once, before anything else of the session; remove `at`", "at"
            )
        if self.role is not None:
            raise PlacedValueError("a consent step is not analysed; remove `role`", "role")
        ids = [s.id for s in self.statements]
        for index, statement_id in enumerate(ids):
            if statement_id in ids[:index]:
                raise PlacedValueError(
                    f"statement id '{statement_id}' is already used by statements[{ids.index(statement_id)}]; "
                    "give each statement its own id",
                    "statements",
                    index,
                    "id",
                )
        return self

    def sources(self) -> list[str]:
        return [self.source] if self.source else []

    def body(self, files: dict[str, str]) -> str:
        """The consent text as given (a file's content, or the inline text)."""
        if self.source:
            return files[self.source]
        return self.text or ""

    def render(self, files: dict[str, str], context: dict[str, Any]) -> list[str]:
        """The consent text as one page (shown whole: a participant scrolls, never pages, through consent)."""
        return [self.body(files).strip()]

    def stored_detail(self, files: dict[str, str]) -> dict[str, Any]:
        return {"consent_sha256": text_sha256(self.body(files))}

    def records(self) -> list[Item]:
        return [Item("", "number", DECLINED, AGREED, 1.0, "consent")]

    def declines(self, values: dict[str, Any]) -> bool:
        return values.get("") == DECLINED

    def simulate(self, draw: Draw) -> dict[str, float | None]:
        return {"": AGREED}  # a simulated participant agrees
