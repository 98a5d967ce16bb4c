"""The session engine: driven step by step, committed before advancing, resumable by reopening."""

from __future__ import annotations

import pytest

from placebolab.errors import SessionError, StoreError
from placebolab.session import Session, VirtualClock, plan
from placebolab.study import Study
from tests.conftest import FLAGSHIP

INTAKE = {"sex": "female", "age": "31", "name": "Robin"}


def answer_for(current):
    """A valid answer to any step: the scale minimum for every item."""
    return {item.id: item.min for item in current.occurrence.items if item.kind != "ack"}


def walk(session, clock, steps=None):
    done = []
    while (current := session.current()) is not None and (steps is None or len(done) < steps):
        if current.not_before:
            clock.sleep_until(current.not_before)
        session.submit(current.key, answer_for(current), clock.now())
        clock.advance(2)
        done.append(current.key)
    return done


def test_the_plan_expands_scheduled_steps_in_timeline_order(flagship_study):
    keys = [o.key for o in plan(flagship_study.protocol, "warm/high")]
    assert keys == [
        "welcome",
        "itch_baseline",
        "clinician",
        "expectancy",
        "check",
        "cream",
        "itch_post@t0+3min",
        "itch_post@t0+9min",
        "itch_post@t0+15min",
        "debrief",
    ]


def test_a_scheduled_step_may_be_shown_only_at_its_time_after_the_mark(flagship_study):
    clock = VirtualClock(start=1_000_000.0)
    session = Session.start(flagship_study, "P001", INTAKE, "test", clock)
    walk(session, clock, steps=6)  # through the cream pause, which sets t0
    t0 = flagship_study.store.marks("P001")["t0"]
    assert session.current().key == "itch_post@t0+3min"
    assert session.current().not_before == pytest.approx(t0 + 180)
    walk(session, clock, steps=1)
    assert session.current().not_before == pytest.approx(t0 + 540)


def test_the_script_is_rendered_for_the_participants_cell_and_name(flagship_study):
    clock = VirtualClock()
    session = Session.start(flagship_study, "P001", INTAKE, "test", clock)
    walk(session, clock, steps=2)
    current = session.current()
    assert current.key == "clinician"
    cell = session.participant.cell
    text = "\n".join(current.pages)
    assert ("Robin" in text) == cell.startswith("warm/")
    assert current.speaker == "Dr. Morgan Lee"


def test_answers_are_checked_before_anything_is_stored(flagship_study):
    clock = VirtualClock()
    session = Session.start(flagship_study, "P001", INTAKE, "test", clock)
    walk(session, clock, steps=1)
    for bad, message in [
        ({"": 101}, "outside 0–100"),
        ({"": "lots"}, "not a number"),
        ({}, "answer"),
        ({"": 2.5}, "not on the scale"),
    ]:
        with pytest.raises(SessionError, match=message):
            session.submit("itch_baseline", bad, clock.now())
    with pytest.raises(SessionError, match="not the current step"):
        session.submit("clinician", {}, clock.now())
    assert flagship_study.store.completed_steps("P001") == {"welcome"}
    assert flagship_study.store.rows("responses") == []


def test_a_step_is_never_recorded_twice(flagship_study):
    from placebolab.store import StepRecord

    clock = VirtualClock()
    Session.start(flagship_study, "P001", INTAKE, "test", clock)
    record = StepRecord("welcome", "welcome", None, 1.0, 2.0, "test")
    flagship_study.store.record_step("P001", record)
    with pytest.raises(StoreError, match="already recorded"):
        flagship_study.store.record_step("P001", record)


def test_resume_continues_at_the_first_unanswered_step_with_nothing_lost(flagship_study, tmp_path):
    clock = VirtualClock()
    first = walk(Session.start(flagship_study, "P001", INTAKE, "test", clock), clock, steps=4)
    answered = len(flagship_study.store.rows("responses"))
    flagship_study.close()

    reopened = Study.open(flagship_study.folder)  # a new process would do exactly this
    session = Session.resume(reopened, "P001", "test", clock)
    assert session.current().key == "check"
    rest = walk(session, clock)
    assert first + rest == [o.key for o in session.plan]
    responses = reopened.store.rows("responses")
    keys = [(r["step_key"], r["item"]) for r in responses]
    assert len(keys) == len(set(keys)) and len(responses) > answered
    assert reopened.store.participant("P001").status == "completed"
    events = [
        r["kind"] for r in reopened.store.rows("events") if r["participant"] == "P001" and r["kind"] != "step_recorded"
    ]
    assert events == ["allocated", "session_started", "session_resumed", "session_completed"]
    reopened.close()


def test_marks_survive_a_resume(flagship_study):
    clock = VirtualClock(start=5_000.0)
    walk(Session.start(flagship_study, "P001", INTAKE, "test", clock), clock, steps=6)
    t0 = flagship_study.store.marks("P001")["t0"]
    clock.advance(3600)  # the lab computer crashed; an hour later the session is resumed
    session = Session.resume(flagship_study, "P001", "test", clock)
    assert session.current().not_before == pytest.approx(t0 + 180)  # due long ago: shown at once


def test_completed_and_interrupted_participants_are_refused_a_second_start(flagship_study):
    clock = VirtualClock()
    walk(Session.start(flagship_study, "P001", INTAKE, "test", clock), clock)
    with pytest.raises(SessionError, match="already completed"):
        Session.start(flagship_study, "P001", INTAKE, "test", clock)
    with pytest.raises(SessionError, match="nothing to resume"):
        Session.resume(flagship_study, "P001", "test", clock)
    walk(Session.start(flagship_study, "P002", INTAKE, "test", clock), clock, steps=2)
    with pytest.raises(SessionError, match="--resume"):
        Session.start(flagship_study, "P002", INTAKE, "test", clock)
    with pytest.raises(SessionError, match="not enrolled"):
        Session.resume(flagship_study, "P404", "test", clock)


def test_starting_is_one_commit_and_every_step_is_committed_before_the_next_is_shown(tmp_path):
    """Durability, counted on SQLite: allocation and the session's start are one transaction; then each
    submitted step is one durable commit, made before the session offers the next step."""
    study = Study.init(FLAGSHIP, tmp_path / "study", seed=1)
    commits = []
    study.store._db.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    clock = VirtualClock()
    session = Session.start(study, "P001", INTAKE, "test", clock)
    assert len(commits) == 1
    assert [e["kind"] for e in study.store.rows("events")] == ["initialised", "allocated", "session_started"]
    while (current := session.current()) is not None:
        if current.not_before:
            clock.sleep_until(current.not_before)
        before = len(commits)
        session.submit(current.key, answer_for(current), clock.now())
        assert len(commits) == before + 1 and current.key in study.store.completed_steps("P001")
    assert study.store.participant("P001").status == "completed"
    study.close()


def test_intake_is_checked_before_allocation(flagship_study):
    clock = VirtualClock()
    with pytest.raises(SessionError, match="age.*outside 18–99"):
        Session.start(flagship_study, "P001", {**INTAKE, "age": "12"}, "test", clock)
    with pytest.raises(SessionError, match="'sex' is missing"):
        Session.start(flagship_study, "P001", {"age": "30", "name": "A"}, "test", clock)
    assert flagship_study.store.participants() == []
    assert flagship_study.store.allocation_summary()["allocated"] == 0


def test_the_study_runs_on_its_frozen_protocol_not_later_edits(tmp_path):
    import shutil

    from tests.conftest import ROOT

    shutil.copytree(ROOT / "protocols", tmp_path / "protocols")
    shutil.copytree(ROOT / "stimuli", tmp_path / "stimuli")
    protocol = tmp_path / "protocols" / "warmth-competence-itch.yaml"
    study = Study.init(protocol, tmp_path / "study", seed=1)
    (tmp_path / "stimuli" / "warmth-competence-itch" / "welcome.md").write_text("EDITED AFTER INIT")
    protocol.write_text(protocol.read_text().replace("Clinician warmth", "EDITED"))
    reopened = Study.open(tmp_path / "study")
    assert "EDITED" not in reopened.protocol.title
    assert "EDITED" not in reopened.protocol.files["welcome.md"]
    reopened.close()
    study.close()
