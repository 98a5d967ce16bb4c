"""The SQLite store keeps the log's head from its own last transaction instead of reading it at every step
(store/sqlite.py, ``_append``). Another station appending in between must still be chained to: its entry
holds the next number, so the insert is refused and the head read again, within the same transaction."""

from __future__ import annotations

import sqlite3

import pytest

from placebolab.allocation.audit import audit_study
from placebolab.errors import StoreError
from placebolab.store import Answer, StepRecord
from placebolab.store.base import GENESIS, chain_hash
from placebolab.store.sqlite import SQLiteStore
from placebolab.study import Study
from tests.conftest import FLAGSHIP

INTAKE = {"sex": "female", "age": 31, "name": "Robin"}


def _chain_ok(path) -> list[int]:
    """The entries' numbers, after checking each one's hash against the entry before it."""
    db = sqlite3.connect(path)
    prev, ids = GENESIS, []
    for event_id, at, participant, kind, detail, event_hash in db.execute(
        "SELECT id, at, participant, kind, detail, hash FROM events ORDER BY id"
    ):
        assert event_hash == chain_hash(prev, event_id, at, participant, kind, detail), f"entry {event_id}"
        prev = event_hash
        ids.append(event_id)
    db.close()
    return ids


def _step(key: str, at: float) -> StepRecord:
    return StepRecord(key, key, None, at, at + 2.0, "test", [Answer("", 40.0, 2.0, at + 2.0)])


@pytest.fixture
def study(tmp_path):
    study = Study.init(FLAGSHIP, tmp_path / "study", seed=7)
    yield study
    study.close()


def test_two_stations_appending_in_turn_keep_one_unbroken_chain(study):
    one = study.store
    other = SQLiteStore.open(one.path, writing=True)
    try:
        one.enrol("P1", "sex=female", INTAKE, start=(1.0e9, "test"))
        other.enrol("P2", "sex=female", INTAKE, start=(1.0e9, "test"))  # while one keeps its own last head
        one.record_step("P1", _step("itch_baseline", 1.0e9 + 5))  # chains to P2's entries, not to its own
        one.log("note", "P1", {"n": 1})  # its own head again: nothing appended in between
        other.record_step("P2", _step("itch_baseline", 1.0e9 + 6))
        other.log("note", "P2", {"n": 2})
        one.log("note", None, {"n": 3})
    finally:
        other.close()
    ids = _chain_ok(one.path)
    assert ids == list(range(1, len(ids) + 1))  # numbered without gaps
    assert one.head()[0] == ids[-1]
    assert audit_study(study).problems == []


def test_a_rolled_back_transaction_forgets_the_entry_it_appended(study, monkeypatch):
    store = study.store
    store.enrol("P1", "sex=female", INTAKE, start=(1.0e9, "test"))
    before = store.head()

    def fails(participant_id):
        raise StoreError("the disk failed after the step's log entry")

    monkeypatch.setattr(store, "_complete", fails)  # fails after the step's entry was appended, in its transaction
    with pytest.raises(StoreError, match="after the step's log entry"):
        store.record_step("P1", _step("itch_baseline", 1.0e9 + 5), completes_session=True)
    monkeypatch.undo()
    assert store.head() == before  # nothing of it stored
    store.log("note", "P1", {"after": "the failure"})  # chains to the stored head, not to the entry rolled back
    ids = _chain_ok(store.path)
    assert ids == list(range(1, len(ids) + 1))
    assert audit_study(study).problems == []
