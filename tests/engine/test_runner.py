"""The session runner (``frontends.runner``): a participant's session from its start or its resume,
intake checked before anything is asked, the frontend opened and always closed, and a stop turned into
the message that says how to continue. Driven by a simulated participant on a virtual clock."""

from __future__ import annotations

import numpy as np
import pytest

from placebolab.errors import SessionError, SessionInterrupted
from placebolab.frontends.runner import run_participant
from placebolab.frontends.simulated import SimulatedFrontend
from placebolab.session import VirtualClock, plan
from placebolab.simulation.model import EffectsModel, SimulatedParticipant

STOPPED = "the session was stopped; every answer so far is stored"


class Recording(SimulatedFrontend):
    """A simulated participant that records what the runner asks of it and stops where told: ``stop`` is
    (the number of steps shown before it, the exception raised when the next would be), or ("intake", exc)."""

    name = "test"

    def __init__(self, study, stop=None):
        rng = np.random.default_rng(7)
        super().__init__(SimulatedParticipant(EffectsModel(), study.protocol, "", rng), rng, VirtualClock(1e9))
        self.stop, self.calls, self.shown = stop, [], []

    def ask_intake(self, fields, given, participant):
        self.calls.append(("ask_intake", sorted(given), participant))
        if self.stop and self.stop[0] == "intake":
            raise self.stop[1]
        return super().ask_intake(fields, given, participant)

    def open(self, *, pilot=False):
        self.calls.append(("open", pilot))

    def close(self):
        self.calls.append(("close",))

    def show(self, current):
        if self.stop and self.stop[0] == len(self.shown):
            raise self.stop[1]
        self.shown.append(current.key)
        return super().show(current)


def steps_of(study, participant):
    return [r["step_key"] for r in study.store.rows("steps") if r["participant"] == participant]


def test_a_new_participant_is_asked_the_intake_not_given_enrolled_and_run_to_the_end(flagship_study):
    frontend = Recording(flagship_study)
    session = run_participant(flagship_study, "P001", frontend, intake={"sex": "female"}, pilot=True)

    assert frontend.calls == [("ask_intake", ["sex"], "P001"), ("open", True), ("close",)]
    participant = flagship_study.store.participant("P001")
    assert participant.status == "completed" and participant.pilot
    assert participant.intake["sex"] == "female" and set(participant.intake) == {"sex", "age", "name"}
    assert frontend.shown == [o.key for o in plan(flagship_study.protocol, participant.cell)]
    assert session.participant.id == "P001" and session.finished


@pytest.mark.parametrize(
    "stop", [SessionInterrupted(STOPPED), KeyboardInterrupt()], ids=["experimenter-quits", "ctrl-c"]
)
def test_a_stop_mid_session_says_how_to_resume_and_the_resume_continues_where_it_stopped(flagship_study, stop):
    first = Recording(flagship_study, stop=(4, stop))
    with pytest.raises(SessionInterrupted) as stopped:
        run_participant(flagship_study, "P001", first, intake={"sex": "male", "age": "40", "name": "Sam"})
    assert str(stopped.value) == (
        f"{STOPPED}; continue with `placebolab run {flagship_study.folder} --participant P001 --resume`"
    )
    assert first.calls[-1] == ("close",), "the frontend was not closed"
    assert steps_of(flagship_study, "P001") == first.shown == ["welcome", "itch_baseline", "clinician", "expectancy"]

    second = Recording(flagship_study)
    run_participant(flagship_study, "P001", second, resume=True, tell=lambda line: second.calls.append(line))
    total = len(plan(flagship_study.protocol, flagship_study.store.participant("P001").cell))
    # the experimenter is told where it resumes before the window opens; the intake is not asked again
    assert second.calls == [f"P001: resuming at step 5 of {total}, check", ("open", False), ("close",)]
    assert second.shown[0] == "check"
    keys = steps_of(flagship_study, "P001")
    assert keys == first.shown + second.shown and len(keys) == len(set(keys))
    assert flagship_study.store.participant("P001").status == "completed"


@pytest.mark.parametrize(
    "stop", [SessionInterrupted("the intake of P001 was cancelled"), KeyboardInterrupt()], ids=["cancel", "ctrl-c"]
)
def test_a_stop_during_the_intake_enrols_no_one_and_says_to_start_again(flagship_study, stop):
    frontend = Recording(flagship_study, stop=("intake", stop))
    with pytest.raises(SessionInterrupted, match="before P001 was enrolled: nothing is stored") as stopped:
        run_participant(flagship_study, "P001", frontend)
    assert f"placebolab run {flagship_study.folder} --participant P001` (without --resume)" in str(stopped.value)
    assert flagship_study.store.participant("P001") is None
    assert [call[0] for call in frontend.calls] == ["ask_intake"], "a window was opened for no one"


@pytest.mark.parametrize(
    ("intake", "message"),
    [({"sex": "robot"}, "robot"), ({"eyes": "blue"}, "unknown intake fields: eyes")],
    ids=["wrong-value", "unknown-field"],
)
def test_a_wrong_intake_given_up_front_is_refused_before_any_question(flagship_study, intake, message):
    frontend = Recording(flagship_study)
    with pytest.raises(SessionError, match=message):
        run_participant(flagship_study, "P001", frontend, intake=intake)
    assert frontend.calls == [] and flagship_study.store.participant("P001") is None


def test_a_taken_id_is_refused_before_any_question_and_a_resume_keeps_its_intake(flagship_study):
    with pytest.raises(SessionInterrupted):
        run_participant(flagship_study, "P001", Recording(flagship_study, stop=(2, SessionInterrupted(STOPPED))))
    frontend = Recording(flagship_study)
    with pytest.raises(SessionError, match="--resume"):
        run_participant(flagship_study, "P001", frontend)
    with pytest.raises(SessionError, match="keeps them"):
        run_participant(flagship_study, "P001", frontend, resume=True, intake={"sex": "male"})
    with pytest.raises(SessionError, match="not enrolled"):
        run_participant(flagship_study, "P404", frontend, resume=True)
    assert frontend.calls == [] and frontend.shown == []


def test_the_frontend_is_closed_when_the_session_fails(flagship_study):
    class Failing(Recording):
        def show(self, current):
            raise RuntimeError("the display driver crashed")

    frontend = Failing(flagship_study)
    with pytest.raises(RuntimeError, match="display driver"):
        run_participant(flagship_study, "P001", frontend)
    assert frontend.calls[-1] == ("close",)
