"""A single rating on a numeric scale, VAS or Likert scale (itch now, expected relief …)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from placebolab.components.base import (
    ANSWER_DETAIL,
    SCALE_ANSWER,
    AttentionCheck,
    Datum,
    Draw,
    Item,
    Measure,
    ShownText,
    StepBase,
    StepInfo,
    check_attention,
)
from placebolab.components.scales import Scale, ScaleOrPreset, anchors_problem, resolve_scale
from placebolab.errors import InternalError


class RatingStep(StepBase):
    """One question answered on a scale; its measure is named by the step's id."""

    info = StepInfo(
        "One question answered on a scale (NRS, VAS or Likert).",
        answers=(Datum("item", "str", "", "empty: the step's one value"), *SCALE_ANSWER),
        detail=ANSWER_DETAIL,
    )
    type: Literal["rating"]
    prompt: ShownText = Field(description="The question, e.g. 'How itchy is your arm right now?'")
    scale: Scale = Field(
        description="A preset name (nrs-0-100, nrs-0-10, vas-0-100, likert-5, likert-7, yes-no, global-improvement-7) "
        "or a scale."
    )
    anchors: list[ShownText] | None = Field(None, description="Override the scale's end labels.")
    attention_check: AttentionCheck | None = Field(
        None,
        description="An instructed-response question, e.g. {expect: 2} for 'please choose 2 here': flagged in the "
        "export when answered otherwise (attention_passed), never excluded; the step then yields no measure.",
    )

    @field_validator("scale", mode="before", json_schema_input_type=ScaleOrPreset)
    @classmethod
    def _preset(cls, value: Any) -> Any:
        return resolve_scale(value)

    @field_validator("anchors")
    @classmethod
    def _two_ends(cls, anchors: list[str] | None) -> list[str] | None:
        if anchors is not None and len(anchors) != 2:
            raise ValueError(anchors_problem(anchors, "[no itch, worst itch]"))
        return anchors

    @model_validator(mode="after")
    def _check_on_scale(self) -> RatingStep:
        check_attention(self.attention_check, self.scale)
        return self

    @property
    def effective_scale(self) -> Scale:
        return self.scale.with_anchors(self.anchors)

    def records(self) -> list[Item]:
        s = self.scale
        expect = self.attention_check.expect if self.attention_check else None
        return [Item("", "number", s.min, s.max, s.step, self.prompt, s.na_code, attention_expect=expect)]

    def measures(self) -> list[Measure]:
        if self.attention_check is not None:  # a check of attention, not data: no measure
            return []
        s = self.scale
        if s.measurement is None:
            raise InternalError("a validated scale has its measurement (Scale._measurement)")
        labels = tuple(s.labels or ())
        return [
            Measure(
                self.id,
                self,
                "rating",
                "",
                s.min,
                s.max,
                self.prompt,
                s.na_code,
                s.measurement,
                labels,
                s.not_applicable,
            )
        ]

    def simulate(self, draw: Draw) -> dict[str, float | None]:
        if self.attention_check is not None:  # a simulated participant attends
            return {"": self.attention_check.expect}
        return super().simulate(draw)
