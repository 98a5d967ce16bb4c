"""Fixtures for the command-line tests: the `placebolab` command, a short copy of the flagship protocol,
a study initialised from it, and a pseudo-terminal to drive console sessions."""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .ptyterm import Terminal

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "protocols" / "warmth-competence-itch.yaml"
FLAGSHIP_STIMULI = ROOT / "stimuli" / "warmth-competence-itch"
SEED = 20261125
COMMAND_TIMEOUT = 60  # seconds: a hung command fails its test instead of hanging CI


def placebolab_command() -> list[str]:
    """The installed `placebolab` script of this interpreter's environment."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("placebolab", path=path)
    assert found, "the placebolab command is not installed in this environment (pip install -e .)"
    return [found]


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PLACEBOLAB_DEBUG", None)  # errors must be the clean one-liners users see
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run_cli(*args, cwd: Path, input: str | None = None, timeout: float = COMMAND_TIMEOUT) -> Result:
    """Run `placebolab ARGS` in a subprocess (stdin from ``input``, else empty)."""
    done = subprocess.run(
        [*placebolab_command(), *map(str, args)],
        cwd=cwd,
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=timeout,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def write_short_protocol(folder: Path, schedule: str = "[t0+1s, t0+2s]") -> Path:
    """The flagship protocol and its stimuli copied under ``folder``, with the post-cream itch ratings
    at t0+1s and t0+2s (instead of minutes) so a terminal session takes seconds. Nothing else changes."""
    (folder / "protocols").mkdir(parents=True)
    shutil.copytree(FLAGSHIP_STIMULI, folder / "stimuli" / "warmth-competence-itch")
    text = FLAGSHIP.read_text(encoding="utf-8")
    original = "at: [t0+3min, t0+9min, t0+15min]"
    assert text.count(original) == 1, "the flagship's itch_post schedule changed; update this fixture"
    path = folder / "protocols" / "short-itch.yaml"
    path.write_text(text.replace(original, f"at: {schedule}"), encoding="utf-8")
    return path


@pytest.fixture
def short_protocol(tmp_path) -> Path:
    return write_short_protocol(tmp_path)


@pytest.fixture
def study(tmp_path, short_protocol) -> Path:
    """A study folder initialised from the short protocol with `placebolab init`."""
    folder = tmp_path / "study"
    result = run_cli("init", short_protocol, folder, "--seed", SEED, cwd=tmp_path)
    assert result.code == 0, result.stderr
    return folder


@pytest.fixture
def terminal():
    """Start `placebolab ARGS` in a fresh pseudo-terminal: ``terminal(*args, cwd=...)``. Every terminal
    started is killed and closed after the test."""
    started: list[Terminal] = []

    def start(*args, cwd: Path) -> Terminal:
        term = Terminal([*placebolab_command(), *map(str, args)], cwd=cwd, env=cli_env())
        started.append(term)
        return term

    yield start
    for term in started:
        term.close()


# --- reading what a study holds ---------------------------------------------------------------------


def table_dump(study_folder: Path) -> dict[str, list[tuple]]:
    """Every row of every table of the study store, sorted: equal dumps mean nothing stored changed.
    (A hash of study.db would not do: with WAL, committed data may sit in study.db-wal.)"""
    db = sqlite3.connect(f"file:{study_folder / 'study.db'}?mode=ro", uri=True)
    try:
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: sorted(map(tuple, db.execute(f'SELECT * FROM "{name}"')), key=repr) for name in names}
    finally:
        db.close()


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def export(study_folder: Path) -> dict[str, list[dict[str, str]]]:
    """`placebolab export STUDY` and the tables it wrote."""
    result = run_cli("export", study_folder, cwd=study_folder.parent)
    assert result.code == 0, result.stderr
    out = study_folder / "export"
    return {name: read_csv(out / f"{name}.csv") for name in ("long", "wide", "steps")}


def stored_steps(study_folder: Path, participant: str) -> list[str]:
    """The step keys committed for ``participant``, in the order they were completed."""
    db = sqlite3.connect(f"file:{study_folder / 'study.db'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT step_key FROM steps WHERE participant = ? ORDER BY completed_at, event", (participant,)
        )
        return [key for (key,) in rows]
    finally:
        db.close()
