"""Which commits wait for the disk (store/base.py: ``waits_for_disk``): every answer, mark and completion does;
a page without answers does not, and the connection waits again at once afterwards, whatever happened. These
tests peek at each backend's connection (``_db``): what they check is how the commit was made, which the
``Store`` interface does not show."""

from __future__ import annotations

import sqlite3

import pytest

from placebolab.errors import StoreError
from placebolab.store import Answer, StepRecord
from placebolab.store.base import waits_for_disk
from tests.store.test_conformance import INTAKE, baseline


def welcome(at: float) -> StepRecord:
    return StepRecord("welcome", "welcome", None, at, at + 4.0, "test")


@pytest.mark.parametrize(
    ("record", "completes", "waits"),
    [
        (welcome(1.0), False, False),  # a text page
        (welcome(1.0), True, True),  # the session's last page completes it
        (baseline(1.0), False, True),  # an answer (and a mark)
        (StepRecord("cream", "cream", None, 1.0, 2.0, "test", mark="t0"), False, True),  # a pause's mark
        (StepRecord("q", "q", None, 1.0, 2.0, "test", [Answer("a", None, 1.0, 2.0)]), False, True),  # skipped: a row
    ],
    ids=["text", "last page", "answer", "mark", "skipped answer"],
)
def test_only_a_page_without_answers_mark_or_completion_does_not_wait(record, completes, waits):
    assert waits_for_disk(record, completes) is waits


def _traced(db: sqlite3.Connection) -> list[str]:
    statements: list[str] = []
    db.set_trace_callback(lambda statement: statements.append(statement.split(" VALUES")[0]))
    return statements


def test_sqlite_commits_a_text_page_without_fsync_and_waits_again_after(tmp_path):
    from placebolab.study import Study
    from tests.conftest import FLAGSHIP

    with Study.init(FLAGSHIP, tmp_path / "study", seed=1) as study:
        store, db = study.store, study.store._db
        store.enrol("P001", "sex=female", INTAKE, start=(1000.0, "test"))
        statements = _traced(db)
        store.record_step("P001", welcome(1001.0))
        store.record_step("P001", baseline(1006.0))
        db.set_trace_callback(None)
        assert statements[:2] == ["PRAGMA synchronous = NORMAL", "BEGIN IMMEDIATE"]
        first_commit = statements.index("COMMIT")
        assert statements[first_commit + 1] == "PRAGMA synchronous = FULL"
        assert statements.count("PRAGMA synchronous = NORMAL") == 1  # the answer's commit waits
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        with pytest.raises(StoreError, match="already recorded"):  # a refused page: FULL again all the same
            store.record_step("P001", welcome(1010.0))
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2
        other = sqlite3.connect(store.path)  # committed: another station sees it at once
        assert [r[0] for r in other.execute("SELECT step_key FROM steps ORDER BY event")] == [
            "welcome",
            "itch_baseline",
        ]
        other.close()


def test_sqlite_under_group_commit_syncs_the_wal_once_for_every_answer_since_the_last_sync(tmp_path, monkeypatch):
    """``group_commit`` (a web server): no commit waits; an answer leaves the store behind until ``sync``
    fdatasyncs the WAL, the one file a FULL commit syncs in WAL mode; a text page leaves it as it was."""
    import os

    from placebolab.store import sqlite as backend
    from placebolab.study import Study
    from tests.conftest import FLAGSHIP

    synced: list[tuple[int, int]] = []
    monkeypatch.setattr(backend, "_fdatasync", lambda fd: synced.append((os.fstat(fd).st_dev, os.fstat(fd).st_ino)))
    with Study.init(FLAGSHIP, tmp_path / "study", seed=1) as study:
        store, db = study.store, study.store._db
        disk = store.group_commit()
        assert store.group_commit() is disk and not disk.behind()
        statements = _traced(db)
        store.enrol("P001", "sex=female", INTAKE, start=(1000.0, "test"))
        assert disk.behind()
        disk.sync()
        store.record_step("P001", welcome(1001.0))
        assert not disk.behind()  # a text page: nothing waits for it
        store.record_step("P001", baseline(1006.0))
        store.record_step("P001", StepRecord("cream", "cream", None, 1010.0, 1011.0, "test", mark="t0"))
        assert disk.behind()
        disk.sync()
        disk.sync()  # nothing new: no fsync
        db.set_trace_callback(None)
        wal = os.stat(f"{store.path}-wal")
        assert synced == [(wal.st_dev, wal.st_ino)] * 2 and not disk.behind()
        assert not any(s.startswith("PRAGMA synchronous") for s in statements)
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL throughout


def test_postgres_turns_synchronous_commit_off_for_a_text_page_only(tmp_path, pg_url):
    from placebolab.study import Study
    from tests.conftest import FLAGSHIP

    with Study.init(FLAGSHIP, tmp_path / "study", seed=1, store_url=pg_url) as study:
        store, db = study.store, study.store._db
        before = db.execute("SHOW synchronous_commit").fetchone()[0]
        store.enrol("P001", "sex=female", INTAKE, start=(1000.0, "test"))
        sent: list[bool] = []
        execute = db.execute

        def spy(query, params=None, **options):
            if "record_step(" in str(query):
                sent.append(params[0])
            return execute(query, params, **options)

        db.execute = spy
        try:
            store.record_step("P001", welcome(1001.0))
            store.record_step("P001", baseline(1006.0))
        finally:
            del db.execute
        assert sent == [False, True]  # whether the commit waits: the page's does not, the answer's does
        assert db.execute("SHOW synchronous_commit").fetchone()[0] == before  # SET LOCAL: the transaction's only
        assert store.completed_steps("P001") == {"welcome", "itch_baseline"}
