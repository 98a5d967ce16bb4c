"""Several items answered on a scale, with score rules (mean or sum, reverse-keyed items, missing items).

Items come either inline (``items:``) or from an instrument (``instrument: ceq``): one of the bank
shipped with placebolab (``placebolab.instruments``) or one the protocol defines under its top-level
``instruments:``. An instrument brings its items, scale, prompt and scores; the step may override the
prompt and the scale, add scores, and give item wording under ``wording:`` — which it must do for
an instrument whose licence does not let placebolab ship the wording.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from placebolab.components.base import (
    ANSWER_DETAIL,
    ID_PATTERN,
    SCALE_ANSWER,
    AttentionCheck,
    Datum,
    Draw,
    Item,
    Measure,
    Model,
    PlacedValueError,
    ShownText,
    StepBase,
    StepInfo,
    check_attention,
    measure_name,
)
from placebolab.components.scales import Scale, ScaleOrPreset, resolve_scale
from placebolab.errors import InternalError


class QuestionItem(Model):
    id: str = Field(pattern=ID_PATTERN)
    text: ShownText
    reverse: bool = Field(False, description="Reverse-keyed: scored as min + max − answer.")
    scale: Scale | None = Field(None, description="This item's own scale (default: the questionnaire's).")
    attention_check: AttentionCheck | None = Field(
        None,
        description="An instructed-response item, e.g. {expect: 2} for 'please choose 2 here': flagged in the "
        "export when answered otherwise (attention_passed), never excluded; no measure and in no score.",
    )

    @field_validator("scale", mode="before", json_schema_input_type=ScaleOrPreset)
    @classmethod
    def _preset(cls, value: Any) -> Any:
        return resolve_scale(value)


class Score(Model):
    items: list[str] = Field(description="Item ids that make up the score.")
    method: Literal["mean", "sum"] = "mean"
    min_items: int | None = Field(None, ge=1, description="Fewest answered items for a score (default: all).")
    common_scale: list[float] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="Map every item linearly onto this range before combining, e.g. [1, 9] for the CEQ's "
        "0–100% items next to its 1–9 items.",
    )

    @field_validator("common_scale")
    @classmethod
    def _ordered(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and value[0] >= value[1]:
            raise ValueError(f"common_scale is [low, high] with low below high, e.g. [1, 9]; got {value}")
        return value


def check_items_and_scores(items: list[QuestionItem], scores: dict[str, Score], scale: Scale | None) -> None:
    """Item ids unique, every item has a scale, every score names items that exist (a PlacedValueError if not)."""
    ids = [item.id for item in items]
    for index, item_id in enumerate(ids):
        if item_id in ids[:index]:
            raise PlacedValueError(
                f"item id '{item_id}' is already used by items[{ids.index(item_id)}]; item ids must be unique "
                "within the questionnaire",
                "items",
                index,
                "id",
            )
    for index, item in enumerate(items):
        if item.scale is None and scale is None:
            raise PlacedValueError(
                f"item '{item.id}' has no scale; give the questionnaire a `scale` or the item one", "items", index
            )
    checks = {item.id for item in items if item.attention_check is not None}
    for name, score in scores.items():
        for index, item_id in enumerate(score.items):
            if item_id in checks:
                raise PlacedValueError(
                    f"score '{name}' names item '{item_id}', an attention check; a check is no measure and in no "
                    "score: remove it from the score",
                    "scores",
                    name,
                    "items",
                    index,
                )
            if item_id not in ids:
                raise PlacedValueError(
                    f"score '{name}' names item '{item_id}', which this questionnaire does not have; "
                    f"its items: {', '.join(ids)}",
                    "scores",
                    name,
                    "items",
                    index,
                )
        if name in ids:
            raise PlacedValueError(f"score '{name}' has the same name as an item; rename one of them", "scores", name)


class QuestionnaireStep(StepBase):
    """Items answered on scales; each item is a measure (``step.item``), and so is each score (``step.score``)."""

    info = StepInfo(
        "Several items answered on scales (inline or an instrument), with score rules.",
        answers=(Datum("item", "str", "", "the item's id"), *SCALE_ANSWER),
        detail=ANSWER_DETAIL,
    )
    type: Literal["questionnaire"]
    instrument: str | None = Field(
        None,
        description="An instrument from the bank (ceq, care, expectation-nrs, warmth-competence, "
        "manipulation-check) or from the protocol's `instruments:`; brings items, scale and scores.",
    )
    wording: dict[str, ShownText] | None = Field(
        None, description="Item id → the text shown, for an instrument's items (required where it ships none)."
    )
    prompt: ShownText | None = Field(None, description="Instructions shown above the items.")
    scale: Scale | None = Field(None, description="Scale shared by the items (preset name or a scale).")
    items: list[QuestionItem] = Field(default_factory=list, description="The items (or give `instrument`).")
    scores: dict[str, Score] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_instrument(cls, data: Any, info: ValidationInfo) -> Any:
        """An instrument's items are filled in by ``context["expand_instrument"]``, handed over by whoever
        validates the step (the protocol, which knows the bank and its own instruments; components sit below both)."""
        if not isinstance(data, dict) or data.get("instrument") is None:
            return data
        context = info.context or {}
        if "expand_instrument" not in context:
            raise PlacedValueError("an `instrument` is only known inside a protocol's timeline", "instrument")
        return context["expand_instrument"](data, context)

    @field_validator("scale", mode="before", json_schema_input_type=ScaleOrPreset)
    @classmethod
    def _preset(cls, value: Any) -> Any:
        return resolve_scale(value)

    @model_validator(mode="after")
    def _consistent(self) -> QuestionnaireStep:
        if not self.items:
            raise ValueError(
                "a questionnaire needs `items` or an `instrument` from the bank, e.g. instrument: ceq "
                "(see `placebolab instruments`)"
            )
        check_items_and_scores(self.items, self.scores, self.scale)
        return self

    @model_validator(mode="after")
    def _checks_on_scale(self) -> QuestionnaireStep:
        for index, item in enumerate(self.items):
            check_attention(item.attention_check, self.item_scale(item), "items", index)
        return self

    def item_scale(self, item: QuestionItem) -> Scale:
        scale = item.scale or self.scale
        if scale is None:
            raise InternalError("a validated questionnaire gives every item a scale")
        return scale

    def records(self) -> list[Item]:
        return [
            Item(
                item.id,
                "number",
                s.min,
                s.max,
                s.step,
                item.text,
                s.na_code,
                item.attention_check.expect if item.attention_check else None,
            )
            for item in self.items
            for s in [self.item_scale(item)]
        ]

    def measures(self) -> list[Measure]:
        found: list[Measure] = []
        for item in self.items:
            if item.attention_check is not None:  # a check of attention, not data: no measure
                continue
            s = self.item_scale(item)
            if s.measurement is None:
                raise InternalError("a validated scale has its measurement (Scale._measurement)")
            name, labels = measure_name(self.id, item.id), tuple(s.labels or ())
            found.append(
                Measure(
                    name,
                    self,
                    "item",
                    item.id,
                    s.min,
                    s.max,
                    item.text,
                    s.na_code,
                    s.measurement,
                    labels,
                    s.not_applicable,
                )
            )
        for score_name, rule in self.scores.items():
            low, high = self.score_range(score_name)
            label = f"{score_name} score ({rule.method} of {', '.join(rule.items)})"
            found.append(Measure(measure_name(self.id, score_name), self, "score", score_name, low, high, label))
        return found

    def simulate(self, draw: Draw) -> dict[str, float | None]:
        # Models speak of the scored direction ("higher expectancy"); a reverse-keyed answer is reflected.
        answers: dict[str, float | None] = {}
        for item, record in zip(self.items, self.recorded, strict=True):
            if item.attention_check is not None:  # a simulated participant attends
                answers[item.id] = item.attention_check.expect
                continue
            value = draw(measure_name(self.id, item.id), record)
            s = self.item_scale(item)
            answers[item.id] = s.min + s.max - value if item.reverse else value
        return answers

    def score_range(self, name: str) -> tuple[float, float]:
        """Lowest and highest value the score ``name`` can take."""
        rule = self.scores[name]
        if rule.common_scale:
            low, high = rule.common_scale
        else:
            scales = [self.item_scale(i) for i in self.items if i.id in rule.items]
            low, high = min(s.min for s in scales), max(s.max for s in scales)
        n = len(rule.items) if rule.method == "sum" else 1
        return low * n, high * n

    def score(self, answers: dict[str, float | None]) -> dict[str, float | None]:
        """Score rules applied to one participant's raw answers (None for an unanswered item).

        A "does not apply" answer counts as unanswered. With ``common_scale`` each item is first mapped
        linearly from its own scale onto that range (after reverse keying)."""
        scored: dict[str, float | None] = {}
        by_id = {item.id: item for item in self.items}
        for name, rule in self.scores.items():
            values = []
            for item_id in rule.items:
                value = answers.get(item_id)
                s = self.item_scale(by_id[item_id])
                if value is None or value == s.na_code:
                    continue
                value = s.min + s.max - value if by_id[item_id].reverse else value
                if rule.common_scale:
                    low, high = rule.common_scale
                    value = low + (value - s.min) * (high - low) / (s.max - s.min)
                values.append(value)
            needed = rule.min_items or len(rule.items)
            if len(values) < needed:
                scored[name] = None
            elif rule.method == "sum":
                # Prorated so a permitted missing item does not lower a sum.
                scored[name] = sum(values) * len(rule.items) / len(values)
            else:
                scored[name] = sum(values) / len(values)
        return scored
