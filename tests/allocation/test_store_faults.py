"""A full disk, a read-only store, a damaged file, a lock held too long: one clear line each, nothing lost.

The errors are SQLite's own, from real files: a connection opened read-only (``mode=ro``: tests may run
as root, whom file permissions do not stop; an experimenter's read-only study.db gives the same
SQLITE_READONLY at the first write), ``PRAGMA max_page_count`` (a real SQLITE_FULL), a file overwritten
with garbage, truncated midway, or with one page overwritten."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import placebolab
from placebolab.allocation.audit import audit_study
from placebolab.errors import StoreError
from placebolab.frontends.base import drive
from placebolab.frontends.simulated import SimulatedFrontend
from placebolab.session import Session, VirtualClock
from placebolab.simulation.model import SimulatedParticipant, load_effects
from placebolab.simulation.run import simulate_study
from placebolab.store.sqlite import failure
from placebolab.study import Study
from tests.conftest import FLAGSHIP, ROOT

INTAKE = {"sex": "female", "age": "31", "name": "Robin"}


@pytest.fixture
def folder(tmp_path) -> Path:
    """A closed SQLite study with three simulated participants."""
    study = Study.init(FLAGSHIP, tmp_path / "study", seed=7)
    simulate_study(study, 3, load_effects(None, study.protocol), seed=7)
    study.close()
    return tmp_path / "study"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def _truncate(path: Path) -> None:
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)


def _damage_events_page(path: Path) -> None:
    """Overwrite the root page of the log: the protocol and stimuli still read, only quick_check sees it."""
    with sqlite3.connect(path) as db:
        (page_size,) = db.execute("PRAGMA page_size").fetchone()
        (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events'").fetchone()
    db.close()
    with path.open("r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(os.urandom(page_size))


# --- the mapping, with the errors real files give --------------------------------------------------


def _read_only(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    db.execute("INSERT INTO meta VALUES ('k', 'v')")


def _full(path):
    db = sqlite3.connect(path, isolation_level=None)
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count = {pages}")
    db.execute("INSERT INTO meta VALUES ('big', ?)", ("x" * 100_000,))


def _locked(path):
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    sqlite3.connect(path, isolation_level=None, timeout=0).execute("BEGIN IMMEDIATE")


def _overwritten(path):
    _garbage(path)
    sqlite3.connect(path).execute("SELECT * FROM meta")


def _truncated(path):
    _truncate(path)
    sqlite3.connect(path).execute("SELECT * FROM files").fetchall()


@pytest.mark.parametrize(
    ("make_error", "code", "says"),
    [
        (_read_only, "SQLITE_READONLY", "could not be written: the file or its folder is read-only"),
        (_full, "SQLITE_FULL", "could not be written: the disk is full (database or disk is full); free some space"),
        (_locked, "SQLITE_BUSY", "stayed locked by another station or program"),
        (_overwritten, "SQLITE_NOTADB", "is damaged (file is not a database); nothing more was written to it"),
        (_truncated, "SQLITE_CORRUPT", "is damaged (database disk image is malformed)"),
    ],
)
def test_each_failure_of_the_file_or_disk_is_one_line_that_says_what_to_do(folder, make_error, code, says):
    path = folder / "study.db"
    with pytest.raises(sqlite3.Error) as raised:
        make_error(path)
    assert raised.value.sqlite_errorname == code  # the real error, not a stand-in
    message = str(failure(raised.value, path))
    assert message.startswith(f"the study store {path} ") and says in message and "\n" not in message
    if code != "SQLITE_NOTADB" and code != "SQLITE_CORRUPT":
        assert "nothing stored before was lost" in message and "--resume" in message
    else:
        assert "restore study.db from your last backup" in message


def test_errors_that_are_bugs_are_not_disguised_as_store_problems(folder):
    db = sqlite3.connect(folder / "study.db")
    for statement in ("SELEC 1", "SELECT nothing FROM meta"):
        with pytest.raises(sqlite3.OperationalError) as raised:
            db.execute(statement)
        assert failure(raised.value, folder / "study.db") is None  # stays an internal error: a bug to report


# --- through the library ---------------------------------------------------------------------------


def test_a_read_only_store_refuses_the_enrolment_and_stores_nothing(folder, monkeypatch):
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda path, **kw: connect(f"file:{path}?mode=ro", uri=True, **kw))
    study = Study.open(folder, writing=True)  # reading works
    with pytest.raises(StoreError, match=r"study.db could not be written: the file or its folder is read-only"):
        Session.start(study, "P001", INTAKE, "test", VirtualClock())
    study.close()
    monkeypatch.undo()
    study = Study.open(folder)
    assert study.store.participant("P001") is None and len(study.store.participants()) == 3
    assert audit_study(study).intact
    study.close()


class _FilmFrontend(SimulatedFrontend):
    """From its fourth step on, every step brings the long frame timing of a film (a write needing new pages)."""

    shown = 0

    def show(self, current):
        response = super().show(current)
        self.shown += 1
        if self.shown < 4:
            return response
        return dataclasses.replace(response, detail={"frame_intervals_s": [1 / 60] * 5000})


def test_a_full_disk_mid_session_loses_no_answer_and_the_session_resumes(folder):
    study = Study.open(folder, writing=True)
    clock, rng = VirtualClock(), np.random.default_rng(1)
    model = load_effects(None, study.protocol)
    session = Session.start(study, "P001", INTAKE, "test", clock)
    (pages,) = study.store._db.execute("PRAGMA page_count").fetchone()
    study.store._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full from now on
    answers = SimulatedParticipant(model, study.protocol, session.participant.cell, rng)
    with pytest.raises(StoreError, match=r"could not be written: the disk is full .*nothing stored before was lost"):
        drive(session, _FilmFrontend(answers, rng, clock))
    assert len(study.store.completed_steps("P001")) == 3
    study.close()

    study = Study.open(folder, writing=True)  # space freed: a new opening, as `run --resume` does
    assert len(study.store.completed_steps("P001")) == 3  # every answer committed before the failure
    resumed = Session.resume(study, "P001", "test", clock)
    drive(resumed, SimulatedFrontend(answers, rng, clock))
    assert study.store.participant("P001").status == "completed"
    assert len(study.store.completed_steps("P001")) == len(session.plan)
    report = audit_study(study)
    assert report.intact, report.problems
    study.close()


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (_damage_events_page, r"is damaged \(.+\); nothing more was written to it: stop, keep a copy"),
        (_garbage, r"is damaged \(file is not a database\)"),
        (_truncate, r"is damaged \(database disk image is malformed\)"),
    ],
)
def test_a_damaged_store_is_found_before_anything_is_written_into_it(folder, damage, says):
    path = folder / "study.db"
    damage(path)
    before = _digest(path)
    with pytest.raises(StoreError, match=says):
        Study.open(folder, writing=True)
    if damage is _damage_events_page:  # opened only to read: still checked before its first write
        study = Study.open(folder)
        with pytest.raises(StoreError, match=says):
            study.store.log("unblinded", None, {"by": "x", "reason": "y"})
        study.close()
    assert _digest(path) == before


# --- through the command line: an exit code and one line, no traceback -----------------------------

# The CLI with SQLite's connections opened read-only, or on a disk with no room left.
_CLI_WITH_FAULT = """
import sqlite3, sys
fault, *args = sys.argv[1:]
connect = sqlite3.connect
def faulty(path, **kw):
    if fault == "read-only":
        return connect(f"file:{path}?mode=ro", uri=True, **kw)
    db = connect(path, **kw)
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count = {pages + 1}")
    return db
sqlite3.connect = faulty
from placebolab.cli import main
sys.argv = ["placebolab", *args]
main()
"""


def _cli(*args, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(placebolab.__file__).parents[1])}
    env.pop("PLACEBOLAB_DEBUG", None)
    command = ["-c", _CLI_WITH_FAULT, fault] if fault else ["-m", "placebolab.cli"]
    done = subprocess.run(
        [sys.executable, *command, *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    return done


def _one_line(done: subprocess.CompletedProcess, says: str) -> None:
    assert done.returncode == 4, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: the study store ") and says in lines[0], done.stderr


def test_cli_read_only_store(folder):
    _one_line(_cli("simulate", folder, "-n", "1", fault="read-only"), "the file or its folder is read-only")


def test_cli_disk_full_keeps_everything_before(folder):
    _one_line(_cli("simulate", folder, "-n", "20", "--seed", "1", fault="disk-full"), "the disk is full")
    status = _cli("status", folder)
    assert status.returncode == 0 and " enrolled " in status.stdout
    audit = _cli("audit", folder)
    assert audit.returncode == 0, audit.stderr + audit.stdout


@pytest.mark.parametrize("damage", [_damage_events_page, _garbage, _truncate])
def test_cli_damaged_store(folder, damage):
    path = folder / "study.db"
    damage(path)
    before = _digest(path)
    _one_line(_cli("simulate", folder, "-n", "1"), "is damaged")
    _one_line(_cli("correct", folder, "-p", "SIM0001", "--as", "withdrawn", "--reason", "r", "--by", "x"), "damaged")
    assert _digest(path) == before
