"""Helpers shared by the benchmarks: interleaved repeats, medians, figures, profiles.

Project rule: speed is a ratio against a baseline measured side by side (same process or command),
repeated and interleaved, reported as medians. Nothing here asserts a time.
"""

from __future__ import annotations

import cProfile
import gc
import os
import pstats
import shutil
import statistics
import subprocess
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def interleave(candidates: dict[str, Callable[[], float]], repeats: int, warmup: int = 0) -> dict[str, list[float]]:
    """Run every candidate ``repeats`` times, round-robin; odd rounds go in reverse order so no candidate
    is always first (or always right after another). A candidate returns its own duration in seconds.
    ``warmup`` untimed rounds come first (file cache, bytecode)."""
    names = list(candidates)
    for _ in range(warmup):
        for name in names:
            candidates[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        for name in names if round_ % 2 == 0 else reversed(names):
            gc.collect()
            samples[name].append(candidates[name]())
    return samples


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratios(numerator: list[float], denominator: list[float]) -> list[float]:
    """Round-by-round ratios of two interleaved series (each pair ran back to back)."""
    return [a / b for a, b in zip(numerator, denominator, strict=True)]


def figure(name: str, value, unit: str = "", note: str = "", goal: str | None = None, met: bool | None = None) -> dict:
    """One headline number of a benchmark, as run.py prints it."""
    row = {"name": name, "value": value, "unit": unit, "note": note}
    if goal is not None:
        row["goal"], row["met"] = goal, met
    return row


def profile_rows(profiler: cProfile.Profile, sort: str = "cumulative", limit: int = 10) -> list[dict]:
    """The top ``limit`` functions of a profile, as table rows (times in seconds; % of the profiled whole,
    i.e. of the largest cumulative time, the outermost call)."""
    stats = pstats.Stats(profiler)
    total = max((entry[3] for entry in stats.stats.values()), default=0.0) or 1.0
    key = {"cumulative": 3, "tottime": 2}[sort]
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][key], reverse=True)[:limit]
    rows = []
    for (filename, line, func), (primitive, calls, tottime, cumtime, _callers) in entries:
        rows.append(
            {
                "function": _where(filename, line, func),
                "calls": calls if calls == primitive else f"{calls}/{primitive}",
                "tottime_s": round(tottime, 4),
                "cumtime_s": round(cumtime, 4),
                "cum_%": round(100 * cumtime / total, 1),
            }
        )
    return rows


def _where(filename: str, line: int, func: str) -> str:
    if filename == "~":  # a built-in: "{method 'execute' of 'sqlite3.Connection' objects}"
        return func
    path = filename
    for root in (
        str(REPO / "src") + "/",
        sysconfig.get_paths()["purelib"] + "/",
        sysconfig.get_paths()["stdlib"] + "/",
    ):
        if path.startswith(root):
            path = path[len(root) :]
            break
    return f"{path}:{line}({func})"


def on_a_display(prefix: str, measure: Callable[[Path, bool], dict], quick: bool) -> dict:
    """``measure(folder, quick)`` with a scratch folder and an X display (a private Xvfb when DISPLAY is unset)."""
    server = _start_xvfb() if not os.environ.get("DISPLAY") else None
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        return measure(folder, quick)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


def _start_xvfb() -> subprocess.Popen:
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        os.environ["DISPLAY"] = ":" + pipe.readline().strip()
    return server
