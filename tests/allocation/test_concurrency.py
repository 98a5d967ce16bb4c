"""Eight stations allocating at once from one list, on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter, defaultdict

from placebolab.study import Study
from tests.allocation.helpers import flagship_variant

STATIONS, EACH = 8, 200


def test_eight_stations_200_allocations_each_no_duplicate_no_gap_every_block_balanced(tmp_path, backend):
    protocol = flagship_variant(
        tmp_path, "  scheme: permuted-blocks\n  block_sizes: [4, 8]\n  strata: [sex]\n  target_n: 1700\n"
    )
    study = Study.init(protocol, tmp_path / "study", seed=8, store_url=backend)
    study.close()
    with mp.get_context("spawn").Pool(STATIONS) as pool:
        handed = pool.starmap(_allocate_many, [(str(tmp_path / "study"), station) for station in range(STATIONS)])
    study = Study.open(tmp_path / "study")
    try:
        rows = [r for r in study.store.rows("allocation") if r["stratum"] == "sex=female"]
        taken = sorted((r["position"], r["participant"]) for r in rows if r["participant"])
        assert len(taken) == STATIONS * EACH == len({p for _, p in taken})  # no participant twice
        assert [pos for pos, _ in taken] == list(range(1, STATIONS * EACH + 1))  # the first slots, no gap
        by_id = {r["participant"]: r["cell"] for r in rows if r["participant"]}
        assert dict(pair for station in handed for pair in station) == by_id  # each told the cell of its slot
        blocks = defaultdict(list)
        for r in rows:
            blocks[r["block"]].append(r)
        full = [b for b in blocks.values() if all(r["participant"] for r in b)]
        assert len(full) >= STATIONS * EACH // 8
        for block in full:  # every block handed out whole holds each cell equally often
            counts = Counter(r["cell"] for r in block)
            assert len(counts) == 4 and len(set(counts.values())) == 1
        participants = {p.id: p.cell for p in study.store.participants()}
        assert participants == by_id
    finally:
        study.close()


def _allocate_many(folder: str, station: int) -> list[tuple[str, str]]:
    study = Study.open(folder)
    try:
        return [
            (pid, study.store.enrol(pid, "sex=female", {"sex": "female"}))
            for pid in (f"S{station}-{i:03d}" for i in range(EACH))
        ]
    finally:
        study.close()
