"""The measures a protocol yields — the names analysis plans, effects files and exported columns use.

``itch_baseline`` (a rating), ``expectancy.improve`` (a questionnaire item), ``expectancy.expectancy``
(a questionnaire score); a scheduled step adds ``itch_post@t0+3min`` per occasion, its bare name being the
mean over occasions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from placebolab.components import QuestionnaireStep, RatingStep, measure_name
from placebolab.components.base import Role

if TYPE_CHECKING:
    from placebolab.protocol.models import Protocol


@dataclass(frozen=True)
class Measure:
    name: str
    step: RatingStep | QuestionnaireStep
    kind: str  # rating | item | score
    item: str = ""  # item id (kind item) or score name (kind score)
    min: float | None = None
    max: float | None = None
    label: str = ""
    na_code: float | None = None  # an item's stored "does not apply" answer: exported as missing

    @property
    def role(self) -> Role | None:
        return self.step.role

    @property
    def occasion_labels(self) -> list[str]:
        return [t.label for t in self.step.occasions if t is not None]

    def column(self, occasion: str | None) -> str:
        return f"{self.name}@{occasion}" if occasion else self.name


def measures(protocol: Protocol) -> dict[str, Measure]:
    found: dict[str, Measure] = {}
    for step in protocol.timeline:
        if isinstance(step, RatingStep):
            s = step.scale
            found[step.id] = Measure(step.id, step, "rating", "", s.min, s.max, step.prompt)
        elif isinstance(step, QuestionnaireStep):
            for item in step.items:
                s = step.item_scale(item)
                name = measure_name(step.id, item.id)
                found[name] = Measure(name, step, "item", item.id, s.min, s.max, item.text, s.na_code)
            for score_name, rule in step.scores.items():
                low, high = step.score_range(score_name)
                name = measure_name(step.id, score_name)
                label = f"{score_name} score ({rule.method} of {', '.join(rule.items)})"
                found[name] = Measure(name, step, "score", score_name, low, high, label)
    return found


def resolve(protocol: Protocol, reference: str) -> Measure | None:
    """The measure a reference names (``itch_post`` or ``itch_post@t0+3min``), or None."""
    name, _, occasion = reference.partition("@")
    measure = measures(protocol).get(name)
    if measure is None or (occasion and occasion not in measure.occasion_labels):
        return None
    return measure
