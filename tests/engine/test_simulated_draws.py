"""A simulated participant's draws written out for speed give what numpy and Python gave before, from the same
stream: a seeded simulation stores the same study (frontends/simulated.py ``_lognormal``, simulation/model.py
``draw``'s rounding to its scale)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from placebolab.components import Item
from placebolab.frontends.simulated import SimulatedFrontend
from placebolab.session import VirtualClock
from placebolab.simulation.model import EffectsModel, MeasureModel, SimulatedParticipant


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)  # -0.0 and 0.0, and each NaN, apart


@pytest.mark.parametrize("seed", [1, 20261125])
def test_a_time_taken_is_numpys_lognormal_from_the_same_draw(seed):
    written_out = SimulatedFrontend(None, np.random.default_rng(seed), VirtualClock())  # type: ignore[arg-type]
    numpy = np.random.default_rng(seed)
    for sigma in [0.3, 0.4, 0.0, 2.5] * 5000:
        assert _bits(written_out._lognormal(sigma)) == _bits(numpy.lognormal(0, sigma))
    assert written_out.rng.random() == numpy.random()  # the streams are where they were


@pytest.mark.parametrize(
    ("low", "high", "increment", "sd"),
    [(0, 100, 1, 15.0), (0.0, 10.0, 1.0, 40.0), (1, 7, 1, 2.0), (0, 100, None, 30.0), (-3.0, 3.0, 0.5, 2.0),
     (0.0, 1.0, 0.01, 0.4), (10, 20, 2.5, 5.0)],
)  # fmt: skip
def test_a_drawn_answer_is_rounded_to_its_scale_as_before(low, high, increment, sd):
    model = EffectsModel(measures={"m": MeasureModel(mean=(low + high) / 2, sd=sd)})
    item = Item("", "number", low, high, increment)
    participant = SimulatedParticipant(model, None, "cell", np.random.default_rng(7), known={})
    numpy = np.random.default_rng(7)
    for _ in range(3000):
        value = min(max((low + high) / 2 + sd * float(numpy.standard_normal()), low), high)
        step = increment or 0.1
        before = round(low + round((value - low) / step) * step, 6)  # the rounding as first written
        drawn = participant.draw("m", item)
        assert type(drawn) is type(before) and _bits(drawn) == _bits(before)
