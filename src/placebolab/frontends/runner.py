"""Run one participant's session with a frontend, from its start or from where it stopped.

The one place that knows start versus resume, when the intake is checked (what was given up front
before any question is asked; the whole of it before enrolment), and what a stopped session tells
the experimenter. ``placebolab run`` is this function behind command-line options.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from placebolab.errors import SessionError, SessionInterrupted
from placebolab.frontends.base import Frontend, drive
from placebolab.session import Session
from placebolab.session.engine import check_intake


def make_frontend(name: str, clock, *, windowed: bool = False, screenshots: str | Path | None = None) -> Frontend:
    """The frontend a participant is run with, ``console`` or ``psychopy`` (its module imported only when
    chosen). ``windowed`` and ``screenshots`` are options of the PsychoPy window, which is refused
    (SessionError), before anyone is asked anything, where it cannot open."""
    if name == "console":
        from placebolab.frontends.console import ConsoleFrontend

        return ConsoleFrontend(clock)
    if name == "psychopy":
        from placebolab.frontends.psychopy import lab_frontend

        return lab_frontend(clock, windowed=windowed, screenshots=screenshots)
    raise ValueError(f"no frontend called {name!r} to run a participant with; console or psychopy")


def run_participant(
    study,
    participant: str,
    frontend: Frontend,
    *,
    resume: bool = False,
    intake: dict | None = None,
    pilot=False,
    tell: Callable[[str], None] = print,
) -> Session:
    """Enrol ``participant`` (asking the intake fields not in ``intake``) or, with ``resume``, take up their
    interrupted session at its first unanswered step, telling the experimenter (``tell``) where, before
    anything is shown; then show every step to its end, the frontend speaking the protocol's ``language:``.

    The frontend is closed however the session ends. A stop (the experimenter quits, Ctrl-C) raises
    SessionInterrupted saying how to continue; every answer given so far is stored."""
    frontend.refuse_unshowable(study.protocol)
    frontend.use_language(study.protocol.language)
    if not resume:
        session = start_session(study, participant, frontend, intake=intake, pilot=pilot)
    elif intake or pilot:
        raise SessionError(
            f"participant {participant} is enrolled already; intake and the pilot flag are given at enrolment "
            "and a resumed session keeps them"
        )
    else:
        session = Session.resume(study, participant, frontend.name, frontend.clock)
        tell(resuming_at(session))
    try:
        frontend.open(pilot=session.participant.pilot)
        drive(session, frontend)
    except (SessionInterrupted, KeyboardInterrupt) as exc:  # KeyboardInterrupt: where the frontend could not ask
        stopped = (
            exc if isinstance(exc, SessionInterrupted) else "the session was stopped; every answer so far is stored"
        )
        raise SessionInterrupted(
            f"{stopped}; continue with `placebolab run {study.folder} --participant {participant} --resume`"
        ) from None
    finally:
        frontend.close()
    return session


def resuming_at(session: Session) -> str:
    """Where a resumed session takes up, for the experimenter: "P001: resuming at step 6 of 14, expectancy"."""
    at = session.position
    if at is None:  # stopped after its last answer, before it was marked complete: nothing left to show
        return f"{session.participant.id}: every step was answered already; nothing left to show"
    kept = len(session.kept)
    given = f" ({kept} answer{'s' if kept > 1 else ''} given before the stop kept)" if kept else ""
    return f"{session.participant.id}: resuming at step {at.index + 1} of {at.total}, {at.key}{given}"


def start_session(study, participant: str, frontend: Frontend, *, intake: dict | None = None, pilot=False) -> Session:
    """Enrol a new participant: refuse a taken ID and a wrong value in ``intake`` before asking anything,
    then ask the frontend for the fields not given. Stopped during the intake, nothing is stored."""
    given = dict(intake or {})
    Session.ensure_new(study, participant)
    check_intake(study.protocol, given, complete=False)
    try:
        values = frontend.ask_intake(study.protocol.intake, given, participant)
    except (SessionInterrupted, KeyboardInterrupt):
        raise SessionInterrupted(
            f"the session was stopped during the intake, before {participant} was enrolled: nothing is stored; "
            f"start again with `placebolab run {study.folder} --participant {participant}` (without --resume)"
        ) from None
    return Session.start(study, participant, values, frontend.name, frontend.clock, pilot=pilot)
