"""PostgreSQL's change notices (store/postgres_changes.sql): a commit that writes a participant's rows names them
to every connection watching (``Store.watch_changes``), so that web workers keep each other's sessions
(frontends/web/kept_sessions.py). A refused write and a log entry for nobody name no one; a study made before the
notices gets them at its owner's next opening, and until then a station's store says it cannot tell."""

from __future__ import annotations

import time

import psycopg
import pytest

from placebolab.errors import StoreError
from placebolab.study import Study
from tests.conftest import FLAGSHIP, station_folder
from tests.store.test_conformance import INTAKE, baseline

DROP_NOTICES = "DROP FUNCTION notify_change() CASCADE"  # and its triggers


def names(watch, expected: set[str]) -> set[str]:
    """The participants ``watch`` names until it has named ``expected`` (at most 5 s: a notice comes moments after
    its commit)."""
    deadline, named = time.monotonic() + 5, set()
    while not expected <= named and time.monotonic() < deadline:
        named |= watch.changed()
        time.sleep(0.005)
    return named


@pytest.fixture
def study(tmp_path, pg_url):
    with Study.init(FLAGSHIP, tmp_path / "owner", seed=3, store_url=pg_url) as made:
        yield made


def test_each_commit_names_the_participants_it_wrote_for_and_nothing_else_names_anyone(study):
    watch = study.store.watch_changes()
    assert watch.changed() is None
    other = Study.open(study.folder, writing=True)
    try:
        other.store.enrol("P001", "sex=female", INTAKE, start=(1000.0, "test"))
        other.store.enrol("P002", "sex=female", INTAKE, start=(1000.0, "test"))
        assert names(watch, {"P001", "P002"}) == {"P001", "P002"}
        other.store.record_step("P001", baseline(1010.0))
        assert names(watch, {"P001"}) == {"P001"}
        with pytest.raises(StoreError):
            other.store.record_step("P001", baseline(1020.0))  # recorded already: refused, rolled back
        other.store.log("unblinded", None, {"by": "test"})  # the study's own entry: nobody's session
        other.store.record_step("P002", baseline(1030.0))  # notices come in commit order: this one comes last
        assert names(watch, {"P002"}) == {"P002"}
    finally:
        other.close()


def test_a_study_made_before_the_notices_gets_them_when_its_owner_opens_it(study, tmp_path, pg_url):
    study.store._db.execute(DROP_NOTICES)
    station = Study.open(station_folder(tmp_path, pg_url, "bob"), writing=True)
    try:
        assert station.watch_changes() is None  # a web server on this opening reads the store at every request
    finally:
        station.close()
    reopened = Study.open(study.folder)  # the owner's
    try:
        watch = reopened.watch_changes()
        assert watch is not None and watch.changed() is None
        study.store.enrol("P001", "sex=female", INTAKE)
        assert names(watch, {"P001"}) == {"P001"}
    finally:
        reopened.close()
    with psycopg.connect(pg_url, autocommit=True) as db:
        (triggers,) = db.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'notify_change'").fetchone()
    assert triggers == 2


def test_a_watch_listens_only_once_it_is_asked(study):
    """`serve --workers N` makes the app in its parent process too, which serves nothing: a connection listening
    there would never read its notices, and PostgreSQL keeps every notice until each listener has read it."""

    def listening() -> bool:
        return bool(study.store._db.execute("SELECT count(*) FROM pg_listening_channels()").fetchone()[0])

    watch = study.store.watch_changes()
    assert not listening()
    assert watch.changed() is None and listening()
