"""ANOVA against published reference values; each block names its source."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin
import pytest
from numpy.testing import assert_allclose

from placebolab.analysis import anova
from placebolab.analysis.anova import ANOVA_COLUMNS


def test_toothgrowth_matches_r_aov(toothgrowth):
    # Source: R 4.x, summary(aov(len ~ supp * factor(dose), data = ToothGrowth)):
    #             Df Sum Sq Mean Sq F value   Pr(>F)
    # supp         1  205.4   205.4  15.572 0.000231
    # dose         2 2426.4  1213.2  92.000  < 2e-16
    # supp:dose    2  108.3    54.2   4.107 0.021860
    # Residuals   54  712.1    13.2
    table = anova(toothgrowth, "len", ["supp", "dose"])
    assert list(table.columns) == ANOVA_COLUMNS
    assert list(table["Source"]) == ["supp", "dose", "supp * dose", "Residual"]
    assert list(table["DF"]) == [1, 2, 2, 54]
    assert_allclose(table["F"][:3], [15.572, 92.000, 4.107], atol=5e-4)
    assert_allclose(table["SS"], [205.350, 2426.434, 108.319, 712.106], atol=5e-4)
    assert_allclose(table["p_unc"][[0, 2]], [0.000231, 0.021860], atol=5e-6)
    assert table["p_unc"][1] < 2e-16


def test_toothgrowth_cell_means_match_r(toothgrowth):
    # Source: R, with(ToothGrowth, tapply(len, list(supp, dose), mean)); guards the copied data.
    means = toothgrowth.groupby(["supp", "dose"])["len"].mean()
    assert_allclose(means.to_numpy(), [13.23, 22.70, 26.06, 7.98, 16.77, 26.14])


def test_balanced_two_way_matches_jasp():
    # Source: pingouin's 'anova2' dataset (crop yield by fertiliser blend and crop); the values are
    # JASP's, as checked in pingouin's tests/test_parametric.py (test_anova).
    data = pingouin.read_dataset("anova2")
    table = anova(data, "Yield", ["Blend", "Crop"]).round(4)
    assert_allclose(table["MS"], [2.0417, 1368.2917, 1180.0417, 541.8472])
    assert_allclose(table["F"][:3], [0.0038, 2.5252, 2.1778])
    assert_allclose(table["p_unc"][:3], [0.9517, 0.1080, 0.1422])
    assert_allclose(table["np2"][:3], [0.0002, 0.2191, 0.1948])


def test_unbalanced_two_way_type3_matches_onlinestatbook():
    # Source: D. M. Lane, Online Statistics Education (onlinestatbook.com), "Unequal Sample Sizes",
    # diet × exercise weight-loss example, type III table: Diet SS 390.625, Exercise 180.625,
    # D × E 15.625, Error 315.750 on 6 df; the same numbers are in pingouin's docs and tests for its
    # 'anova2_unbalanced' dataset (F 7.423, 3.432, 0.297; p .034, .113, .605; np2 .553, .364, .047).
    data = pingouin.read_dataset("anova2_unbalanced")
    table = anova(data, "Scores", ["Diet", "Exercise"], ss_type=3)
    assert_allclose(table["SS"], [390.625, 180.625, 15.625, 315.750])
    assert list(table["DF"]) == [1, 1, 1, 6]
    assert_allclose(table["F"][:3], [7.423, 3.432, 0.297], atol=5e-4)
    assert_allclose(table["p_unc"][:3], [0.034, 0.113, 0.605], atol=5e-4)
    assert_allclose(table["np2"][:3], [0.553, 0.364, 0.047], atol=5e-4)


def test_unbalanced_type3_equals_unweighted_means_contrast():
    # Independent derivation (the one onlinestatbook's page walks through): in a 2 × 2, type III SS of
    # a main effect is L² / (¼ Σ 1/n_ij) with L the difference of the unweighted marginal means.
    data = pingouin.read_dataset("anova2_unbalanced")
    cells = data.groupby(["Diet", "Exercise"])["Scores"].agg(["mean", "count"])
    diet = cells["mean"].groupby(level="Diet").mean()
    contrast = diet["Low"] - diet["High"]
    expected_ss = contrast**2 / (0.25 * (1 / cells["count"]).sum())
    table = anova(data, "Scores", ["Diet", "Exercise"], ss_type=3)
    assert table["SS"][0] == pytest.approx(expected_ss) == pytest.approx(390.625)


def test_unbalanced_three_way_matches_jasp_for_each_ss_type():
    # Source: JASP values for pingouin's 'anova3_unbalanced' (cholesterol by sex, risk and drug),
    # as listed in pingouin's tests/test_parametric.py (test_anova).
    data = pingouin.read_dataset("anova3_unbalanced")
    expected_f = {
        1: [4.155, 15.166, 0.422, 0.085, 0.859, 1.170, 0.505],
        2: [3.759, 15.169, 0.429, 0.099, 0.739, 1.170, 0.505],
        3: [3.910, 15.555, 0.484, 0.079, 0.750, 1.060, 0.505],
    }
    expected_np2_type3 = [0.064, 0.214, 0.017, 0.001, 0.026, 0.036, 0.017]
    for ss_type, f_values in expected_f.items():
        table = anova(data, "Cholesterol", ["Sex", "Risk", "Drug"], ss_type=ss_type)
        assert_allclose(table["F"][:7], f_values, atol=5e-4, err_msg=f"type {ss_type}")
        assert table["Source"].iloc[-1] == "Residual" and table["DF"].iloc[-1] == 57
    assert_allclose(table["np2"][:7], expected_np2_type3, atol=5e-4)


def _statsmodels_type3(data: pd.DataFrame, dv: str, factors: list[str]) -> pd.DataFrame:
    """Type III with sum-to-zero contrasts, fitted directly with statsmodels (independent of pingouin)."""
    from statsmodels.formula.api import ols
    from statsmodels.stats.anova import anova_lm

    renamed = data.rename(columns={dv: "y", **{f: f"f{i}" for i, f in enumerate(factors)}})
    formula = "y ~ " + " * ".join(f"C(f{i}, Sum)" for i in range(len(factors)))
    return anova_lm(ols(formula, data=renamed).fit(), typ=3).iloc[1:]  # drop the intercept row


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unbalanced_type3_equals_sum_coded_statsmodels(seed):
    # Unequal cells (5 to 30 per cell) in the placebolab 2 × 2: type III must use sum-to-zero coding.
    rng = np.random.default_rng(seed)
    sizes = {("warm", "high"): 30, ("warm", "low"): 5, ("neutral", "high"): 12, ("neutral", "low"): 21}
    rows = [
        {"warmth": w, "competence": c, "itch_post": rng.normal(50 - 8 * (w == "warm") - 5 * (c == "high") - 6 * (w == "warm") * (c == "high"), 10)}
        for (w, c), n in sizes.items()
        for _ in range(n)
    ]  # fmt: skip
    data = pd.DataFrame(rows)
    ours = anova(data, "itch_post", ["warmth", "competence"], ss_type=3)
    reference = _statsmodels_type3(data, "itch_post", ["warmth", "competence"])
    assert_allclose(ours["SS"], reference["sum_sq"], rtol=1e-10)
    assert_allclose(ours["F"][:3], reference["F"][:3], rtol=1e-10)
    assert_allclose(ours["p_unc"][:3], reference["PR(>F)"][:3], rtol=1e-8)
    # ...and it is not the treatment-coded "type III" that silently tests simple effects instead.
    from statsmodels.formula.api import ols
    from statsmodels.stats.anova import anova_lm

    treatment = anova_lm(ols("itch_post ~ C(warmth) * C(competence)", data=data).fit(), typ=3)
    assert not np.isclose(ours["SS"][0], treatment["sum_sq"].iloc[1])


def test_type3_differs_from_type2_when_unbalanced_with_interaction():
    # Source for type II: pingouin's tests (JASP) on 'anova2_unbalanced' with row 9 missing:
    # F 10.403, 5.167, 0.761. Type III on the same data must differ for the main effects.
    data = pingouin.read_dataset("anova2_unbalanced")
    data.loc[9, "Scores"] = np.nan
    type2 = anova(data, "Scores", ["Diet", "Exercise"], ss_type=2)
    type3 = anova(data, "Scores", ["Diet", "Exercise"], ss_type=3)
    assert_allclose(type2["F"][:3], [10.403, 5.167, 0.761], atol=5e-4)
    assert_allclose(type3["SS"], _statsmodels_type3(data.dropna(), "Scores", ["Diet", "Exercise"])["sum_sq"])
    assert not np.allclose(type2["F"][:2], type3["F"][:2])


def test_one_way_matches_jasp_and_names_residual():
    # Source: JASP via pingouin's tests, 'anova' dataset (pain threshold by hair colour):
    # F(3, 15) = 6.791, p = .004, np2 = .576. Pingouin calls the error row "Within"; we say "Residual".
    data = pingouin.read_dataset("anova")
    table = anova(data, "Pain threshold", "Hair color")
    assert list(table["Source"]) == ["Hair color", "Residual"]
    assert list(table["DF"]) == [3, 15]
    assert_allclose(table[["F", "p_unc", "np2"]].iloc[0], [6.791, 0.004, 0.576], atol=5e-4)


def test_column_names_with_formula_characters_are_safe(toothgrowth):
    # Exported names such as itch_post@t0+3min or expectancy.expectancy must not reach a formula.
    renamed = toothgrowth.rename(columns={"len": "itch_post@t0+3min", "supp": "clinician.warmth", "dose": "it's"})
    table = anova(renamed, "itch_post@t0+3min", ["clinician.warmth", "it's"])
    assert list(table["Source"]) == ["clinician.warmth", "it's", "clinician.warmth * it's", "Residual"]
    assert_allclose(table["F"][:3], [15.572, 92.000, 4.107], atol=5e-4)


def test_categorical_factor_with_unused_level_is_ignored(toothgrowth):
    data = toothgrowth.assign(supp=pd.Categorical(toothgrowth["supp"], categories=["OJ", "VC", "placebo"]))
    table = anova(data, "len", ["supp", "dose"])
    assert_allclose(table["F"][:3], [15.572, 92.000, 4.107], atol=5e-4)


def test_missing_dv_rows_are_dropped(toothgrowth):
    data = toothgrowth.copy()
    data.loc[[0, 35], "len"] = np.nan
    table = anova(data, "len", ["supp", "dose"])
    assert table["DF"].iloc[-1] == 52
