"""A cell's plan: the protocol's timeline as one cell walks it, each step once per occasion. Derived from the
protocol alone, so validation (protocol/schedule.py), the session engine and the audit compute the same one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from placebolab.components import Item, ScheduledTime, StepBase

if TYPE_CHECKING:
    from placebolab.protocol.models import Protocol


@dataclass(frozen=True)
class Occurrence:
    """One showing of a step: a scheduled step (``at: [t0+3min, t0+9min]``) occurs once per time."""

    key: str  # 'itch_post@t0+3min', or the step id
    step: StepBase
    occasion: ScheduledTime | None
    index: int  # position in this participant's plan, from 0
    total: int

    @property
    def items(self) -> tuple[Item, ...]:
        return self.step.recorded


def plan(protocol: Protocol, cell_id: str) -> list[Occurrence]:
    """The timeline as this cell walks it: steps for other cells dropped, scheduled steps expanded, and
    scheduled occasions asked in the order of their times.

    The rule (docs/schedule.md): the cell's steps are taken in protocol order, a scheduled step once per
    occasion. A run of consecutive occasions timed from the same mark is then sorted by time, ties in
    protocol order: ``itch at: [t0+3min, t0+9min]`` followed by ``pain at: [t0+3min, t0+9min]`` is asked
    itch@t0+3min, pain@t0+3min, itch@t0+9min, pain@t0+9min. Anything else ends a run and keeps its
    place: an unscheduled step (it is asked when the step before it is done, so an occasion is never
    moved across it), and an occasion timed from another mark (the time between two marks is not known
    in advance). ``validate`` warns where this order cannot keep the times (protocol/schedule.py).

    The plan is derived, never stored: a session reopened computes it again from the study's frozen
    protocol and continues at its first occurrence without an answer.
    """
    shown = [
        (step, occasion)
        for step in protocol.timeline
        if not step.cells or cell_id in step.cells
        for occasion in step.occasions
    ]
    pairs = in_time_order(shown)
    return [
        Occurrence(f"{step.id}@{occasion.label}" if occasion else step.id, step, occasion, index, len(pairs))
        for index, (step, occasion) in enumerate(pairs)
    ]


Shown = tuple[StepBase, ScheduledTime | None]


def in_time_order(shown: Sequence[Shown]) -> list[Shown]:
    """``(step, occasion)`` pairs with every run of consecutive occasions of one mark sorted by time."""
    ordered: list[Shown] = []
    run: list[tuple[StepBase, ScheduledTime]] = []  # occasions of one mark
    for pair in shown:
        occasion = pair[1]
        if run and (occasion is None or occasion.mark != run[0][1].mark):
            ordered += _by_time(run)  # stable: ties keep protocol order
            run = []
        if occasion is None:
            ordered.append(pair)
        else:
            run.append((pair[0], occasion))
    return ordered + _by_time(run)


def _by_time(run: list[tuple[StepBase, ScheduledTime]]) -> list[tuple[StepBase, ScheduledTime]]:
    return sorted(run, key=lambda p: p[1].seconds)
