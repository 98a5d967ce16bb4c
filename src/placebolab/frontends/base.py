"""What a frontend is, and the loop that lets one drive a session.

A frontend shows a step and returns what the participant answered; it never decides what comes next
and never writes to the store. ``drive`` asks the session for the current step, waits (with the
frontend's waiting screen) until the step may be shown, shows it, submits, and repeats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol as Interface

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

    def show(self, current: Current) -> Response:
        """Show the step and return the answers; raise SessionInterrupted if the experimenter quits."""


def drive(session: Session, frontend: Frontend) -> None:
    """Run the session to its end (or until the frontend raises SessionInterrupted)."""
    while (current := session.current()) is not None:
        if current.not_before is not None and current.not_before > frontend.clock.now():
            frontend.wait(current)
        response = frontend.show(current)
        session.submit(current.key, response.values, response.shown_at, response.answered_at, response.detail)
