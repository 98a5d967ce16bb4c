"""Simulating a whole study of the flagship protocol through the library (``Study.init``, ``load_effects``,
``simulate_study``): time per participant, per committed step and per committed response.

Every step is one durable SQLite transaction (WAL, ``synchronous=FULL``), so the figures are read as
ratios to a bare durable commit: single-row INSERT+COMMIT transactions of a responses-like row, on a plain
``sqlite3`` connection given every PRAGMA that decides what a commit costs, each read back from the
study store's own connection (so the two cannot drift apart), in the same temp folder and process, as
many as the study stored responses. The headline (issue 11, goal ≤ 1.5) is the time per committed
response (rows of ``responses`` in the store afterwards) ÷ one bare commit. It depends on the disk: the
slower its fsync, the more both sides only wait for it and the nearer the ratio comes to the store's
transactions that wait for the disk per response (9 / 14 for the flagship: its two pages without
answers commit without an fsync, store/base.py ``waits_for_disk``; each writes about twice the pages of a
bare commit); on a fast disk (~0.2 ms per bare commit) the session's CPU work shows most. Read it with the
bare commit's own time, printed beside it. The baseline is interleaved
finely: after each simulated participant (``on_participant``) the bare commits of one participant's
worth of responses run and are timed apart, so both sides see the same disk, which on a shared machine
drifts by ×3 within a minute. One more run is profiled with cProfile to say where the time goes.

The flagship's allocation list holds ``target_n: 160`` slots per stratum, which 1,000 participants would
use up, so the study is made from a copy of the protocol (and its stimuli) whose ``target_n`` is raised
to the number simulated; nothing else changes.
"""

from __future__ import annotations

import cProfile
import gc
import itertools
import pstats
import re
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from _util import REPO, figure, median, profile_rows

PROTOCOL = REPO / "protocols" / "warmth-competence-itch.yaml"
EFFECTS = REPO / "protocols" / "effects" / "warmth-competence-itch.yaml"
STUDY_SEED = 20261125  # allocation list (as in `make demo`)
SIM_SEED = 1  # simulated answers: every run simulates the same study
#: The PRAGMAs that decide what a commit costs; the baseline takes each one's value from the store's connection.
PRAGMAS = (
    "page_size",  # first: fixed once the file has a table
    "journal_mode",
    "synchronous",
    "foreign_keys",
    "wal_autocheckpoint",
    "journal_size_limit",
    "locking_mode",
    "secure_delete",
    "cache_size",
    "mmap_size",
    "temp_store",
)
CALIBRATION_PARTICIPANTS = 20
GOAL = 1.5  # issue 11: time per committed response ÷ one bare durable commit


def run(quick: bool = False, participants: int | None = None, repeats: int | None = None) -> dict:
    from placebolab.simulation.model import load_effects
    from placebolab.simulation.run import simulate_study
    from placebolab.study import Study

    n = participants or (100 if quick else 1000)
    repeats = repeats or (1 if quick else 5)

    with tempfile.TemporaryDirectory(prefix="placebolab-bench-") as tmp_name:
        tmp = Path(tmp_name)
        protocol, target_change = _protocol_copy(tmp, n)
        counter = itertools.count()

        def new_study():
            started = time.perf_counter()
            study = Study.init(protocol, tmp / f"study-{next(counter)}", seed=STUDY_SEED)
            model = load_effects(EFFECTS, study.protocol)
            return study, model, time.perf_counter() - started

        calibration = _calibrate(new_study, simulate_study)
        pragmas = calibration.pop("pragmas")
        batch = round(calibration["responses"] / calibration["participants"])  # bare commits per participant
        runs = []
        for _ in range(repeats):
            study, model, init_s = new_study()
            with _BareCommits(tmp / f"bare-{next(counter)}.db", pragmas) as bare:
                marks: list[tuple[float, float]] = []  # (participant done, next participant starts)

                def between(_participant_id, bare=bare, marks=marks):
                    done = time.perf_counter()
                    bare.commit(batch)
                    marks.append((done, time.perf_counter()))

                gc.collect()
                started = time.perf_counter()
                simulate_study(study, n, model, SIM_SEED, on_participant=between)
                elapsed = time.perf_counter() - started
            sim_s = elapsed - sum(resume - done for done, resume in marks)
            starts = [started] + [resume for _, resume in marks[:-1]]
            gaps = [done - start for start, (done, _) in zip(starts, marks, strict=True)]
            runs.append({"sim_s": sim_s, "bare_s": bare.seconds, "bare_commits": bare.count, "init_s": init_s,
                         "gaps": gaps, **_counts(study)})  # fmt: skip
            _discard(study)
        profile = _profile(new_study, simulate_study, n)

    first_run = runs[0]
    if any(
        (r["participants"], r["steps"], r["responses"]) != (n, first_run["steps"], first_run["responses"]) for r in runs
    ):
        raise RuntimeError(f"runs stored different amounts of data: {[_counts_of(r) for r in runs]}")
    participants, steps, responses = n, first_run["steps"], first_run["responses"]
    for r in runs:
        r["per_commit_s"] = r["bare_s"] / r["bare_commits"]
        r["ratio_response"] = (r["sim_s"] / responses) / r["per_commit_s"]  # paired: same run, same disk
    sim_s = median([r["sim_s"] for r in runs])
    per_commit = median([r["per_commit_s"] for r in runs])
    ratios = [r["ratio_response"] for r in runs]
    ratio_response = median(ratios)
    per_participant, per_step, per_response = sim_s / participants, sim_s / steps, sim_s / responses
    middle = sorted(runs, key=lambda r: r["sim_s"])[len(runs) // 2]  # the median run
    gaps = middle["gaps"]
    decile = max(1, n // 10)
    first, last = median(gaps[:decile]), median(gaps[-decile:])
    ordered = sorted(gaps)
    tx = calibration["commits"] / calibration["participants"]
    durable = calibration["durable_commits"] / calibration["participants"]
    floor = 100 * durable * per_commit / per_participant
    statements = (
        f"{calibration['statements'] / calibration['participants']:.1f} SQL statements per participant "
        f"(counted on {calibration['participants']})"
    )

    return {
        "title": f"simulate_study: {n} participants of warmth-competence-itch vs bare durable commits",
        "params": {
            "participants": n,
            "repeats": repeats,
            "baseline": f"{batch} bare INSERT+COMMIT after each participant, timed apart",
            "protocol_change": target_change,
            "temp_folder": str(Path(tempfile.gettempdir())),
            "pragmas (store's = baseline's)": pragmas,
            "seeds": {"allocation": STUDY_SEED, "simulation": SIM_SEED},
        },
        "figures": [
            figure("stored: participants / steps / responses", f"{participants} / {steps} / {responses}", "rows"),
            figure(
                "simulate_study wall time", sim_s, "s", f"median of {repeats}; Study.init and the baseline excluded"
            ),
            figure("per participant", per_participant * 1e3, "ms"),
            figure("per committed step", per_step * 1e3, "ms", f"{steps / participants:g} steps per participant"),
            figure("per committed response", per_response * 1e3, "ms", f"{responses / participants:g} per participant"),
            figure(
                "bare INSERT+COMMIT (baseline)",
                per_commit * 1e3,
                "ms",
                f"median of {repeats} runs × {middle['bare_commits']} transactions",
            ),
            figure(
                "ratio: response / bare commit",
                ratio_response,
                "×",
                f"median of the runs' paired ratios ({', '.join(f'{r:.2f}' for r in ratios)})",
                goal=f"≤ {GOAL}",
                met=ratio_response <= GOAL,
            ),
            figure(
                "ratio: step / bare commit", ratio_response * responses / steps, "×", "each step is one transaction"
            ),
            figure(
                "ratio: participant / bare commit",
                ratio_response * responses / participants,
                "×",
                "a participant costs this many bare durable commits",
            ),
            figure("store transactions per participant", tx, "", statements),
            figure("of which wait for the disk", durable, "", "the others are pages without answers (no fsync)"),
            figure(
                "durable-commit floor",
                floor,
                "%",
                "share of the time that bare commits as many as the store's durable ones would take",
            ),
            figure(
                "one participant: median (p90, max)",
                f"{median(gaps) * 1e3:.2f} ({ordered[int(0.9 * (len(ordered) - 1))] * 1e3:.2f}, {ordered[-1] * 1e3:.2f})",
                "ms",
                "each participant timed on its own, median run; a mean well above the median means stalls (disk)",
            ),
            figure(
                "per participant: first vs last 10%",
                f"{first * 1e3:.2f} → {last * 1e3:.2f}",
                "ms",
                f"median run; growth × {last / first:.2f} (does it slow down as the study fills?)",
            ),
            figure(
                "profiled run (cProfile on)",
                profile["wall_s"],
                "s",
                f"{profile['wall_s'] / sim_s:.2f}× the median timed run; far above ~1.3× means the disk stalled "
                "during the profile: read its SQLite share with care",
            ),
            figure(
                "Study.init + load_effects",
                median([r["init_s"] for r in runs]) * 1e3,
                "ms",
                "fresh study, not in the times above",
            ),
        ],
        "tables": {
            "runs (simulation and its interleaved baseline)": [
                {
                    "run": i + 1,
                    "simulate_s": round(r["sim_s"], 3),
                    "bare_commits": r["bare_commits"],
                    "bare_s": round(r["bare_s"], 3),
                    "ms/response": round(1e3 * r["sim_s"] / responses, 3),
                    "ms/bare commit": round(1e3 * r["per_commit_s"], 3),
                    "ratio": round(r["ratio_response"], 2),
                }
                for i, r in enumerate(runs)
            ],
            f"cProfile of one run ({n} participants): top 10 by cumulative time": profile["cumulative"],
            f"cProfile of one run ({n} participants): top 10 by own time": profile["tottime"],
        },
        "calibration": calibration,
        "profile_total_s": profile["total_s"],
        "runs": [{k: v for k, v in r.items() if k != "gaps"} for r in runs],
        "per_participant_ms_median_run": [round(g * 1e3, 3) for g in gaps],
    }


def _counts_of(run: dict) -> dict:
    return {k: run[k] for k in ("participants", "steps", "responses")}


def _protocol_copy(tmp: Path, n: int) -> tuple[Path, str]:
    """The flagship protocol laid out as in the repository (protocols/, stimuli/) with ``target_n`` ≥ n."""
    text = PROTOCOL.read_text(encoding="utf-8")
    match = re.search(r"^(\s*target_n:\s*)(\d+)", text, flags=re.MULTILINE)
    if match is None:
        raise RuntimeError(f"{PROTOCOL}: no `target_n:` line to raise for {n} participants")
    old = int(match.group(2))
    new = max(old, n)
    text = text[: match.start(2)] + str(new) + text[match.end(2) :]
    shutil.copytree(REPO / "stimuli", tmp / "stimuli")
    (tmp / "protocols").mkdir()
    copy = tmp / "protocols" / PROTOCOL.name
    copy.write_text(text, encoding="utf-8")
    change = f"allocation.target_n {old} → {new} (slots per stratum)" if new != old else "none"
    return copy, change


def _counts(study) -> dict:
    return {table: len(study.store.rows(table)) for table in ("participants", "steps", "responses")}


def _discard(study) -> None:
    study.close()
    shutil.rmtree(study.folder)


class _BareCommits:
    """Single-row INSERT+COMMIT transactions into a responses-like table, with the store's PRAGMAs;
    ``seconds`` adds up the time spent in them and nothing else."""

    def __init__(self, path: Path, pragmas: dict):
        self.path, self.seconds, self.count = path, 0.0, 0
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        for name, value in pragmas.items():
            self.db.execute(f"PRAGMA {name} = {value}")
        differ = {name: value for name, value in _pragmas(self.db).items() if value != pragmas[name]}
        if differ:
            raise RuntimeError(f"{path}: the baseline's PRAGMAs {differ} differ from the store's {pragmas}")
        self.db.execute(
            "CREATE TABLE responses (participant TEXT NOT NULL, step_key TEXT NOT NULL, item TEXT NOT NULL, "
            "value REAL, rt REAL, responded_at REAL NOT NULL, PRIMARY KEY (participant, step_key, item))"
        )

    def commit(self, count: int) -> None:
        base = self.count
        rows = [
            (f"SIM{(base + i) // 100:05d}", f"step{(base + i) % 100}", "", 50.0, 2.5, 1.7e9 + i) for i in range(count)
        ]
        started = time.perf_counter()
        for row in rows:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?)", row)
            self.db.execute("COMMIT")
        self.seconds += time.perf_counter() - started
        self.count += count

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


def _calibrate(new_study, simulate_study, participants: int = CALIBRATION_PARTICIPANTS) -> dict:
    """Responses, transactions (COMMITs) and statements per participant, from a small untimed run; the
    latter two with SQLite's trace callback (it would show in the timings and the profile, so not there);
    and the store connection's PRAGMAs, for the baseline."""
    study, model, _ = new_study()
    traced = {"participants": participants, "commits": 0, "durable_commits": 0, "statements": 0}
    waits = [True]  # whether the transaction under way waits for the disk (see SQLiteStore's _Transaction)

    def trace(statement: str) -> None:
        traced["statements"] += 1
        words = statement.strip().upper()
        if words.startswith("PRAGMA SYNCHRONOUS"):
            waits[0] = words.endswith("FULL")
        elif words.startswith("COMMIT"):
            traced["commits"] += 1
            traced["durable_commits"] += waits[0]

    connection = getattr(study.store, "_db", None)  # private, but only a benchmark's peek
    if not isinstance(connection, sqlite3.Connection):
        raise RuntimeError("SQLiteStore._db is gone: the baseline cannot read the store's PRAGMAs")
    traced["pragmas"] = _pragmas(connection)
    connection.set_trace_callback(trace)
    simulate_study(study, participants, model, SIM_SEED)
    connection.set_trace_callback(None)
    traced["responses"] = _counts(study)["responses"]
    _discard(study)
    return traced


def _pragmas(connection: sqlite3.Connection) -> dict:
    return {name: connection.execute(f"PRAGMA {name}").fetchone()[0] for name in PRAGMAS}


def _profile(new_study, simulate_study, n: int) -> dict:
    study, model, _ = new_study()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    simulate_study(study, n, model, SIM_SEED)
    profiler.disable()
    wall = time.perf_counter() - started
    _discard(study)
    return {
        "wall_s": wall,
        "total_s": pstats.Stats(profiler).total_tt,
        "cumulative": profile_rows(profiler, "cumulative", 10),
        "tottime": profile_rows(profiler, "tottime", 10),
    }


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description="bench_simulate alone; `make bench` runs it with its defaults")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--participants", type=int, help="simulated participants per run (default 1000; quick 100)")
    parser.add_argument("--repeats", type=int, help="timed runs, each paired with its baseline (default 5; quick 1)")
    args = parser.parse_args()
    print(json.dumps(run(args.quick, args.participants, args.repeats), indent=2, default=str))
