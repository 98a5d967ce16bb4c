"""Steps and responses come back in the order they were recorded (``Store.rows``, and so every export), whatever
the SQLite layout: a new store's WITHOUT ROWID tables carry that order in columns (``steps.event``,
``responses.position``), and a store made before them (rowid tables without those columns) still records and
exports in the order written."""

from __future__ import annotations

import sqlite3

from placebolab.allocation.audit import audit_study
from placebolab.export.tables import long_table
from placebolab.session import Session, VirtualClock
from placebolab.study import Study
from tests.conftest import FLAGSHIP
from tests.engine.test_session import INTAKE, answer_for

#: steps and responses as a store made before they carried their order held them
ROWID_TABLES = """
DROP TABLE responses; DROP TABLE steps;
CREATE TABLE steps (participant TEXT NOT NULL REFERENCES participants(id), step_key TEXT NOT NULL,
    step TEXT NOT NULL, occasion TEXT, shown_at REAL NOT NULL, completed_at REAL NOT NULL, frontend TEXT NOT NULL,
    detail TEXT, PRIMARY KEY (participant, step_key));
CREATE TABLE responses (participant TEXT NOT NULL REFERENCES participants(id), step_key TEXT NOT NULL,
    item TEXT NOT NULL DEFAULT '', value REAL, rt REAL, responded_at REAL NOT NULL,
    PRIMARY KEY (participant, step_key, item),
    FOREIGN KEY (participant, step_key) REFERENCES steps(participant, step_key));
"""


def interleaved_sessions(study) -> list[tuple[str, str]]:
    """Two participants answering in turn, each step a moment after the other's (P002's clock runs behind, so
    ordering by time would not give the order of recording): the (participant, step key) recorded, in order."""
    sessions = [
        Session.start(study, pid, INTAKE, "test", VirtualClock(start=start))
        for pid, start in (("P001", 2_000_000.0), ("P002", 1_000_000.0))
    ]
    recorded = []
    while any(s.current() is not None for s in sessions):
        for session in sessions:
            current = session.current()
            if current is None:
                continue
            if current.not_before:
                session.clock.sleep_until(current.not_before)
            session.submit(current.key, answer_for(current), session.clock.now())
            session.clock.advance(2)
            recorded.append((session.participant.id, current.key))
    return recorded


def expected_responses(study, recorded):
    """Each recorded step's items in the order the step asks them (not sorted: expectancy asks relief first)."""
    plans = {
        pid: {o.key: o for o in study.protocol.plans[study.store.participant(pid).cell]} for pid in ("P001", "P002")
    }
    return [(pid, key, item.id) for pid, key in recorded for item in plans[pid][key].items if item.kind != "ack"]


def check_order(study) -> None:
    recorded = interleaved_sessions(study)
    assert [(r["participant"], r["step_key"]) for r in study.store.rows("steps")] == recorded
    responses = [(r["participant"], r["step_key"], r["item"]) for r in study.store.rows("responses")]
    assert responses == expected_responses(study, recorded)
    assert [i for p, k, i in responses if (p, k) == ("P001", "expectancy")] == [
        "relief",
        "logical",
        "confident",
        "doubt",
    ]
    long = long_table(study)
    assert list(zip(long.participant, long.item, strict=True)) == [(p, i) for p, _, i in responses]
    assert audit_study(study).problems == []


def test_a_new_store_returns_steps_and_responses_in_the_order_recorded(tmp_path):
    with Study.init(FLAGSHIP, tmp_path / "study", seed=3) as study:
        tables = dict(study.store._db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
        assert all(tables[name].endswith("WITHOUT ROWID") for name in ("steps", "responses"))
        check_order(study)


def test_a_store_made_before_rows_carried_their_order_still_records_and_exports_in_order(tmp_path):
    Study.init(FLAGSHIP, tmp_path / "study", seed=3).close()
    with sqlite3.connect(tmp_path / "study" / "study.db") as db:
        db.executescript(ROWID_TABLES)
    with Study.open(tmp_path / "study") as study:
        check_order(study)
