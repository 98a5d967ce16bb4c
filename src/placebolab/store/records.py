"""The records a store holds, independent of the database behind it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Slot:
    """One entry of the allocation list."""

    stratum: str
    position: int
    cell: str | None  # None: decided at allocation (minimization)
    block: int | None = None
    block_size: int | None = None
    u: float | None = None  # minimization: the slot's two random numbers (see allocation/minimization.py)
    v: float | None = None


@dataclass(frozen=True)
class Participant:
    id: str
    cell: str
    stratum: str
    intake: dict[str, Any]
    simulated: bool
    pilot: bool
    enrolled_at: str
    started_at: float | None
    status: str  # allocated | running | completed
    completed_at: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Participant:
        """From a ``participants`` row of either backend (a mapping by column name)."""
        return cls(
            id=row["id"],
            cell=row["cell"],
            stratum=row["stratum"],
            intake=json.loads(row["intake"]),
            simulated=bool(row["simulated"]),
            pilot=bool(row["pilot"]),
            enrolled_at=row["enrolled_at"],
            started_at=row["started_at"],
            status=row["status"],
            completed_at=row["completed_at"],
        )


@dataclass(frozen=True)
class SessionState:
    """What opening a session reads of its participant, in one read of the store (``Store.session_state``):
    their row, the keys of their recorded steps, and the answers stored for those recorded among the steps
    asked for (the ones whose answer may end the session: a consent), by step key, then item id."""

    participant: Participant
    completed: frozenset[str]
    answers: Mapping[str, dict[str, float | None]]
    #: the answers kept of steps not recorded yet (``Store.drafts``), when read with the rest (a web page's
    #: ``Store.link``); None: not read, the session reads them when a step first needs them
    drafts: Mapping[str, list[Draft]] | None = None


@dataclass(frozen=True)
class Link:
    """A personal link as a web page reads it, in one read of the store (``Store.link``): its participant, their
    latest correction (``withdrawn``, ``excluded``, ``allocated_in_error`` or None) and their session's state
    (None until they enrol)."""

    participant: str
    correction: str | None
    state: SessionState | None
    declined: bool = False  # before enrolment: the consent asked first was declined (``Store.consent_declined``)


@dataclass(frozen=True)
class Answer:
    item: str  # '' for a single rating
    value: float | None
    rt: float | None
    responded_at: float


@dataclass(frozen=True)
class Draft:
    """An answer given on a step that is not yet completed (a questionnaire stopped mid-page), kept until the
    step commits: ``shown_at`` is the onset of the showing it was given in (its ``rt`` runs from it)."""

    step_key: str
    answer: Answer
    shown_at: float


@dataclass(frozen=True)
class StepRecord:
    """A completed step occurrence with its answers, committed in one transaction."""

    step_key: str
    step: str
    occasion: str | None
    shown_at: float
    completed_at: float
    frontend: str
    answers: list[Answer] = field(default_factory=list)
    mark: str | None = None  # a mark this step sets, at completed_at
    detail: dict[str, Any] | None = None

    @property
    def columns(self) -> tuple[str, str, str | None, float, float, str]:
        """What the steps table holds of it between the participant and the detail, in its order (and the
        step digest's): step_key, step, occasion, shown_at, completed_at, frontend."""
        return (self.step_key, self.step, self.occasion, self.shown_at, self.completed_at, self.frontend)
