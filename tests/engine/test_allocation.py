"""Allocation lists: balance inside every block, never handed out twice, reproducible from the seed."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

import pytest

from placebolab.allocation import generate_slots, strata, stratum_of
from placebolab.errors import AllocationError
from placebolab.protocol import load_protocol
from tests.conftest import FLAGSHIP


@pytest.fixture(scope="module")
def flagship():
    return load_protocol(FLAGSHIP)


def test_every_block_holds_every_cell_equally_often(flagship):
    slots = generate_slots(flagship, seed=7)
    cells = {c.id for c in flagship.cells}
    blocks = [list(b) for _, b in groupby(slots, key=lambda s: (s.stratum, s.block))]
    assert len(blocks) > 40
    for block in blocks:
        counts = Counter(s.cell for s in block)
        assert set(counts) == cells
        assert len(set(counts.values())) == 1
        assert len(block) == block[0].block_size
    assert {len(b) for b in blocks} == {4, 8}  # both sizes drawn


def test_each_stratum_has_its_own_list_covering_target_n(flagship):
    slots = generate_slots(flagship, seed=7)
    by_stratum = Counter(s.stratum for s in slots)
    assert set(by_stratum) == {"sex=female", "sex=male", "sex=diverse"} == set(strata(flagship))
    assert all(n >= flagship.allocation.target_n for n in by_stratum.values())
    positions = [(s.stratum, s.position) for s in slots]
    assert len(set(positions)) == len(positions)


def test_the_list_is_reproducible_from_the_seed(flagship):
    assert generate_slots(flagship, seed=99) == generate_slots(flagship, seed=99)
    assert generate_slots(flagship, seed=99) != generate_slots(flagship, seed=100)


def test_complete_randomization_draws_target_n_cells(flagship):
    complete = flagship.model_copy(
        update={
            "allocation": flagship.allocation.model_copy(
                update={"scheme": "complete", "strata": [], "block_sizes": None}
            )
        }
    )
    slots = generate_slots(complete, seed=3)
    assert len(slots) == complete.allocation.target_n
    counts = Counter(s.cell for s in slots)
    assert set(counts) == {c.id for c in complete.cells}  # 160 draws reach every cell
    assert max(counts.values()) - min(counts.values()) > 0  # and are not forced equal


def test_a_stratum_value_outside_the_protocol_is_refused(flagship):
    assert stratum_of(flagship, {"sex": "female"}) == "sex=female"
    with pytest.raises(AllocationError, match="female, male, diverse"):
        stratum_of(flagship, {"sex": "robot"})


def test_the_store_hands_each_slot_out_once_in_list_order(flagship_study):
    store = flagship_study.store
    expected = [
        s.cell
        for s in generate_slots(flagship_study.protocol, int(flagship_study.store.sealed()["seed"]))
        if s.stratum == "sex=male"
    ]
    handed = [store.enrol(f"P{i:03d}", "sex=male", {"sex": "male"}) for i in range(12)]
    assert handed == expected[:12]
    with pytest.raises(AllocationError, match="already has an allocation"):
        store.enrol("P003", "sex=male", {"sex": "male"})
    rows = store.rows("allocation")
    taken = [r["participant"] for r in rows if r["participant"]]
    assert sorted(taken) == [f"P{i:03d}" for i in range(12)]
    assert store.allocation_summary()["allocated"] == 12
