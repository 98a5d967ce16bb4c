"""A study made before drafts existed (no table ``drafts``, no station functions for it) still opens and runs:
SQLite adds the table at the first draft; on PostgreSQL the owner's opening adds it, and a station that may
not keeps no drafts (and says so) until then."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from placebolab.allocation.audit import audit_study
from placebolab.errors import StoreError
from placebolab.session import Session
from placebolab.store import Answer
from placebolab.study import Study
from tests.conftest import FLAGSHIP, station_folder
from tests.engine.test_drafts import to_expectancy

DROP_PG = (
    "DROP FUNCTION save_drafts(TEXT, TEXT, DOUBLE PRECISION, TEXT[], DOUBLE PRECISION[], DOUBLE PRECISION[], "
    "DOUBLE PRECISION[]); DROP FUNCTION discard_drafts(TEXT, TEXT); DROP TABLE drafts"
)


def run_through_expectancy_with_a_stop(study) -> None:
    """Two answers kept, a stop, a resume: the step commits all four, and the audit passes."""
    session, clock = to_expectancy(study)
    onset = clock.now()
    session.current().drafts.save({"relief": 7, "logical": 6}, onset)
    resumed = Session.resume(study, "P001", "test", clock)
    assert {i: a.value for i, a in resumed.current().kept.items()} == {"relief": 7, "logical": 6}
    resumed.submit("expectancy", {"confident": 8, "doubt": 2}, clock.now())
    values = {r["item"]: r["value"] for r in study.store.rows("responses") if r["step_key"] == "expectancy"}
    assert values == {"relief": 7, "logical": 6, "confident": 8, "doubt": 2}
    assert study.store.drafts("P001") == {}
    assert audit_study(study).problems == []


def test_an_sqlite_study_made_before_drafts_opens_and_gets_its_table_at_the_first_draft(tmp_path):
    Study.init(FLAGSHIP, tmp_path / "study", seed=3).close()
    path = tmp_path / "study" / "study.db"
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE drafts")  # the schema of a study made before drafts existed
    study = Study.open(tmp_path / "study")
    try:
        assert study.store.drafts("P001") == {} and study.store.keeps_drafts
        assert audit_study(study).problems == []
        run_through_expectancy_with_a_stop(study)
    finally:
        study.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM drafts").fetchone() == (0,)


def test_a_postgresql_study_made_before_drafts_gets_them_when_its_owner_opens_it(tmp_path, pg_url):
    Study.init(FLAGSHIP, tmp_path / "owner", seed=3, store_url=pg_url).close()
    with psycopg.connect(pg_url, autocommit=True, options="-c search_path=placebolab") as db:
        db.execute(DROP_PG)
    study = Study.open(tmp_path / "owner")
    try:
        assert study.store.keeps_drafts
        run_through_expectancy_with_a_stop(study)
    finally:
        study.close()


def test_a_station_on_a_postgresql_study_made_before_drafts_runs_without_them(tmp_path, pg_url):
    server_study = Study.init(FLAGSHIP, tmp_path / "owner", seed=3, store_url=pg_url)
    server_study.store._db.execute(DROP_PG)
    server_study.close()
    station = Study.open(station_folder(tmp_path, pg_url, "bob"))
    try:
        assert not station.store.keeps_drafts
        session, clock = to_expectancy(station)
        assert session.current().drafts is None  # the frontends then say a stop loses this step's answers
        session.submit("expectancy", {"relief": 7, "logical": 6, "confident": 8, "doubt": 2}, clock.now())
        assert station.store.drafts("P001") == {}
        with pytest.raises(StoreError, match="made before drafts existed"):
            station.store.save_drafts("P001", "check", clock.now(), [Answer("warm", 3, 1, clock.now())])
    finally:
        station.close()
    reopened = Study.open(server_study.folder)  # the owner's opening adds them
    try:
        assert reopened.store.keeps_drafts and reopened.store._has_table("drafts")
    finally:
        reopened.close()
