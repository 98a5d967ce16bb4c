"""The measures a protocol yields — the names analysis plans, effects files and exported columns use.

``itch_baseline`` (a rating), ``expectancy.improve`` (a questionnaire item), ``expectancy.expectancy``
(a questionnaire score); a scheduled step adds ``itch_post@t0+3min`` per occasion, its bare name being the
mean over occasions. Each step type declares its own (``StepBase.measures``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from placebolab.components import Measure

if TYPE_CHECKING:
    from placebolab.protocol.models import Protocol

__all__ = ["Measure", "measurement", "measures", "resolve"]


def measures(protocol: Protocol) -> dict[str, Measure]:
    return {measure.name: measure for step in protocol.timeline for measure in step.measures()}


def resolve(protocol: Protocol, reference: str) -> Measure | None:
    """The measure a reference names (``itch_post`` or ``itch_post@t0+3min``), or None."""
    name, _, occasion = reference.partition("@")
    measure = measures(protocol).get(name)
    if measure is None or (occasion and occasion not in measure.occasion_labels):
        return None
    return measure


def measurement(protocol: Protocol, reference: str) -> str | None:
    """How an outcome on ``reference`` is analysed (continuous, ordinal or binary), or None if unknown.
    The mean over several occasions is a number (export/tables.py); one occasion keeps its scale's."""
    measure = resolve(protocol, reference)
    if measure is None:
        return None
    if measure.measurement != "continuous" and ("@" in reference or len(measure.occasion_labels) <= 1):
        return measure.measurement
    return "continuous"
