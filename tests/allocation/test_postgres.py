"""The PostgreSQL store: experimenters allocate through one function and cannot read the list; bad URLs,
wrong logins and second inits are one clear error each, with nothing changed."""

from __future__ import annotations

import psycopg
import pytest

from placebolab.errors import AllocationError, StoreError
from placebolab.session import Session, VirtualClock
from placebolab.store.postgres import PostgresStore
from placebolab.study import CONFIG_NAME, Study
from tests.conftest import FLAGSHIP, station_folder

INTAKE = {"sex": "female", "age": "31", "name": "Robin"}


@pytest.fixture
def server_study(tmp_path, pg_url):
    study = Study.init(FLAGSHIP, tmp_path / "owner", seed=5, store_url=pg_url)
    yield study
    study.close()


@pytest.fixture
def station(tmp_path, pg_url, server_study):
    """A station's study folder that logs in as an experimenter: a login role granted <db>_experimenter."""
    study = Study.open(station_folder(tmp_path, pg_url, "alice"))
    yield study
    study.close()


def test_init_on_a_server_writes_the_url_and_no_local_store(server_study, pg_url):
    config = (server_study.folder / CONFIG_NAME).read_text()
    assert pg_url in config and not (server_study.folder / "study.db").exists()
    from placebolab.allocation import generate_slots

    slots = len(generate_slots(server_study.protocol, 5))
    assert server_study.store.allocation_summary() == {"allocated": 0, "slots": slots}


def test_the_experimenter_allocates_runs_and_logs_but_cannot_read_the_list(station, server_study):
    clock = VirtualClock()
    session = Session.start(station, "P001", INTAKE, "test", clock)
    current = session.current()
    session.submit(current.key, {}, clock.now())
    assert station.store.participant("P001").cell == session.participant.cell
    asked = {current.key, "expectancy"}  # the station may read what opening a session reads
    assert station.store.session_state("P001", asked) == server_study.store.session_state("P001", asked)
    assert Session.open(station, "P001", "test", clock).position.index == 1
    assert station.store.allocation_summary()["allocated"] == 1
    with pytest.raises(StoreError, match="the allocation list is concealed from this login"):
        station.store.rows("allocation")
    with pytest.raises(StoreError, match="concealed from this login"):
        station.store.sealed()
    db = station.store._db  # the raw connection: no SQL at all reaches the list
    for query in ("SELECT * FROM allocation", "SELECT * FROM sealed", "UPDATE allocation SET cell = 'x'"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute(query)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # the log only grows through append_event
        db.execute("INSERT INTO events VALUES (999, 'now', NULL, 'forged', NULL, 'x')")
    # the owner sees the slot the experimenter was given
    taken = [r for r in server_study.store.rows("allocation") if r["participant"] == "P001"]
    assert [r["cell"] for r in taken] == [session.participant.cell]


def test_an_unreachable_server_is_one_line_and_makes_nothing(tmp_path):
    with pytest.raises(StoreError, match=r"cannot connect to the study store postgresql://postgres@127.0.0.1:1/x"):
        Study.init(FLAGSHIP, tmp_path / "s", store_url="postgresql://postgres@127.0.0.1:1/x")
    assert not (tmp_path / "s").exists()


def test_a_wrong_login_is_one_line_and_hides_the_password(tmp_path, pg_url):
    url = pg_url.replace("postgresql://postgres@", "postgresql://nobody_here:secret@")
    with pytest.raises(StoreError) as caught:
        Study.init(FLAGSHIP, tmp_path / "s", store_url=url)
    message = str(caught.value)
    assert "nobody_here" in message and "secret" not in message and "\n" not in message
    assert not (tmp_path / "s").exists()


def test_a_database_already_holding_a_study_is_refused_unchanged(tmp_path, pg_url, server_study):
    server_study.store.enrol("P001", "sex=male", {"sex": "male"})
    with pytest.raises(StoreError, match="already holds a placebolab study"):
        Study.init(FLAGSHIP, tmp_path / "second", store_url=pg_url)
    assert not (tmp_path / "second").exists()
    assert [p.id for p in server_study.store.participants()] == ["P001"]
    with pytest.raises(StoreError, match="already an initialised study"):
        Study.init(FLAGSHIP, server_study.folder, store_url=pg_url)


def test_a_store_option_that_is_not_postgresql_is_refused(tmp_path):
    with pytest.raises(StoreError, match="only postgresql://"):
        Study.init(FLAGSHIP, tmp_path / "s", store_url="mysql://x@y/z")
    assert not (tmp_path / "s").exists()


def test_a_bad_study_toml_names_the_file_and_the_expected_shape(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / CONFIG_NAME).write_text("[store]\nurl = 'sqlite:///x'\n")
    with pytest.raises(StoreError, match="store.url must be a postgresql:// URL"):
        Study.open(folder)
    (folder / CONFIG_NAME).write_text("[stor]\n")
    with pytest.raises(StoreError, match=r"must hold \[store\]"):
        Study.open(folder)


def test_a_database_without_a_study_is_named(pg_url):
    with pytest.raises(StoreError, match="holds no placebolab study"):
        PostgresStore.open(pg_url)


def test_allocation_errors_change_nothing(flagship_study):
    store = flagship_study.store
    store.enrol("P001", "sex=male", {"sex": "male"})
    before = (store.allocation_summary(), len(store.rows("events")))
    with pytest.raises(AllocationError, match="P001 already has an allocation"):
        store.enrol("P001", "sex=female", {"sex": "female"})
    with pytest.raises(AllocationError, match="stratum 'sex=robot' is not in this study's allocation list"):
        store.enrol("P002", "sex=robot", {"sex": "robot"})
    assert (store.allocation_summary(), len(store.rows("events"))) == before
    assert store.participant("P002") is None


def test_cli_init_with_an_unreachable_store_is_one_line_exit_4(tmp_path):
    from click.testing import CliRunner

    from placebolab.cli import main

    result = CliRunner().invoke(
        main, ["init", str(FLAGSHIP), str(tmp_path / "s"), "--store", "postgresql://postgres@127.0.0.1:1/x"]
    )
    assert result.exit_code == 4
    assert result.output.startswith("error: cannot connect to the study store postgresql://postgres@127.0.0.1:1/x")
    assert result.output.count("\n") == 1 and not (tmp_path / "s").exists()


def test_an_experimenter_station_allocates_by_minimization_without_reading_the_numbers(tmp_path, pg_url):
    from collections import Counter

    from placebolab.allocation.audit import audit_study
    from tests.allocation.helpers import flagship_variant

    protocol = flagship_variant(tmp_path, "  scheme: minimization\n  strata: [sex]\n  target_n: 40\n")
    owner = Study.init(protocol, tmp_path / "owner", seed=2, store_url=pg_url)
    station = Study.open(station_folder(tmp_path, pg_url, "bob"))
    try:
        for i in range(12):
            Session.start(station, f"M{i:02d}", {"sex": "male", "age": "30", "name": "Bo"}, "test", VirtualClock())
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            station.store._db.execute("SELECT u, v FROM allocation")
        counts = Counter(p.cell for p in station.store.participants())
        assert sum(counts.values()) == 12 and max(counts.values()) - min(counts.values()) <= 2  # seeded
        report = audit_study(owner)
        assert report.intact, report.problems
    finally:
        station.close()
        owner.close()


def test_the_cli_runs_a_whole_study_on_a_server(tmp_path, pg_url):
    """init --store, simulate, status, withdraw, export --blinded, audit: all through study.toml."""
    from click.testing import CliRunner

    from placebolab.cli import main

    runner = CliRunner()
    folder = str(tmp_path / "s")
    made = runner.invoke(main, ["init", str(FLAGSHIP), folder, "--store", pg_url, "--seed", "7"])
    assert made.exit_code == 0, made.output
    assert "list commitment:" in made.output and f"store:            {pg_url}" in made.output
    again = runner.invoke(main, ["init", str(FLAGSHIP), str(tmp_path / "t"), "--store", pg_url])
    assert again.exit_code == 4 and "already holds a placebolab study" in again.output
    assert runner.invoke(main, ["simulate", folder, "-n", "8", "--seed", "1"]).exit_code == 0
    assert runner.invoke(main, ["withdraw", folder, "-p", "SIM0002", "--reason", "left early"]).exit_code == 0
    shown = runner.invoke(main, ["status", folder])
    assert "8 enrolled" in shown.output and "withdrawn — left early" in shown.output
    assert runner.invoke(main, ["export", folder, "--blinded"]).exit_code == 0
    assert (tmp_path / "s" / "export-blinded" / "consort.json").is_file()
    audited = runner.invoke(main, ["audit", folder])
    assert audited.exit_code == 0 and "intact" in audited.output, audited.output


# --- item 14: the experimenter role can do only what a station must ---


def _refused(db, query: str, error=psycopg.Error, match: str | None = None) -> None:
    """``query`` as the experimenter, in a transaction, fails with ``error`` (message matching ``match``)."""
    with pytest.raises(error, match=match), db.transaction():
        db.execute(query)


def _audit_intact(owner) -> None:
    from placebolab.allocation.audit import audit_study

    report = audit_study(owner)
    assert report.intact and not report.notes, (report.problems, report.notes)


def test_the_experimenter_cannot_write_the_log_or_the_tables_directly(station, server_study):
    clock = VirtualClock()
    Session.start(station, "P001", INTAKE, "test", clock)
    db = station.store._db
    denied = psycopg.errors.InsufficientPrivilege
    # a fake withdrawal or unblinding: append_event is the owner's alone
    _refused(db, "SELECT append_event('P001', 'withdrawn', '{\"reason\": \"x\"}')", error=denied)
    _refused(db, "SELECT append_event(NULL, 'unblinded', NULL)", error=denied)
    with pytest.raises(StoreError, match="only the study's owner records 'withdrawn'"):
        station.store.correct("P001", "withdrawn", "forged", "mallory")
    with pytest.raises(StoreError, match="only the study's owner records 'unblinded'"):
        station.store.log("unblinded", None, {"by": "mallory"})
    # no direct writes at all: status, flags, answers, the log
    for query in (
        "UPDATE participants SET status = 'completed' WHERE id = 'P001'",
        "UPDATE participants SET pilot = 1",
        "INSERT INTO steps VALUES ('P001', 'x', 'x', NULL, 1, 2, 'test', NULL)",
        "INSERT INTO responses VALUES ('P001', 'welcome', '', 1, 1, 1)",
        "DELETE FROM events WHERE id > 1",
        "LOCK TABLE events IN EXCLUSIVE MODE",
    ):
        _refused(db, query, error=denied)
    # completing a session whose steps are not recorded is refused by the server
    with pytest.raises(StoreError, match="P001 cannot be completed: steps welcome.* are not recorded"):
        station.store.complete("P001")
    _refused(db, "SELECT complete_session('P001')", match="cannot be completed")
    assert station.store.participant("P001").status == "running"
    _audit_intact(server_study)


def test_forged_minimization_candidates_cannot_reach_the_list(station, server_study):
    """The old call passed the candidates; now the server scores them, and a list of fixed cells is never rewritten."""
    before = [dict(r) for r in server_study.store.rows("allocation")]
    db = station.store._db
    _refused(
        db,
        "SELECT allocate_minimized('X1', '', '{}', false, false, ARRAY['warm/high'], ARRAY[]::text[], 1.0, '{}')",
        error=psycopg.errors.UndefinedFunction,
    )
    _refused(
        db,
        "SELECT allocate_minimized('X1', 'sex=male', '{\"sex\": \"male\"}', false, false)",
        match="does not allocate by minimization",
    )
    assert [dict(r) for r in server_study.store.rows("allocation")] == before
    assert station.store.participant("X1") is None
    _audit_intact(server_study)


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("SELECT allocate('X1', 'sex=male', '{not json', false, false)", "the intake is not valid JSON"),
        ("SELECT allocate('X1', 'sex=male', '[1, 2]', false, false)", "the intake must be a JSON object"),
        ("SELECT allocate('X1', 'sex=male', '{\"sex\": {\"a\": 1}}', false, false)", "each field to one value"),
        ("SELECT allocate('X 1', 'sex=male', '{}', false, false)", "is not a participant ID"),
        (
            "SELECT record_step('P001', 'welcome', 'welcome', NULL, 1, 2, 'test', '{bad', ARRAY[]::text[], "
            "ARRAY[]::float8[], ARRAY[]::float8[], ARRAY[]::float8[], NULL, repeat('a', 64), false)",
            "the step's detail is not valid JSON",
        ),
        (
            "SELECT record_step('P001', 'forged_step', 'x', NULL, 1, 2, 'test', NULL, ARRAY[]::text[], "
            "ARRAY[]::float8[], ARRAY[]::float8[], ARRAY[]::float8[], NULL, repeat('a', 64), false)",
            "step forged_step is not a step of participant P001's timeline",
        ),
        (
            "SELECT record_step('P001', 'welcome', 'welcome', NULL, 1, 2, 'test', NULL, ARRAY['a'], "
            "ARRAY[]::float8[], ARRAY[]::float8[], ARRAY[]::float8[], NULL, repeat('a', 64), false)",
            "must be as many",
        ),
        ("SELECT start_session('NOBODY', 1, 'test')", "participant NOBODY is not enrolled"),
    ],
    ids=[
        "intake-not-json",
        "intake-array",
        "intake-nested",
        "bad-id",
        "detail-not-json",
        "unknown-step",
        "ragged",
        "not-enrolled",
    ],
)
def test_malformed_station_input_is_refused_and_every_station_still_reads(station, server_study, query, match):
    Session.start(station, "P001", INTAKE, "test", VirtualClock())
    _refused(station.store._db, query, match=match)
    assert [p.id for p in station.store.participants()] == ["P001"]  # nothing stored that a station cannot read
    _audit_intact(server_study)


def test_a_held_lock_is_a_clear_error_after_the_timeout_not_a_hang(station, server_study, pg_url):
    import time

    from placebolab.store.postgres import LOCK_TIMEOUT_S

    Session.start(station, "P001", INTAKE, "test", VirtualClock())
    login_url = station.store.url
    with psycopg.connect(login_url, autocommit=True, options="-c search_path=placebolab") as other:
        # the advisory locks the functions took before cannot block anyone any more
        other.execute("SELECT pg_advisory_lock(hashtext('placebolab.events'))")
        other.execute("SELECT pg_advisory_lock(hashtext('placebolab.allocation'), hashtext('sex=male'))")
        Session.start(station, "P002", {**INTAKE, "sex": "male"}, "test", VirtualClock())
        # a station that takes the log's lock and keeps its transaction open
        other.execute("BEGIN")
        other.execute("SELECT start_session('P001', 1, 'test')")
        began = time.monotonic()
        with pytest.raises(StoreError, match=f"log is locked by another station for more than {LOCK_TIMEOUT_S} s"):
            station.store.start_session("P002", 2.0, "test")
        assert LOCK_TIMEOUT_S - 1 < time.monotonic() - began < LOCK_TIMEOUT_S + 10
        other.execute("ROLLBACK")
    assert station.store.start_session("P002", 2.0, "test") is not None  # free again
    _audit_intact(server_study)


def test_a_station_runs_whole_sessions_and_the_owner_corrects(station, server_study):
    from placebolab.simulation.model import load_effects
    from placebolab.simulation.run import simulate_study

    ids = simulate_study(station, 6, load_effects(None, station.protocol), seed=3)
    assert all(station.store.participant(pid).status == "completed" for pid in ids)
    server_study.store.correct(ids[0], "withdrawn", "felt unwell", "owner")
    server_study.store.log("unblinded", None, {"by": "owner", "reason": "locked"})
    _audit_intact(server_study)
    events = station.store.rows("events")
    assert [e["kind"] for e in events[-2:]] == ["withdrawn", "unblinded"]


def test_the_cli_withdraw_as_an_experimenter_is_one_line_exit_4(station, server_study):
    from click.testing import CliRunner

    from placebolab.cli import main

    Session.start(station, "P001", INTAKE, "test", VirtualClock())
    result = CliRunner().invoke(main, ["withdraw", str(station.folder), "-p", "P001", "--reason", "x"])
    assert result.exit_code == 4 and "only the study's owner records 'withdrawn'" in result.output
    assert result.output.count("\n") == 1
    done = CliRunner().invoke(main, ["withdraw", str(server_study.folder), "-p", "P001", "--reason", "x"])
    assert done.exit_code == 0 and "chain head: #" in done.output


def test_a_study_made_without_the_station_functions_says_so(station, server_study):
    """A study made on the server by an older placebolab: a station's write is one clear line, not a crash."""
    server_study.store._db.execute("DROP FUNCTION start_session(TEXT, DOUBLE PRECISION, TEXT)")
    with pytest.raises(StoreError, match="made by an older placebolab, without the station functions"):
        Session.start(station, "P001", INTAKE, "test", VirtualClock())
