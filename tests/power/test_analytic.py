"""Analytic power against published numbers (sources named per test)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from placebolab.power import analytic_power, f_from_lambda, f_test_power, lambda_from_f, power_for_f
from placebolab.power.analytic import ancova_power

FACTORS = {"warmth": ["warm", "neutral"], "competence": ["high", "low"]}


def test_superpower_2x2_every_effect_0598():
    # Superpower (Lakens & Caldwell), analytic validation vignette: 2b*2b, n = 20 per cell,
    # mu = 20, 20, 20, 25, sd = 5 -> power 59.8 % for A, B and A:B.
    table = analytic_power([[20, 20], [20, 25]], sd=5, n_per_cell=20)
    omnibus = table[table.kind != "simple"]
    assert list(omnibus.effect) == ["A", "B", "A * B"]
    assert np.round(omnibus.power.to_numpy(), 3).tolist() == [0.598, 0.598, 0.598]
    assert omnibus.df2.tolist() == [76, 76, 76]
    assert np.allclose(omnibus.f, 0.25)  # Cohen's f = 0.25, λ = f²·N = 5


def test_gpower_special_main_effects_and_interactions():
    # G*Power 3, "ANOVA: fixed effects, special, main effects and interactions": f = 0.25,
    # numerator df 1, 4 groups, N = 128, α = .05 -> λ = 8, critical F(1, 124) = 3.9188, power 0.801.
    assert round(power_for_f(0.25, 128, df_effect=1, n_groups=4), 3) == 0.801
    assert lambda_from_f(0.25, 128) == pytest.approx(8.0)
    assert f_from_lambda(8.0, 128) == pytest.approx(0.25)


def test_gpower_manual_omnibus_one_way_example():
    # G*Power 3 manual, "ANOVA: fixed effects, omnibus, one-way", example: 10 groups, f = 0.25, α = .05,
    # power .95 -> total N = 390, actual power 0.9524.
    assert round(power_for_f(0.25, 390, df_effect=9, n_groups=10), 4) == 0.9524
    assert power_for_f(0.25, 380, df_effect=9, n_groups=10) < 0.95


def test_gpower_output_three_groups_small_effect():
    # G*Power output in Wuensch, "G*Power: One-way independent samples ANOVA" (ECU): f = 0.0996126,
    # α = .05, 3 groups, N = 975 -> λ = 9.6746033, df2 = 972, actual power 0.8004415.
    assert lambda_from_f(0.0996126, 975) == pytest.approx(9.6746033, rel=1e-6)
    assert power_for_f(0.0996126, 975, df_effect=2, n_groups=3) == pytest.approx(0.8004415, abs=2e-6)


def test_cohen_four_groups_medium_effect_needs_45_per_group():
    # Cohen (1992), A power primer, Table 2: one-way ANOVA, 4 groups, medium effect (f = .25),
    # α = .05, power .80 -> n = 45 per group.
    assert power_for_f(0.25, 4 * 45, df_effect=3, n_groups=4) >= 0.80
    assert power_for_f(0.25, 4 * 44, df_effect=3, n_groups=4) < 0.80


def test_lambda_zero_is_the_central_f():
    # scipy's ncf.sf at nc = 0 is wrong (scipy 1.17: ncf.sf(3.9, 1, 76, 0) = -0.948); at λ = 0 power is α.
    assert f_test_power(0.0, 1, 76, 0.05) == pytest.approx(0.05, abs=1e-12)
    assert f_test_power(np.array([0.0, 5.0]), 1, 76, 0.01)[0] == pytest.approx(0.01, abs=1e-12)
    table = analytic_power([[20, 20], [20, 25]], sd=5, n_per_cell=20, alpha=0.01)
    null = table[table.effect == "A at B=B1"]
    assert null.power.iloc[0] == pytest.approx(0.01, abs=1e-12)


def test_simple_effects_are_tested_against_the_whole_model_error():
    # A at B=B2: cells 20 vs 25 at n = 20, pooled error df 76: λ = (5²/ (2/20)) / 25 = 10.
    table = analytic_power([[20, 20], [20, 25]], sd=5, n_per_cell=20).set_index("effect")
    assert table.loc["A at B=B2", "lambda"] == pytest.approx(10.0)
    assert table.loc["A at B=B2", "power"] == pytest.approx(f_test_power(10.0, 1, 76), rel=1e-12)


def test_named_cells_and_unequal_n():
    means = {"warm/high": 28, "warm/low": 38, "neutral/high": 40, "neutral/low": 45}
    balanced = analytic_power(means, 15, 30, factors=FACTORS)
    assert balanced.effect.tolist()[:3] == ["warmth", "competence", "warmth * competence"]
    unequal = analytic_power(
        means, 15, {"warm/high": 30, "warm/low": 30, "neutral/high": 30, "neutral/low": 10}, factors=FACTORS
    )
    assert (unequal.power.to_numpy()[:3] < balanced.power.to_numpy()[:3]).all()
    # Type III λ with unequal n: (Cμ)² / (σ² Σ c²/n) for the 1-df interaction contrast (1, -1, -1, 1)/4 · 4
    c = np.array([1, -1, -1, 1])
    mu = np.array([28, 38, 40, 45])
    n = np.array([30, 30, 30, 10])
    expected = (c @ mu) ** 2 / (225 * np.sum(c**2 / n))
    assert unequal.set_index("effect").loc["warmth * competence", "lambda"] == pytest.approx(expected)


def test_three_levels_have_two_df():
    table = analytic_power([[10, 12, 15], [11, 11, 11]], sd=4, n_per_cell=15).set_index("effect")
    assert table.loc["B", "df1"] == 2 and table.loc["A * B", "df1"] == 2 and table.loc["A", "df1"] == 1
    assert table.loc["B at A=A1", "df1"] == 2 and table.loc["A at B=B3", "df1"] == 1


@pytest.mark.parametrize(("n_total", "cells", "q", "lam"), [(80, 4, 1, 6.7), (48, 6, 2, 9.0), (400, 4, 1, 3.0)])
def test_ancova_quadrature_matches_numerical_integration(n_total, cells, q, lam):
    df2 = n_total - cells - 1
    nu = n_total - cells + q - 1
    expected, _ = integrate.quad(
        lambda b: f_test_power(lam * (1 - b), q, df2) * stats.beta.pdf(b, 0.5, nu / 2), 0, 1, limit=200
    )
    assert ancova_power(lam, q, df2, cells, n_total, 0.05) == pytest.approx(expected, abs=1e-9)


def test_ancova_is_below_the_usual_approximation_and_above_the_anova():
    table = analytic_power([[20, 20], [20, 25]], sd=5, n_per_cell=20, baseline_r=0.5).set_index(["analysis", "effect"])
    anova = table.loc[("ANOVA", "A * B"), "power"]
    ancova = table.loc[("ANCOVA", "A * B"), "power"]
    approximation = f_test_power(5 / 0.75, 1, 75)  # λ = λ_ANOVA / (1 − r²), G*Power's ANCOVA
    assert anova < ancova < approximation
    assert approximation - ancova < 0.01
