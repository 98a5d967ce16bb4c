"""Every command that opens a study closes its store, whether it succeeds or refuses: each connection a
command opened (SQLite, or PostgreSQL) is found closed when the command returns. Run in this process
(click's CliRunner), so the connections themselves can be inspected."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from placebolab.cli import main

PROTOCOL = """\
protocol: closing
version: 1.0.0
title: Stores are closed
factors:
  framing: {levels: [plain, warm]}
allocation: {scheme: permuted-blocks, block_sizes: [2], target_n: 20}
intake:
  - {id: age, type: integer, label: Age in years, min: 18, max: 99}
timeline:
  - {id: pain, type: rating, prompt: How strong is the pain now?, scale: nrs-0-10}
analysis:
  primary: {outcome: pain, between: [framing]}
"""

#: (arguments after STUDY, piped input, the exit code): the study already holds P001 (completed) and
#: the simulated SIM0001–SIM0004 when each runs.
COMMANDS = {
    "run": (["run", "{study}", "-p", "P002"], "30\n7\n", 0),
    "run-completed": (["run", "{study}", "-p", "P001"], "", 6),
    "run-stopped-in-intake": (["run", "{study}", "-p", "P003"], "", 8),
    "run-bad-intake": (["run", "{study}", "-p", "P003", "--intake", "age=12"], "", 6),
    "resume-unknown": (["run", "{study}", "-p", "P404", "--resume"], "", 6),
    "simulate": (["simulate", "{study}", "-n", "2", "--seed", "3"], "", 0),
    "export": (["export", "{study}"], "", 0),
    "analyze": (["analyze", "{study}"], "", 0),
    "status": (["status", "{study}"], "", 0),
    "audit": (["audit", "{study}"], "", 0),
    "correct": (["correct", "{study}", "-p", "SIM0001", "--as", "excluded", "--reason", "r"], "", 0),
    "withdraw": (["withdraw", "{study}", "-p", "SIM0002", "--reason", "felt unwell"], "", 0),
    "unblind": (["unblind", "{study}", "--reason", "locked"], "", 0),
}


def closed(connection) -> bool:
    if isinstance(connection, sqlite3.Connection):
        try:
            connection.execute("SELECT 1")
        except sqlite3.ProgrammingError:  # "Cannot operate on a closed database."
            return True
        return False
    return connection.closed  # psycopg


def record_connections(monkeypatch) -> list:
    """Every store connection opened from now on, in the order opened."""
    from placebolab.store import postgres, sqlite

    opened = []
    for module in (sqlite, postgres):

        def recording(*args, _connect=module._connect, **kwargs):
            opened.append(_connect(*args, **kwargs))
            return opened[-1]

        monkeypatch.setattr(module, "_connect", recording)
    return opened


def invoke(*args, input="", code=0):
    result = CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_init_closes_its_store(tmp_path, backend, monkeypatch):
    (tmp_path / "closing.yaml").write_text(PROTOCOL, encoding="utf-8")
    opened = record_connections(monkeypatch)
    invoke(
        "init", tmp_path / "closing.yaml", tmp_path / "study", "--seed", 1, *(["--store", backend] if backend else [])
    )
    assert opened, "init opened no store"
    assert all(map(closed, opened)), f"init left {sum(not closed(c) for c in opened)} store connections open"


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_closes_its_store(tmp_path, backend, monkeypatch, command):
    (tmp_path / "closing.yaml").write_text(PROTOCOL, encoding="utf-8")
    study = tmp_path / "study"
    invoke("init", tmp_path / "closing.yaml", study, "--seed", 1, *(["--store", backend] if backend else []))
    invoke("run", study, "-p", "P001", input="40\n3\n")
    invoke("simulate", study, "-n", "4", "--seed", "2")

    opened = record_connections(monkeypatch)
    args, piped, code = COMMANDS[command]
    result = invoke(*[a.format(study=study) for a in args], input=piped, code=code)
    assert opened, f"`{command}` opened no store"
    left = [c for c in opened if not closed(c)]
    assert not left, f"`{command}` left {len(left)} of {len(opened)} store connections open:\n{result.output}"
