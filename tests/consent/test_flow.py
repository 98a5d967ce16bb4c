"""Consent and data-quality flags end to end, without a frontend in the way: the engine ends a declined session
(and reopens it ended), simulated participants agree and attend, and the export, CONSORT counts, the analysis'
sample header and cell counts and the CONSORT diagram all count a decline as declined, never as incomplete."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from placebolab.allocation.audit import audit_study
from placebolab.allocation.consort import consort_counts
from placebolab.analysis import load_export
from placebolab.analysis.plan import analysed_sample, cell_counts
from placebolab.errors import AlreadyEnrolled, SessionError
from placebolab.export import export_study
from placebolab.report.consort_diagram import consort_view
from placebolab.session import Session, VirtualClock
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from placebolab.study import Study

from .protocols import consent_sha256, write_consent_protocol


@pytest.fixture
def study(tmp_path):
    opened = Study.init(write_consent_protocol(tmp_path / "protocol"), tmp_path / "study", seed=5)
    yield opened
    opened.close()


def answer_all(session, clock, values):
    while (current := session.current()) is not None:
        shown = clock.now()
        clock.advance(values.get(current.key, ({}, 10))[1])
        session.submit(current.key, values.get(current.key, ({}, 10))[0], shown)


def test_a_declined_session_ends_stays_ended_and_is_counted_as_declined(study):
    clock = VirtualClock(1_800_000_000.0)
    declined = Session.start(study, "P1", {}, "console", clock)
    declined.submit("consent", {"": 0}, clock.now(), detail={"consent_checked": []})
    assert declined.declined_at == "consent" and declined.current() is None and declined.finished
    with pytest.raises(SessionError, match="nothing more to submit"):
        declined.submit("itch", {"": 3}, clock.now())
    reopened = Session.open(study, "P1", "console", clock)
    assert reopened.declined_at == "consent" and reopened.current() is None
    assert study.store.participant("P1").status == "running"  # never completed: the audit agrees
    with pytest.raises(SessionError, match="declined consent"):
        Session.resume(study, "P1", "console", clock)
    with pytest.raises(AlreadyEnrolled, match="declined consent"):
        Session.ensure_new(study, "P1")

    completed = Session.start(study, "P2", {}, "console", clock)
    answer_all(
        completed,
        clock,
        {
            "consent": ({"": 1}, 30),
            "itch": ({"": 4}, 0.5),
            "expectancy": ({"relief": 3, "attend": 1}, 30),
            "attend_rating": ({"": 7}, 30),
        },
    )
    assert study.store.participant("P2").status == "completed"
    stopped = Session.start(study, "P3", {}, "console", clock)  # agreed, then stopped: incomplete
    stopped.submit("consent", {"": 1}, clock.now())
    assert audit_study(study).problems == []

    out = export_study(study)
    wide = pd.read_csv(out / "wide.csv").set_index("participant")
    assert wide["status"].to_dict() == {"P1": "declined", "P2": "completed", "P3": "incomplete"}
    assert wide.loc["P2", ["attention_failed", "too_fast_steps"]].tolist() == [1, 1]
    assert wide["honeypot"].isna().all()  # nobody answered online
    steps = pd.read_csv(out / "steps.csv")
    consent_rows = steps[steps["step"] == "consent"]
    assert {json.loads(d)["consent_sha256"] for d in consent_rows["detail"]} == {consent_sha256()}
    assert consent_rows["too_fast"].isna().all()  # P3 agreed at once, but a consent is no answer on a scale

    counts = consort_counts(study)
    cells = counts["cells"]
    by_person = {p.id: p.cell for p in study.store.participants()}
    for cell, c in cells.items():
        members = [p for p, of in by_person.items() if of == cell]
        assert c["declined_consent"] == ("P1" in members)
        assert c["incomplete"] == ("P3" in members)
        assert c["received"] == len(members) - ("P1" in members)
        assert c["allocated"] == c["analysed"] + c["pilot"] + c["incomplete"] + c["declined_consent"] + sum(
            c[k] for k in ("withdrawn", "excluded", "allocated_in_error")
        )
    assert counts["declined_consent"] == 1

    exported = load_export(out)
    _, header = analysed_sample(exported)
    assert (header["n_declined_consent"], header["n_incomplete"], header["n_analysed"]) == (1, 1, 1)
    per_cell = cell_counts(exported).set_index("cell")
    assert per_cell["n_declined"].sum() == 1 and per_cell["n_incomplete"].sum() == 1
    assert per_cell.loc[by_person["P2"], "n_attention_failed"] == 1
    assert per_cell.loc[by_person["P2"], "n_too_fast"] == 1
    lines = [line for box in consort_view(counts)["boxes"] for line in box["lines"]]
    assert "declined consent: 1" in lines and "  declined consent: 1" in lines


def test_simulated_participants_agree_and_attend(study):
    ids = simulate_study(study, 6, load_effects(None, study.protocol), seed=3)
    assert len(ids) == 6
    assert {p.status for p in study.store.participants()} == {"completed"}
    wide = pd.read_csv(export_study(study) / "wide.csv")
    assert set(wide["status"]) == {"completed"} and set(wide["attention_failed"]) == {0}
    assert consort_counts(study)["declined_consent"] == 0


def test_a_decline_is_stored_and_read_back_alike_on_each_backend(tmp_path, backend, monkeypatch):
    protocol = write_consent_protocol(tmp_path / "protocol")
    with Study.init(protocol, tmp_path / "study", seed=5, store_url=backend) as opened:
        clock = VirtualClock(1_800_000_000.0)
        Session.start(opened, "P1", {}, "web", clock).submit("consent", {"": 0}, clock.now())
        Session.start(opened, "P2", {}, "web", clock).submit("consent", {"": 1}, clock.now())
        assert opened.store.step_values("P1", "consent") == {"": 0.0}
        queries = []  # opening a session reads the store once: its participant, steps and consent together
        monkeypatch.setattr(
            opened.store, "_rows", lambda *args, read=opened.store._rows: queries.append(1) or read(*args)
        )
        assert Session.open(opened, "P1", "web", clock).declined_at == "consent"
        assert Session.open(opened, "P2", "web", clock).declined_at is None
        assert len(queries) == 2
        monkeypatch.undo()
        assert consort_counts(opened)["declined_consent"] == 1
        assert audit_study(opened).problems == []
