"""Several items answered on a scale, with score rules (mean or sum, reverse-keyed items, missing items)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from placebolab.components.base import ID_PATTERN, Item, Model, PlacedValueError, StepBase, measure_name
from placebolab.components.scales import Scale, resolve_scale


class QuestionItem(Model):
    id: str = Field(pattern=ID_PATTERN)
    text: str
    reverse: bool = Field(False, description="Reverse-keyed: scored as min + max − answer.")
    scale: Scale | None = Field(None, description="This item's own scale (default: the questionnaire's).")

    @field_validator("scale", mode="before")
    @classmethod
    def _preset(cls, value):
        return resolve_scale(value)


class Score(Model):
    items: list[str] = Field(description="Item ids that make up the score.")
    method: Literal["mean", "sum"] = "mean"
    min_items: int | None = Field(None, ge=1, description="Fewest answered items for a score (default: all).")


class QuestionnaireStep(StepBase):
    type: Literal["questionnaire"]
    prompt: str | None = Field(None, description="Instructions shown above the items.")
    scale: Scale | None = Field(None, description="Scale shared by the items (preset name or a scale).")
    items: list[QuestionItem] = Field(min_length=1)
    scores: dict[str, Score] = Field(default_factory=dict)

    @field_validator("scale", mode="before")
    @classmethod
    def _preset(cls, value):
        return resolve_scale(value)

    @model_validator(mode="after")
    def _consistent(self):
        ids = [item.id for item in self.items]
        for index, item_id in enumerate(ids):
            if item_id in ids[:index]:
                raise PlacedValueError(
                    f"item id '{item_id}' is already used by items[{ids.index(item_id)}]; item ids must be unique "
                    "within the questionnaire",
                    "items",
                    index,
                    "id",
                )
        for index, item in enumerate(self.items):
            if item.scale is None and self.scale is None:
                raise PlacedValueError(
                    f"item '{item.id}' has no scale; give the questionnaire a `scale` or the item one",
                    "items",
                    index,
                )
        for name, score in self.scores.items():
            for index, item_id in enumerate(score.items):
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
                raise PlacedValueError(
                    f"score '{name}' has the same name as an item; rename one of them", "scores", name
                )
        return self

    def item_scale(self, item: QuestionItem) -> Scale:
        return item.scale or self.scale

    def records(self) -> list[Item]:
        return [
            Item(item.id, "number", s.min, s.max, s.step, item.text)
            for item in self.items
            for s in [self.item_scale(item)]
        ]

    def simulate(self, draw) -> dict[str, float]:
        # Models speak of the scored direction ("higher expectancy"); a reverse-keyed answer is reflected.
        answers = {}
        for item, record in zip(self.items, self.records(), strict=True):
            value = draw(measure_name(self.id, item.id), record)
            answers[item.id] = record.min + record.max - value if item.reverse else value
        return answers

    def score(self, answers: dict[str, float | None]) -> dict[str, float | None]:
        """Score rules applied to one participant's raw answers (None for an unanswered item)."""
        scored = {}
        by_id = {item.id: item for item in self.items}
        for name, rule in self.scores.items():
            values = []
            for item_id in rule.items:
                value = answers.get(item_id)
                if value is None:
                    continue
                s = self.item_scale(by_id[item_id])
                values.append(s.min + s.max - value if by_id[item_id].reverse else value)
            needed = rule.min_items or len(rule.items)
            if len(values) < needed:
                scored[name] = None
            elif rule.method == "sum":
                # Prorated so a permitted missing item does not lower a sum.
                scored[name] = sum(values) * len(rule.items) / len(values)
            else:
                scored[name] = sum(values) / len(values)
        return scored
