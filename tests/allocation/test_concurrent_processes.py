"""Real processes at once on one study: eight `simulate`s (SQLite and PostgreSQL), two `init`s into one folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import placebolab
from placebolab.allocation.audit import audit_study
from placebolab.errors import StoreError
from placebolab.session import Session, VirtualClock
from placebolab.study import Study
from tests.conftest import FLAGSHIP, ROOT

SIMULATIONS, EACH = 8, 5
TIMEOUT = 180  # seconds for all processes together: a hang fails the test instead of CI


def _env() -> dict[str, str]:
    """The processes run the placebolab these tests imported."""
    env = {**os.environ, "PYTHONPATH": str(Path(placebolab.__file__).parents[1]), "PYTHONUNBUFFERED": "1"}
    env.pop("PLACEBOLAB_DEBUG", None)  # the one-line errors users see
    return env


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "placebolab.cli", *args],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(processes: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    results = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=TIMEOUT)
            results.append((process.returncode, out, err))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    return results


def test_eight_simulations_at_once_all_succeed_with_distinct_ids_and_slots(tmp_path, backend):
    study = Study.init(FLAGSHIP, tmp_path / "study", seed=15, store_url=backend)
    real = {"sex": "female", "age": "40", "name": "Sam"}  # a real participant whose ID looks simulated
    Session.start(study, "SIM0002", real, "test", VirtualClock())
    try:
        processes = [
            _start("simulate", str(study.folder), "-n", str(EACH), "--seed", str(seed)) for seed in range(SIMULATIONS)
        ]
        results = _finish(processes)
        for code, out, err in results:
            assert code == 0 and f"Simulated {EACH} participants" in out, err
            assert "Traceback" not in err

        simulated = [p for p in study.store.participants() if p.simulated]
        ids = [p.id for p in simulated]
        assert len(ids) == len(set(ids)) == SIMULATIONS * EACH
        assert "SIM0002" not in ids and not study.store.participant("SIM0002").simulated
        assert all(re.fullmatch(r"SIM\d{4}", i) for i in ids)
        assert all(p.status == "completed" for p in simulated)

        # the sealed list: every enrolment took its own slot, in list order per stratum, none twice
        taken = [r for r in study.store.rows("allocation") if r["participant"]]
        assert sorted(r["participant"] for r in taken) == sorted([*ids, "SIM0002"])
        allocated = [json.loads(e["detail"]) for e in study.store.rows("events") if e["kind"] == "allocated"]
        logged = Counter((slot["stratum"], slot["position"]) for slot in allocated)
        assert set(logged.values()) == {1}  # no list position logged twice
        assert set(logged) == {(r["stratum"], r["position"]) for r in taken}
        for stratum in {r["stratum"] for r in taken}:
            positions = sorted(r["position"] for r in taken if r["stratum"] == stratum)
            assert positions == list(range(1, len(positions) + 1))
        cells = {r["participant"]: r["cell"] for r in taken}
        assert {p.id: p.cell for p in study.store.participants()} == cells  # each got its slot's cell
        report = audit_study(study)
        assert report.intact, report.problems
    finally:
        study.close()


# Both inits import everything, then wait for one signal: their stores are built at the same moment.
_INIT_AT_ONCE = """
import pathlib, sys, time
import placebolab.cli, placebolab.study, placebolab.export.blinding  # noqa: F401
go = pathlib.Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
sys.argv = ["placebolab", "init", *sys.argv[2:]]
placebolab.cli.main()
"""


@pytest.mark.parametrize("store", ["sqlite", "sqlite", "sqlite", "postgresql"])  # a race: tried a few times
def test_two_inits_into_one_folder_at_once_make_one_whole_study(tmp_path, store, request):
    folder, go = tmp_path / "study", tmp_path / "go"
    server = ["--store", request.getfixturevalue("pg_url")] if store == "postgresql" else []
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _INIT_AT_ONCE, str(go), str(FLAGSHIP), str(folder), "--seed", str(seed), *server],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    go.touch()
    results = _finish(processes)
    assert sorted(code for code, _, _ in results) == [0, 4], results
    (winner,) = [out for code, out, _ in results if code == 0]
    (loser,) = [err for code, _, err in results if code == 4]
    taken = f"{re.escape(str(folder))} already exists"
    if server:  # the loser is refused by the database, or (when it starts after the winner is done) by the folder
        taken = f"(already holds a placebolab study|{taken})"
    assert re.fullmatch(rf"error: [^\n]*{taken}\b[^\n]*\n", loser), loser  # one line, no traceback
    commitment = re.search(r"list commitment:\s+([0-9a-f]{64})", winner)[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["go", "study"]  # the loser left nothing behind
    assert sorted(p.name for p in folder.iterdir()) == ["README.txt", "study.toml" if server else "study.db"]
    study = Study.open(folder)
    try:
        assert study.meta["list_sha256"] == commitment  # the whole study of the winner, nothing of the loser
        report = audit_study(study)
        assert report.intact, report.problems
    finally:
        study.close()


def test_a_crashed_inits_leftover_blocks_nothing_and_an_empty_folder_is_used(tmp_path):
    leftover = tmp_path / ".study.init-0123456789ab"  # what a crash (kill -9, power cut) during init leaves
    leftover.mkdir()
    (leftover / "study.db").write_bytes(b"SQLite format 3\x00half of a store")
    study = Study.init(FLAGSHIP, tmp_path / "study", seed=1)
    study.close()
    assert audit_study(Study.open(tmp_path / "study")).intact

    (tmp_path / "empty").mkdir()  # made beforehand, e.g. in a file manager
    Study.init(FLAGSHIP, tmp_path / "empty", seed=1).close()
    assert (tmp_path / "empty" / "study.db").is_file()

    with pytest.raises(StoreError, match="already exists: it is already an initialised study"):
        Study.init(FLAGSHIP, tmp_path / "study", seed=2)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "plan.txt").write_text("my notes")
    with pytest.raises(StoreError, match="notes already exists and is not an empty folder"):
        Study.init(FLAGSHIP, tmp_path / "notes", seed=2)
    assert [p.name for p in (tmp_path / "notes").iterdir()] == ["plan.txt"]
