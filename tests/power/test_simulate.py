"""Simulated power: agrees with the analytic power within Monte-Carlo error, is reproducible, refuses bad input."""

from __future__ import annotations

import numpy as np
import pytest

from placebolab.errors import AnalysisError, PowerError
from placebolab.power import analytic_power, simulate_power

TOLERANCE_SE = 4  # |simulated − analytic| within 4 Monte-Carlo SEs (of the analytic p): fails ~1 in 16,000 per row

DESIGNS = {
    "superpower 2x2": {"cell_means": [[20, 20], [20, 25]], "sd": 5, "n_per_cell": 20},
    "2x2 with baseline": {"cell_means": [[20, 20], [20, 25]], "sd": 5, "n_per_cell": 20, "baseline_r": 0.6},
    "unbalanced with baseline": {
        "cell_means": [[28, 38], [40, 45]],
        "sd": 15,
        "n_per_cell": [12, 30, 25, 8],
        "baseline_r": 0.7,
    },
    "2x3": {"cell_means": [[10, 12, 15], [11, 11, 11]], "sd": 4, "n_per_cell": 10},
    "2x2x2 with baseline": {
        "cell_means": [[[0, 0.5], [0, 0]], [[0.4, 0], [0, 0.8]]],
        "sd": 1,
        "n_per_cell": 9,
        "baseline_r": 0.5,
    },
}


@pytest.mark.parametrize("name", DESIGNS)
def test_simulation_agrees_with_the_analytic_power(name):
    kwargs = DESIGNS[name]
    n_sims = 20_000
    simulated = simulate_power(**kwargs, n_sims=n_sims, seed=20261125)
    exact = analytic_power(**kwargs)
    merged = simulated.merge(exact, on=["analysis", "effect"], suffixes=("", "_exact"))
    assert len(merged) == len(exact) == len(simulated)
    assert (merged.df1 == merged.df1_exact).all() and (merged.df2 == merged.df2_exact).all()
    se = np.sqrt(merged.power_exact * (1 - merged.power_exact) / n_sims)
    gap = (merged.power - merged.power_exact).abs()
    worst = merged.assign(gap=gap, se=se).loc[(gap / se).idxmax()]
    assert (gap <= TOLERANCE_SE * se).all(), f"{worst.analysis} {worst.effect}: {worst.power} vs {worst.power_exact}"


def test_mc_se_is_the_binomial_se():
    table = simulate_power([[20, 20], [20, 25]], 5, 20, n_sims=4000, seed=3)
    assert np.allclose(table.mc_se, np.sqrt(table.power * (1 - table.power) / 4000))
    assert (table.n_sims == 4000).all()


def test_same_seed_same_table_and_batches_do_not_change_the_answer(monkeypatch):
    first = simulate_power([[20, 20], [20, 25]], 5, 20, n_sims=3000, seed=11, baseline_r=0.4)
    again = simulate_power([[20, 20], [20, 25]], 5, 20, n_sims=3000, seed=11, baseline_r=0.4)
    assert first.equals(again)
    other = simulate_power([[20, 20], [20, 25]], 5, 20, n_sims=3000, seed=12, baseline_r=0.4)
    assert not first.power.equals(other.power)
    done = []
    monkeypatch.setattr(
        "placebolab.power.simulate.DRAWS_PER_CHUNK", 80 * 2 * 100
    )  # N = 80, baseline: 100 studies a batch
    batched = simulate_power([[20, 20], [20, 25]], 5, 20, n_sims=3000, seed=11, baseline_r=0.4, progress=done.append)
    assert done == [100] * 30
    assert len(batched) == len(first)  # another batching draws other numbers, but the same rows


def test_location_and_scale_do_not_matter():
    a = simulate_power([[20, 20], [20, 25]], 5, 20, n_sims=2000, seed=5, baseline_r=0.3)
    b = simulate_power([[1040, 1040], [1040, 1065]], 25 * 1, 20, n_sims=2000, seed=5, baseline_r=0.3)
    c = simulate_power([[4, 4], [4, 5]], 1, 20, n_sims=2000, seed=5, baseline_r=0.3)
    assert a.power.equals(c.power)  # the same standardised effects, the same random numbers
    assert (a.power - b.power).abs().max() <= 1 / 2000  # a large mean may move one F across by rounding


BAD = [
    ({"cell_means": {"warm/high": 1, "warm/low": 2, "neutral/high": 3}}, "no mean for neutral/low"),
    (
        {"cell_means": {"warm/high": 1, "warm/low": 2, "neutral/high": 3, "neutral/low": 4, "cold/high": 5}},
        "cold/high not a cell",
    ),
    ({"sd": 0}, "sd must be greater than 0"),
    ({"sd": -2}, "sd must be greater than 0"),
    ({"n_per_cell": 1}, "n too small"),
    ({"n_per_cell": [2, 2, 2, 0]}, "at least 1 participant"),
    ({"n_per_cell": 2.5}, "whole number"),
    ({"alpha": 0}, "alpha must lie strictly between 0 and 1"),
    ({"alpha": 1.2}, "alpha must lie strictly between 0 and 1"),
    ({"baseline_r": 1.0}, "baseline_r"),
    ({"cell_means": [20, 25]}, "one axis per factor"),
]


@pytest.mark.parametrize(("change", "message"), BAD)
@pytest.mark.parametrize("function", [analytic_power, simulate_power])
def test_bad_input_is_one_clear_line(function, change, message):
    kwargs = {
        "cell_means": {"warm/high": 28, "warm/low": 38, "neutral/high": 40, "neutral/low": 45},
        "sd": 15,
        "n_per_cell": 20,
        "factors": {"warmth": ["warm", "neutral"], "competence": ["high", "low"]},
        **change,
    }
    if function is simulate_power:
        kwargs["n_sims"] = 10
    with pytest.raises(PowerError) as raised:
        function(**kwargs)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, AnalysisError) and raised.value.exit_code == 7


def test_ancova_needs_one_more_participant():
    analytic_power([[1, 2], [3, 4]], 1, [2, 1, 1, 1])  # N = 5, 4 cells: one error df
    with pytest.raises(PowerError, match="baseline covariate needs N ≥ 6"):
        analytic_power([[1, 2], [3, 4]], 1, [2, 1, 1, 1], baseline_r=0.5)


def test_n_sims_must_be_positive():
    with pytest.raises(PowerError, match="n_sims"):
        simulate_power([[1, 2], [3, 4]], 1, 5, n_sims=0)
