"""A simulated participant's choice intake (weighted by the effects file) draws what numpy's
``Generator.choice(choices, p=…)`` draws, from the same stream: a seeded simulation gives the same
participants as before the draw was written out (simulation/model.py, ``_choose``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from placebolab.protocol.models import IntakeField
from placebolab.simulation.model import EffectsModel, IntakeModel, SimulatedParticipant

SEX = ["female", "male", "diverse"]
MANY = [f"c{i}" for i in range(23)]  # numpy sums more than 8 values pairwise
CASES = [  # (the field's choices, the effects file's probabilities)
    (SEX, {"female": 0.6, "male": 0.38, "diverse": 0.02}),
    (SEX, {"female": 1.0}),  # the others 0
    (SEX, {"female": 0.2, "male": 0.2, "diverse": 0.2}),  # not summing to 1: normalised
    (SEX, {"female": 1e-12, "male": 3.0, "diverse": 7.5}),
    (MANY, {c: (i % 7 + 1) / 10 for i, c in enumerate(MANY)}),
]


def _field(choices: list[str]) -> IntakeField:
    return IntakeField(id="group", type="choice", choices=choices)


def _participant(probabilities: dict, seed: int) -> SimulatedParticipant:
    model = EffectsModel(intake={"group": IntakeModel(probabilities=probabilities)})
    return SimulatedParticipant(model, None, "", np.random.default_rng(seed), known={})


def _numpy_choice(rng: np.random.Generator, choices: list[str], probabilities: dict) -> str:
    """How the draw was written before: numpy's own choice."""
    weights = np.array([probabilities.get(c, 0.0) for c in choices])
    return str(rng.choice(choices, p=weights / weights.sum()))


@pytest.mark.parametrize(("choices", "probabilities"), CASES)
def test_the_choice_and_the_stream_after_it_are_numpys(choices, probabilities):
    field = _field(choices)
    for seed in range(200):
        ours = _participant(probabilities, seed)
        theirs = np.random.default_rng(seed)
        drawn = [ours._intake_value(field) for _ in range(5)]
        expected = [_numpy_choice(theirs, choices, probabilities) for _ in range(5)]
        assert drawn == expected
        assert ours.rng.random() == theirs.random()  # the stream goes on from the same place


def test_every_choice_is_drawn_in_its_proportion():
    ours = _participant({"female": 0.6, "male": 0.38, "diverse": 0.02}, 1)
    field = _field(["female", "male", "diverse"])
    drawn = [ours._intake_value(field) for _ in range(20000)]
    assert abs(drawn.count("female") / 20000 - 0.6) < 0.02
    assert 0 < drawn.count("diverse") / 20000 < 0.04


@pytest.mark.parametrize(
    ("probabilities", "message"),
    [({"female": 0.0, "male": 0.0}, "NaN"), ({"female": -1.0, "male": 2.0}, "non-negative")],
)
def test_probabilities_numpy_refuses_are_refused_as_before(probabilities, message):
    field = _field(["female", "male"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0 / 0
        with pytest.raises(ValueError, match=message):
            _numpy_choice(np.random.default_rng(0), field.choices, probabilities)
        with pytest.raises(ValueError, match=message):
            _participant(probabilities, 0)._intake_value(field)
