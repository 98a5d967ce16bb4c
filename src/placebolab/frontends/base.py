"""What a frontend is, and the loop that lets one drive a session.

A frontend shows a step and returns what the participant answered; it never decides what comes next
and never writes to the store. ``drive`` asks the session for the current step, waits (with the
frontend's waiting screen) until the step may be shown, shows it, submits, and repeats.

Each frontend has one table, ``SCREENS``: step type (``components.STEP_TYPES``) → how it shows that type
(a screen class or function, of the frontend's own signature), or :class:`Unsupported` saying why it
cannot. A protocol with a step its frontend cannot show is refused before anyone is enrolled
(:func:`refuse_unshowable`; ``placebolab validate --frontend NAME``). tests/architecture checks that every
table has an entry for every registered step type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from typing import Protocol as Interface

from placebolab.components import StepBase
from placebolab.components.catalogue import Catalogue, Words, catalogue
from placebolab.document.problems import Problem
from placebolab.errors import ProtocolError
from placebolab.session import Current, Session
from placebolab.session.clock import Clock


@dataclass
class Response:
    values: dict  # item id ('' for a single rating) → value; {} for a step that records nothing
    shown_at: float  # epoch seconds of the onset
    answered_at: dict = field(default_factory=dict)  # item id → epoch seconds, when known
    detail: dict | None = None  # frontend facts stored with the step (frame timing …)


class Frontend(Interface):
    name: str

    @property
    def clock(self) -> Clock: ...

    def wait(self, current: Current) -> None:
        """Show a waiting screen until ``current.not_before``."""

    # Around the steps (``runner.run_participant``): refuse, ask the intake, open; close at the end.

    def refuse_unshowable(self, protocol) -> None:
        """Refuse, before anyone is enrolled, a protocol with a step this frontend cannot show."""

    def use_language(self, language: str) -> None:
        """Say everything the frontend adds to the protocol's texts (buttons, waiting and quit screens, errors)
        in the protocol's ``language:``, from the catalogue (``components.catalogue``)."""

    def ask_intake(self, fields, given: dict, participant: str) -> dict:
        """Ask the intake fields not ``given`` (before enrolment); return them with ``given``.
        Raise SessionInterrupted if the experimenter cancels."""

    def open(self, *, pilot: bool = False) -> None:
        """Get ready to show the enrolled participant's steps (a window opens); ``pilot``: their pilot flag."""

    def close(self) -> None:
        """Release what ``open`` took; called however the session ends."""

    def show(self, current: Current) -> Response:
        """Show the step and return the answers; raise SessionInterrupted if the experimenter quits."""


@dataclass(frozen=True)
class Unsupported:
    """A step type a frontend cannot show: ``reason`` says why and what to do (it ends the refusal's message).
    ``applies``: only steps it returns True for (e.g. an experimenter pause, not a timed one); default: all."""

    reason: str
    applies: Callable[[StepBase], bool] | None = None

    def refuses(self, step: StepBase) -> bool:
        return self.applies is None or self.applies(step)


#: step type → how a frontend shows it, or why it cannot
Screens = Mapping[str, Any]


def unshowable(protocol, screens: Screens) -> list[Problem]:
    """Every step of ``protocol`` that ``screens`` cannot show, located in the protocol file (step and line)."""
    problems = []
    for index, step in enumerate(protocol.timeline):
        entry = screens[step.type]
        if isinstance(entry, Unsupported) and entry.refuses(step):
            message = f"step {step.id} ({step.type}): {entry.reason}"
            problems.append(protocol.locate(("timeline", index, "type"), message))
    return problems


def refuse_unshowable(protocol, screens: Screens) -> None:
    """Refuse (ProtocolError, listing each step and line) a protocol with a step ``screens`` cannot show."""
    problems = unshowable(protocol, screens)
    if problems:
        raise ProtocolError(problems)


def coming_next(step: StepBase, say: Catalogue | None = None) -> str:
    """What a waiting screen calls the step it waits for (at the start of a sentence): its title, else "The
    next question" (in ``say``'s language); never its key (``itch_post@t0+3min`` is bookkeeping, not for a
    participant's eyes)."""
    return step.title or (say or catalogue())("next_question")


def saved_note(current: Current | None) -> Words:
    """What a quit prompt says is saved, in no language yet (``current``: the step on screen, if any). Each answer is kept as it is
    given (``Current.drafts``), so every one is; only a store that keeps no drafts (a PostgreSQL study made
    before them, run by a station before its owner opened it) loses the answers given on the step on screen."""
    if current is not None and current.drafts is None and any(i.kind != "ack" for i in current.occurrence.items):
        return Words("saved.earlier_steps")
    return Words("saved.all")


def drive(session: Session, frontend: Frontend) -> None:
    """Run the session to its end (or until the frontend raises SessionInterrupted)."""
    while (current := session.current()) is not None:
        if current.not_before is not None and current.not_before > frontend.clock.now():
            frontend.wait(current)
        response = frontend.show(current)
        session.submit(current.key, response.values, response.shown_at, response.answered_at, response.detail)
