"""Drafts: each answer of a step is kept as it is given, so a stop mid-questionnaire loses none, and the
resumed step's commit is the one an uninterrupted session would have made (its detail says it was resumed)."""

from __future__ import annotations

import json

import pytest

from placebolab.allocation.audit import audit_study
from placebolab.errors import SessionError
from placebolab.session import Session, VirtualClock
from tests.engine.test_session import INTAKE, walk

RELIEF, LOGICAL, CONFIDENT, DOUBT = 7, 6, 8, 2


def to_expectancy(study, participant="P001"):
    clock = VirtualClock(start=1_000_000.0)
    session = Session.start(study, participant, INTAKE, "test", clock)
    walk(session, clock, steps=3)  # welcome, itch_baseline, clinician
    assert session.current().key == "expectancy"
    return session, clock


def responses(study, participant):
    return {
        r["item"]: (r["value"], r["rt"], r["responded_at"])
        for r in study.store.rows("responses")
        if r["participant"] == participant and r["step_key"] == "expectancy"
    }


def step_row(study, participant):
    (row,) = [r for r in study.store.rows("steps") if (r["participant"], r["step_key"]) == (participant, "expectancy")]
    return row


def test_a_stopped_questionnaire_resumes_at_its_first_unanswered_item_and_commits_the_same_answers(flagship_study):
    study = flagship_study
    # uninterrupted: P001 answers the four items 2 s apart, kept one by one, then submits them
    session, clock = to_expectancy(study, "P001")
    current, onset = session.current(), clock.now()
    times = {}
    for item, value in zip(
        ("relief", "logical", "confident", "doubt"), (RELIEF, LOGICAL, CONFIDENT, DOUBT), strict=True
    ):
        clock.advance(2)
        times[item] = clock.now()
        current.drafts.save({item: value}, onset, {item: clock.now()})
    values = {"relief": RELIEF, "logical": LOGICAL, "confident": CONFIDENT, "doubt": DOUBT}
    session.submit("expectancy", values, onset, times)
    assert "resumed" not in (step_row(study, "P001")["detail"] or "")
    assert study.store.drafts("P001") == {}

    # P002: two items answered, then the session stops (the window closes, the laptop dies)
    session, clock = to_expectancy(study, "P002")
    current, onset = session.current(), clock.now()
    for item, value in (("relief", RELIEF), ("logical", LOGICAL)):
        clock.advance(2)
        current.drafts.save({item: value}, onset, {item: clock.now()})
    del session
    clock.advance(600)
    resumed = Session.resume(study, "P002", "test", clock)
    current = resumed.current()
    assert current.key == "expectancy"
    assert {item: a.value for item, a in current.kept.items()} == {"relief": RELIEF, "logical": LOGICAL}
    again = clock.now()
    clock.advance(2)
    current.drafts.save({"confident": CONFIDENT}, again, {"confident": clock.now()})
    clock.advance(2)
    resumed.submit("expectancy", {"doubt": DOUBT}, again, {"doubt": clock.now()})

    first, second = responses(study, "P001"), responses(study, "P002")
    assert {i: v for i, (v, _, _) in first.items()} == {i: v for i, (v, _, _) in second.items()} == values
    assert [second[i][1] for i in ("relief", "logical", "confident", "doubt")] == [2, 4, 2, 4]  # rt: own onset
    row = step_row(study, "P002")
    assert row["shown_at"] == onset  # the step's onset is its first showing's
    assert json.loads(row["detail"])["resumed"] == {"shown_at": [onset, again], "kept": ["relief", "logical"]}
    assert study.store.drafts("P002") == {}, "the commit superseded the drafts"
    assert audit_study(study).problems == []


def test_a_changed_answer_replaces_its_draft_and_an_answer_given_at_submit_wins(flagship_study):
    session, clock = to_expectancy(flagship_study)
    current, onset = session.current(), clock.now()
    current.drafts.save({"relief": 3}, onset)
    current.drafts.save({"relief": 4, "logical": 5}, onset)
    assert {i: a.value for i, a in current.kept.items()} == {"relief": 4, "logical": 5}
    session.submit("expectancy", {"logical": 9, "confident": 1, "doubt": 2}, onset)
    assert {i: v for i, (v, _, _) in responses(flagship_study, "P001").items()} == {
        "relief": 4,
        "logical": 9,
        "confident": 1,
        "doubt": 2,
    }


def test_a_draft_is_checked_like_an_answer_and_only_for_the_current_step(flagship_study):
    session, clock = to_expectancy(flagship_study)
    current = session.current()
    with pytest.raises(SessionError, match="expectancy"):
        current.drafts.save({"relief": 11}, clock.now())  # the scale ends at 10
    with pytest.raises(SessionError, match="no item 'nope'"):
        current.drafts.save({"nope": 1}, clock.now())
    with pytest.raises(SessionError, match="an answer to 'doubt' is needed"):
        session.submit("expectancy", {"relief": 1, "logical": 1, "confident": 1}, clock.now())
    assert flagship_study.store.drafts("P001") == {}
    session.submit("expectancy", {"relief": 1, "logical": 1, "confident": 1, "doubt": 1}, clock.now())
    with pytest.raises(SessionError, match="not the current step"):
        current.drafts.save({"relief": 1}, clock.now())
    assert session.current().drafts is not None and session.current().key == "check"


def test_steps_without_answers_have_no_drafts(flagship_study):
    clock = VirtualClock()
    session = Session.start(flagship_study, "P001", INTAKE, "test", clock)
    assert session.current().key == "welcome" and session.current().drafts is None and session.current().kept == {}


def test_a_session_opened_anew_merges_the_kept_answers_without_being_asked_for_the_step_first(flagship_study):
    """As a web request does: open the session as stored and submit; the kept answers complete the step."""
    session, clock = to_expectancy(flagship_study)
    session.current().drafts.save({"relief": 3, "logical": 4}, clock.now())
    clock.advance(30)
    opened = Session.open(flagship_study, "P001", "test", clock)
    assert opened.kept == session.current().kept
    opened.submit("expectancy", {"confident": 5, "doubt": 6}, clock.now())
    assert {i: v for i, (v, _, _) in responses(flagship_study, "P001").items()} == {
        "relief": 3,
        "logical": 4,
        "confident": 5,
        "doubt": 6,
    }
    assert flagship_study.store.drafts("P001") == {}
