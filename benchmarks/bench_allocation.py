"""Allocations per second from one study's list, with 1 and 8 stations allocating at once, on SQLite and
on PostgreSQL (127.0.0.1:5432, or ``PLACEBOLAB_TEST_PG``; skipped with the reason when unreachable).

A station is a process that opens the study folder and enrols participants one after another through
``store.enrol`` (one durable transaction each: on PostgreSQL one call of ``placebolab.allocate``). All
stations allocate in the same stratum, the worst case: they all wait on the same lock. Throughput is
allocations / wall time from the moment every station is ready. The baseline of each backend is its own
1-station figure, measured in the same round; rounds interleave 1 and 8 stations; medians are reported.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _allocation_station import station
from _util import REPO, figure

PG_SERVER = os.environ.get("PLACEBOLAB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
sys.path.insert(0, str(REPO))  # tests.allocation.helpers: the flagship with a longer list


def run(quick: bool = False) -> dict:
    each = 50 if quick else 200
    rounds = 1 if quick else 3
    figures, samples, skipped = [], {}, {}
    for backend in ("sqlite", "postgresql"):
        try:
            with _study(backend, 8 * each * (rounds + 1)) as folder:
                rates = {1: [], 8: []}
                for round_ in range(rounds):
                    for stations in (1, 8) if round_ % 2 == 0 else (8, 1):
                        rates[stations].append(_throughput(folder, stations, each, f"r{round_}s{stations}"))
        except _Unavailable as exc:
            skipped[backend] = str(exc)
            continue
        samples[backend] = rates
        one, eight = statistics.median(rates[1]), statistics.median(rates[8])
        figures += [
            figure(f"{backend}: 1 station", round(one, 1), "alloc/s", "the baseline of this backend"),
            figure(f"{backend}: 8 stations", round(eight, 1), "alloc/s", f"{eight / one:.2f}× the 1-station figure"),
        ]
    for backend, why in skipped.items():
        figures.append(figure(f"{backend}: skipped", None, "", why))
    return {
        "title": "allocations per second, 1 vs 8 concurrent stations, per store backend",
        "figures": figures,
        "params": {"allocations per station": each, "rounds": rounds, "stratum": "one (all stations contend)"},
        "samples": samples,
    }


class _Unavailable(Exception):
    pass


class _study:
    """A fresh study with a list long enough for every round; on PostgreSQL in its own database."""

    def __init__(self, backend: str, target_n: int):
        self.backend, self.target_n = backend, target_n

    def __enter__(self) -> str:
        from tests.allocation.helpers import flagship_variant

        from placebolab.study import Study

        self.tmp = tempfile.TemporaryDirectory(prefix="placebolab-bench-")
        tmp = Path(self.tmp.name)
        url = None
        if self.backend == "postgresql":
            url = self._database()
        protocol = flagship_variant(
            tmp, f"  scheme: permuted-blocks\n  block_sizes: [4, 8]\n  strata: [sex]\n  target_n: {self.target_n}\n"
        )
        Study.init(protocol, tmp / "study", seed=1, store_url=url).close()
        return str(tmp / "study")

    def _database(self) -> str:
        try:
            import psycopg

            self.name = f"plbbench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=3) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"')
        except Exception as exc:  # no server: report, do not fail the other backend
            self.tmp.cleanup()
            raise _Unavailable(f"no PostgreSQL at {PG_SERVER}: {' '.join(str(exc).split())[:120]}") from None
        return PG_SERVER.rsplit("/", 1)[0] + "/" + self.name

    def __exit__(self, *_):
        self.tmp.cleanup()
        if self.backend == "postgresql":
            import psycopg

            with psycopg.connect(PG_SERVER, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                admin.execute(f'DROP ROLE IF EXISTS "{self.name}_experimenter"')


def _throughput(folder: str, stations: int, each: int, tag: str) -> float:
    ctx = mp.get_context("spawn")
    ready, go = ctx.Barrier(stations + 1), ctx.Event()
    procs = [ctx.Process(target=station, args=(folder, f"{tag}-{i}", each, ready, go)) for i in range(stations)]
    for p in procs:
        p.start()
    ready.wait()
    started = time.perf_counter()
    go.set()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    if any(p.exitcode for p in procs):
        raise RuntimeError(f"a station failed ({[p.exitcode for p in procs]})")
    return stations * each / elapsed
