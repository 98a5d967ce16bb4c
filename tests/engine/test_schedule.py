"""Scheduled steps are asked in the order of their times, and every scheduled occurrence stores how late
it was shown (``late_s``)."""

from __future__ import annotations

import pytest

from placebolab.protocol import load_protocol
from placebolab.session import Session, VirtualClock, plan
from placebolab.study import Study

from .schedule_protocols import pause, rating, write_protocol


def keys_of(tmp_path, *steps) -> list[str]:
    protocol = load_protocol(write_protocol(tmp_path, *steps))
    return [o.key for o in plan(protocol, "warm")]


def test_two_steps_at_the_same_times_are_interleaved_ties_in_protocol_order(tmp_path):
    at = "[t0+2min, t0+6min, t0+10min]"
    keys = keys_of(tmp_path, pause("cream", mark="t0"), rating("itch", at), rating("pain", at), rating("end"))
    assert keys == [
        "cream",
        "itch@t0+2min",
        "pain@t0+2min",
        "itch@t0+6min",
        "pain@t0+6min",
        "itch@t0+10min",
        "pain@t0+10min",
        "end",
    ]


def test_occasions_at_different_times_are_asked_in_time_order(tmp_path):
    keys = keys_of(
        tmp_path,
        pause("cream", mark="t0"),
        rating("itch", "[t0+3min, t0+9min]"),
        rating("pain", "[t0+1min, t0+5min, t0+12min]"),
        rating("mood", "t0+9min"),
    )
    assert keys == [
        "cream",
        "pain@t0+1min",
        "itch@t0+3min",
        "pain@t0+5min",
        "itch@t0+9min",
        "mood@t0+9min",  # a tie with itch@t0+9min: protocol order
        "pain@t0+12min",
    ]


def test_an_unscheduled_step_keeps_its_place_and_other_marks_are_not_interleaved(tmp_path):
    keys = keys_of(
        tmp_path,
        pause("cream", mark="t0"),
        rating("itch", "[t0+3min, t0+9min]"),
        rating("questions"),  # unscheduled: asked after itch@t0+9min, before pain
        rating("pain", "[t0+3min, t0+9min]"),
        pause("second", mark="t1"),
        rating("late_itch", "[t0+30min]"),
        rating("after", "[t1+1min]"),  # another mark: after the t0 run, whatever its time
    )
    assert keys == [
        "cream",
        "itch@t0+3min",
        "itch@t0+9min",
        "questions",
        "pain@t0+3min",
        "pain@t0+9min",
        "second",
        "late_itch@t0+30min",
        "after@t1+1min",
    ]


def test_steps_for_other_cells_do_not_split_a_run(tmp_path):
    keys = keys_of(
        tmp_path,
        pause("cream", mark="t0"),
        rating("itch", "[t0+1min, t0+4min]"),
        rating("neutral_only", cells="[neutral]"),
        rating("pain", "[t0+2min]"),
    )
    assert keys == ["cream", "itch@t0+1min", "pain@t0+2min", "itch@t0+4min"]


def simulated_run(study) -> str:
    """One simulated participant (no effects) through the real engine; their ID."""
    from placebolab.simulation.model import load_effects
    from placebolab.simulation.run import simulate_study

    (participant,) = simulate_study(study, 1, load_effects(None, study.protocol), seed=7)
    return participant


@pytest.fixture
def interleaved_study(tmp_path):
    at = "[t0+2min, t0+6min, t0+10min]"
    path = write_protocol(tmp_path, pause("cream", mark="t0"), rating("itch", at), rating("pain", at), rating("end"))
    study = Study.init(path, tmp_path / "study", seed=3)
    yield study
    study.close()


def late_by_key(study, participant) -> dict[str, float | None]:
    import json

    rows = [r for r in study.store.rows("steps") if r["participant"] == participant]
    return {r["step_key"]: (json.loads(r["detail"]) if r["detail"] else {}).get("late_s") for r in rows}


def test_late_s_is_stored_with_every_scheduled_occurrence(interleaved_study):
    """A frontend that takes 50 s to answer each rating: the first of two ratings due together is on time,
    the second is late by the first's answering time; unscheduled steps store no late_s."""
    clock = VirtualClock(start=1_000_000.0)
    session = Session.start(interleaved_study, "P001", {}, "test", clock)
    while (current := session.current()) is not None:
        if current.not_before is not None:
            clock.sleep_until(current.not_before)
        shown_at = clock.now()
        clock.advance(50)
        values = {item.id: 3 for item in current.occurrence.items if item.kind != "ack"}
        session.submit(current.key, values, shown_at)
    late = late_by_key(interleaved_study, "P001")
    assert late == {
        "cream": None,
        "itch@t0+2min": 0.0,
        "pain@t0+2min": 50.0,
        "itch@t0+6min": 0.0,
        "pain@t0+6min": 50.0,
        "itch@t0+10min": 0.0,
        "pain@t0+10min": 50.0,
        "end": None,
    }


def test_simulated_participants_are_on_time_when_the_schedule_allows_it(tmp_path):
    """One rating per occasion: a simulated participant answers within the gap, so every late_s is 0."""
    path = write_protocol(tmp_path, pause("cream", mark="t0"), rating("itch", "[t0+2min, t0+6min]"), rating("end"))
    study = Study.init(path, tmp_path / "study", seed=3)
    try:
        late = late_by_key(study, simulated_run(study))
        assert late["itch@t0+2min"] == 0.0 and late["itch@t0+6min"] == 0.0
    finally:
        study.close()


def test_late_s_is_exported_in_long_and_steps_tables(interleaved_study):
    from placebolab.export.tables import long_table, steps_table

    simulated_run(interleaved_study)
    steps = steps_table(interleaved_study)
    steps.index = steps.step + ("@" + steps.occasion).fillna("")
    assert steps.loc["itch@t0+2min", "late_s"] == 0.0
    assert steps.loc["pain@t0+2min", "late_s"] > 0  # answered after itch@t0+2min, so late by its time
    assert pd_isna(steps.loc["cream", "late_s"])
    long = long_table(interleaved_study)
    pain = long[(long.step == "pain") & (long.occasion == "t0+2min")]
    assert list(pain.late_s) == [steps.loc["pain@t0+2min", "late_s"]]
    assert long[long.step == "end"].late_s.isna().all()


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_a_resumed_session_continues_the_interleaved_plan(interleaved_study):
    clock = VirtualClock(start=1_000_000.0)
    session = Session.start(interleaved_study, "P001", {}, "test", clock)
    for _ in range(3):  # cream, itch@t0+2min, pain@t0+2min; then the process dies
        current = session.current()
        if current.not_before is not None:
            clock.sleep_until(current.not_before)
        session.submit(
            current.key, {item.id: 1 for item in current.occurrence.items if item.kind != "ack"}, clock.now()
        )
    again = Session.resume(interleaved_study, "P001", "test", clock)
    assert again.current().key == "itch@t0+6min"
    assert again.current().not_before == pytest.approx(interleaved_study.store.marks("P001")["t0"] + 360)


def test_late_s_of_a_step_recorded_without_it_is_computed_from_the_mark(interleaved_study, monkeypatch):
    """Sessions recorded by a placebolab that did not store late_s export it all the same."""
    from placebolab.export.tables import steps_table

    monkeypatch.setattr(Session, "_with_lateness", lambda self, occurrence, shown_at, detail: detail)
    participant = simulated_run(interleaved_study)
    assert late_by_key(interleaved_study, participant)["pain@t0+2min"] is None  # not stored
    monkeypatch.undo()
    steps = steps_table(interleaved_study)
    steps.index = steps.step + ("@" + steps.occasion).fillna("")
    t0 = interleaved_study.store.marks(participant)["t0"]
    (shown,) = [r["shown_at"] for r in interleaved_study.store.rows("steps") if r["step_key"] == "pain@t0+2min"]
    assert steps.loc["pain@t0+2min", "late_s"] == pytest.approx(shown - (t0 + 120), abs=1e-3)
    assert steps.loc["pain@t0+2min", "late_s"] > 0


def test_follow_ups_are_timed_in_days_and_weeks(tmp_path):
    """A follow-up weeks after the treatment: `t0+1w`, `t0+21d` (and hours) are times after the mark."""
    protocol = load_protocol(
        write_protocol(tmp_path, pause("cream", mark="t0"), rating("itch", "[t0+21d, t0+1w, t0+36h]"))
    )
    occurrences = plan(protocol, "warm")
    assert [o.key for o in occurrences] == ["cream", "itch@t0+36h", "itch@t0+1w", "itch@t0+21d"]
    assert [o.occasion.seconds for o in occurrences[1:]] == [36 * 3600, 7 * 86400, 21 * 86400]
