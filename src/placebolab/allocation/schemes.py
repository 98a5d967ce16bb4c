"""Allocation lists, generated whole at init from one recorded seed.

- complete: each participant's cell drawn independently (equal probabilities);
- permuted-blocks: blocks whose size is drawn from ``block_sizes``, each holding every cell equally
  often in random order; with strata, one independent list per stratum.
Each stratum's list holds at least ``target_n`` slots, since a stratum's share is not known in advance.
"""

from __future__ import annotations

import itertools

import numpy as np

from placebolab.errors import AllocationError
from placebolab.store.records import Slot


def strata(protocol) -> list[str]:
    """Every stratum key, e.g. ``sex=female``; ``['']`` when unstratified (and for minimization's one list)."""
    if protocol.allocation.scheme == "minimization":
        return [""]
    fields = [protocol.intake_field(name) for name in protocol.allocation.strata]
    combos = itertools.product(*(f.choices for f in fields))
    return [";".join(f"{f.id}={v}" for f, v in zip(fields, combo, strict=True)) for combo in combos]


def stratum_of(protocol, intake: dict) -> str:
    parts = []
    for name in protocol.allocation.strata:
        field = protocol.intake_field(name)
        if intake.get(name) not in field.choices:
            raise AllocationError(
                f"stratum field '{name}' is {intake.get(name)!r}; it must be one of {', '.join(field.choices)}"
            )
        parts.append(f"{name}={intake[name]}")
    return ";".join(parts)


def generate_slots(protocol, seed: int) -> list[Slot]:
    """The whole list. With ``ratio``, cells come in that proportion (blocks hold each cell ratio × k times)."""
    rng = np.random.default_rng(seed)
    cells = [cell.id for cell in protocol.cells]
    allocation = protocol.allocation
    ratio = np.array([allocation.ratio_of(c) for c in cells])
    if allocation.scheme == "minimization":  # one list of random numbers; the cells are decided at allocation
        draws = rng.random((allocation.target_n, 2))
        return [Slot("", i + 1, None, u=float(u), v=float(v)) for i, (u, v) in enumerate(draws)]
    slots = []
    for stratum in strata(protocol):
        if allocation.scheme == "complete":
            drawn = (
                rng.choice(len(cells), size=allocation.target_n, p=ratio / ratio.sum())
                if allocation.ratio
                else rng.integers(len(cells), size=allocation.target_n)
            )
            slots += [Slot(stratum, i + 1, cells[c]) for i, c in enumerate(drawn)]
        else:
            slots += _permuted_blocks(stratum, cells, ratio, allocation.block_sizes, allocation.target_n, rng)
    return slots


def _permuted_blocks(stratum, cells, ratio, block_sizes, target_n, rng) -> list[Slot]:
    slots, block = list[Slot](), 0
    while len(slots) < target_n:
        block += 1
        size = int(rng.choice(block_sizes))
        order = rng.permutation(np.repeat(np.arange(len(cells)), ratio * (size // int(ratio.sum()))))
        slots += [Slot(stratum, len(slots) + i + 1, cells[c], block, size) for i, c in enumerate(order)]
    return slots
