"""Warnings about a timeline that cannot keep its schedule (``validate`` prints them; they do not fail it).

Each cell's plan (``protocol.occurrences.plan``: occasions of one mark in time order, see docs/schedule.md) is walked
with a lower bound of the time elapsed since every mark: an occasion is never shown before its time, and
steps of known length (media, timed pauses) take at least that long. What is not known in advance — how
long a participant reads or answers, how long the experimenter takes — counts as no time at all, so a
warning is certain to come true, and an occasion not warned about may still be late (``late_s`` records
it, the report flags it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from placebolab.components import ScheduledTime, StepBase
from placebolab.document.problems import DocPath, Problem
from placebolab.errors import InternalError
from placebolab.protocol.occurrences import Occurrence, plan

if TYPE_CHECKING:
    from placebolab.protocol.models import Protocol

Locate = Callable[[DocPath, str], Problem]


def schedule_warnings(protocol: Protocol, locate: Locate) -> list[Problem]:
    """Every schedule problem found in any cell, once, naming the cells when not all are affected."""
    found: dict[tuple[DocPath, str], list[str]] = {}
    for cell in protocol.cells:
        for path, message in _cell_warnings(protocol, cell.id):
            found.setdefault((path, message), []).append(cell.id)
    every = len(protocol.cells)
    return [
        locate(path, message if len(cells) == every else f"{message} (cells {', '.join(cells)})")
        for (path, message), cells in found.items()
    ]


def _cell_warnings(protocol: Protocol, cell_id: str) -> list[tuple[DocPath, str]]:
    warnings = []
    since: dict[str, float] = {"start": 0.0}  # mark → at least this many seconds have passed since it was set
    between: dict[tuple[str, str], float] = {}  # (earlier mark, later mark) → at least this far apart
    previous: Occurrence | None = None  # the occurrence just before
    due_together: dict[tuple[str, float], str] = {}  # within a run of one mark: time → first key due then
    for occurrence in plan(protocol, cell_id):
        step, occasion = occurrence.step, occurrence.occasion
        if occasion is not None and occasion.mark in since:
            before = previous.occasion if previous is not None else None
            if before is None or before.mark != occasion.mark:
                due_together = {}  # a new run (protocol.occurrences.plan): only occasions within one are interleaved
            first = due_together.setdefault((occasion.mark, occasion.seconds), occurrence.key)
            message = _occasion_warning(occurrence, since[occasion.mark], first, previous, protocol)
            if message:
                warnings.append((_where(protocol, step, occasion), message))
            _wait_until(since, between, occasion.mark, occasion.seconds)
        previous = occurrence
        _elapse(since, _known_length(protocol, step, cell_id))
        if step.mark:
            for mark, seconds in since.items():
                between[(mark, step.mark)] = seconds
            since[step.mark] = 0.0
    return warnings


def _occasion_warning(
    occurrence: Occurrence, elapsed: float, first: str, previous: Occurrence | None, protocol: Protocol
) -> str | None:
    """Why ``occurrence`` cannot keep its time, if it cannot: ``elapsed`` is the least time since its mark
    when its turn comes, ``first`` the first occasion of its run due at the same time."""
    occasion = occurrence.occasion
    if occasion is None:
        raise InternalError("only scheduled occurrences are checked")
    before = previous.occasion if previous is not None else None
    if elapsed - occasion.seconds > 0.5:
        earliest = f"{occasion.mark}+{_duration(elapsed)}"
        return (
            f"{occurrence.key} will be shown at least {_duration(elapsed - occasion.seconds)} late: what comes "
            f"before it takes at least until {earliest} (the times of earlier occasions, and the lengths of media "
            "and timed pauses; reading and answering times are not known in advance and not counted). "
            f"Move it earlier in the timeline, or schedule it at {earliest} or later"
        )
    if first != occurrence.key:
        return (
            f"{occurrence.key} is due at the same time as {first}, so it is shown only once {first} is done and is "
            "late by that time (not known in advance; the report flags occasions later than schedule_tolerance, "
            f"{protocol.schedule_tolerance}). Stagger the times if that matters"
        )
    if previous and before is not None and before.mark != occasion.mark and occasion.seconds < before.seconds:
        return (
            f"{occurrence.key} is asked after {previous.key}: occasions timed from different marks keep their "
            f"timeline order (the time between {before.mark} and {occasion.mark} is not known in advance), so it "
            "may be late. Time both steps from one mark to have them asked in the order of their times"
        )
    return None


def _wait_until(since: dict[str, float], between: dict[tuple[str, str], float], mark: str, seconds: float) -> None:
    """An occasion is shown no earlier than ``mark + seconds``: so much time has passed since ``mark``, and
    since every mark set before it, at least that plus the time between the two."""
    since[mark] = max(since[mark], seconds)
    for (earlier, later), gap in between.items():
        if later == mark:
            since[earlier] = max(since[earlier], gap + since[mark])


def _elapse(since: dict[str, float], seconds: float) -> None:
    for mark in since:
        since[mark] += seconds


def _known_length(protocol: Protocol, step: StepBase, cell_id: str) -> float:
    """The least time a step takes: a media file's length, a timed pause's duration, else nothing known."""
    if step.media_kind is not None:
        try:
            return protocol.media(step.id, cell_id).duration or 0.0
        except KeyError:  # not probed (the file has a problem, reported as an error)
            return 0.0
    return step.fixed_seconds() or 0.0


def _where(protocol: Protocol, step: StepBase, occasion: ScheduledTime) -> DocPath:
    index = next(i for i, s in enumerate(protocol.timeline) if s is step)
    at = [o.label if o else None for o in step.occasions].index(occasion.label)
    return ("timeline", index, "at", at)


def _duration(seconds: float) -> str:
    """``540`` → ``'9min'``; ``75.2`` → ``'76s'`` (rounded up): a time a protocol could use."""
    whole = math.ceil(seconds - 1e-9)
    return f"{whole // 60}min" if whole >= 60 and whole % 60 == 0 else f"{whole}s"
