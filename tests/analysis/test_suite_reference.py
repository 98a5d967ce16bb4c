"""ANCOVA, adjusted means, simple effects, time course and mediation against published values.

Each test names its source. pingouin's data sets are read with ``pingouin.read_dataset``; the
JASP / R afex values quoted are those pingouin's own tests check (tests/test_parametric.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin
import pytest
from numpy.testing import assert_allclose

from placebolab.analysis import (
    anova,
    assumption_checks,
    estimated_marginal_means,
    mediation,
    permutation_anova,
    robust_anova,
    simple_effects,
    time_course,
)
from tests.analysis.synthetic import DATA


@pytest.fixture
def warpbreaks() -> pd.DataFrame:
    data = pd.read_csv(DATA / "warpbreaks.csv")
    data["tension"] = pd.Categorical(data["tension"], ["L", "M", "H"])
    return data


# --- ANCOVA -------------------------------------------------------------------------------------


def test_ancova_one_covariate_matches_jasp():
    # Source: JASP, ANCOVA of Scores by Method with covariate Income on pingouin's 'ancova' data
    # (pingouin tests/test_parametric.py test_ancova): DF 3, 1, 31; F 3.3365, 29.4194; np2 .2441, .4869.
    table = anova(pingouin.read_dataset("ancova"), "Scores", "Method", covariates="Income").round(4)
    assert list(table["Source"]) == ["Method", "Income", "Residual"]
    assert list(table["DF"]) == [3, 1, 31]
    assert_allclose(table["F"][:2], [3.3365, 29.4194])
    assert_allclose(table["p_unc"][:2], [0.0319, 0.0], atol=1e-4)
    assert_allclose(table["np2"][:2], [0.2441, 0.4869])


def test_ancova_two_covariates_unbalanced_matches_jasp():
    # Source: as above, rows 1 and 2 without Scores, covariates Income and BMI:
    # DF 3, 1, 1, 28; F 3.0186, 19.6045, 1.2279; p .0464, .0001, .2772; np2 .2444, .4118, .0420.
    data = pingouin.read_dataset("ancova")
    data.loc[[1, 2], "Scores"] = np.nan
    for ss_type in (2, 3):  # no factor × covariate term: both types agree here, as in JASP
        table = anova(data, "Scores", "Method", covariates=["Income", "BMI"], ss_type=ss_type).round(4)
        assert list(table["DF"]) == [3, 1, 1, 28]
        assert_allclose(table["F"][:3], [3.0186, 19.6045, 1.2279])
        assert_allclose(table["p_unc"][:3], [0.0464, 0.0001, 0.2772])
        assert_allclose(table["np2"][:3], [0.2444, 0.4118, 0.0420])


def test_adjusted_means_follow_the_textbook_formula():
    # Source: the one-factor ANCOVA adjusted mean (Maxwell & Delaney, Designing Experiments, ch. 9):
    # M_adj(g) = M_y(g) − b_w (M_x(g) − M_x), b_w the pooled within-group slope.
    data = pingouin.read_dataset("ancova")
    groups = data.groupby("Method")
    dx = data["Income"] - groups["Income"].transform("mean")
    dy = data["Scores"] - groups["Scores"].transform("mean")
    b_within = (dx * dy).sum() / (dx**2).sum()
    expected = groups["Scores"].mean() - b_within * (groups["Income"].mean() - data["Income"].mean())
    emm = estimated_marginal_means(data, "Scores", "Method", covariates="Income").set_index("Method")
    assert_allclose(emm["emmean"], expected[emm.index], rtol=1e-10)
    assert (emm["ci_low"] < emm["emmean"]).all() and (emm["emmean"] < emm["ci_high"]).all()
    assert set(emm["df"]) == {31}


def test_marginal_means_of_balanced_data_are_the_raw_means(warpbreaks):
    # Source: R, with(warpbreaks, tapply(breaks, tension, mean)): L 36.39, M 26.39, H 21.67; the
    # SE sqrt(MSE / 18) = 2.58 on 48 df is emmeans(lm(breaks ~ wool * tension), ~ tension).
    emm = estimated_marginal_means(warpbreaks, "breaks", ["wool", "tension"], specs="tension")
    assert list(emm["tension"]) == ["L", "M", "H"]
    assert_allclose(emm["emmean"], [36.3889, 26.3889, 21.6667], atol=5e-5)
    assert_allclose(emm["se"], np.sqrt(119.689815 / 18), rtol=1e-8)


# --- simple effects -----------------------------------------------------------------------------


def test_simple_effects_match_emmeans_vignette(warpbreaks):
    # Source: emmeans vignette "Comparisons and contrasts",
    # pairs(emmeans(lm(breaks ~ wool * tension, warpbreaks), ~ tension | wool)):
    # wool A: L−M 20.556 (SE 5.16, t 3.986), L−H 20.000 (t 3.878), M−H −0.556 (t −0.108);
    # wool B: L−M −0.556, L−H 9.444 (t 1.831), M−H 10.000 (t 1.939); df 48 (the pooled error).
    table = simple_effects(warpbreaks, "breaks", "tension", by="wool")
    pairs = table[table["contrast"] != "joint"]
    assert_allclose(pairs["estimate"], [20.556, 20.000, -0.556, -0.556, 9.444, 10.000], atol=5e-4)
    assert_allclose(pairs["t"], [3.986, 3.878, -0.108, -0.108, 1.831, 1.939], atol=5e-4)
    assert_allclose(pairs["se"], 5.157, atol=5e-4)
    assert set(table["DF2"]) == {48}
    # Source: emmeans::joint_tests(fit, by = "wool"): F(2, 48) = 10.312 at A, 2.375 at B; checked
    # here against the hand formula n Σ (cell mean − row mean)² / df / MSE with MSE 119.6898.
    joint = table[table["contrast"] == "joint"]
    cells = warpbreaks.groupby(["wool", "tension"], observed=True)["breaks"].mean()
    by_hand = [9 * ((cells[w] - cells[w].mean()) ** 2).sum() / 2 / 119.689815 for w in "AB"]
    assert_allclose(joint["F"], by_hand, rtol=1e-8)
    assert_allclose(joint["F"], [10.312, 2.375], atol=5e-4)


def test_simple_effect_of_two_level_factor_has_t_squared_equal_f_and_holm(warpbreaks):
    table = simple_effects(warpbreaks, "breaks", "wool", by="tension")
    assert list(table["contrast"]) == ["A − B"] * 3
    assert_allclose(table["t"] ** 2, table["F"])
    # Holm over the three tests: smallest p × 3, then × 2, × 1 (monotone).
    p = np.sort(table["p_unc"].to_numpy())
    assert_allclose(np.sort(table["p_adj"].to_numpy()), np.maximum.accumulate(np.minimum(1, p * [3, 2, 1])))


def test_simple_effects_with_covariate_use_ancova_error_df():
    data = pingouin.read_dataset("ancova")
    data["Half"] = np.where(data.index % 2 == 0, "even", "odd")
    table = simple_effects(data, "Scores", "Half", by="Method", covariates="Income")
    assert set(table["DF2"]) == {len(data) - 8 - 1}


# --- time course --------------------------------------------------------------------------------


def test_mixed_anova_matches_jasp_and_afex():
    # Source: pingouin's 'mixed_anova' data (balanced, 2 groups × 3 times); JASP: SS 5.45996,
    # 7.62843, 5.16719; F 5.05171, 4.02739, 2.72800; DF2 58, 116; R afex::aov_ez: eps .99812,
    # Mauchly W .99812 (p .94769), GG p .02044, .06966; ng2 (JAMOVI) .03067, .04234, .02908.
    table = time_course(pingouin.read_dataset("mixed_anova"), "Scores", "Time", "Subject", "Group").round(5)
    assert list(table["Source"]) == ["Group", "Time", "Time * Group"]
    assert_allclose(table["SS"], [5.45996, 7.62843, 5.16719])
    assert list(table["DF1"]) == [1, 2, 2] and list(table["DF2"]) == [58, 116, 116]
    assert_allclose(table["F"], [5.05171, 4.02739, 2.72800])
    assert_allclose(table["eps"][1:], [0.99812, 0.99812])
    assert_allclose(table["W_spher"][1:], [0.99812, 0.99812])
    assert_allclose(table["p_spher"][1:], [0.94769, 0.94769])
    assert_allclose(table["p_GG_corr"][1:], [0.02044, 0.06966])
    assert_allclose(table["ng2"], [0.03067, 0.04234, 0.02908])


def test_within_only_matches_jamovi():
    # Source: JAMOVI, repeated-measures ANOVA of Scores by Time on pingouin's 'mixed_anova' data,
    # ignoring Group (pingouin tests/test_parametric.py test_rm_anova): F 3.91280, p .02263, ng2 .03998.
    table = time_course(pingouin.read_dataset("mixed_anova"), "Scores", "Time", "Subject").round(5)
    assert list(table["Source"]) == ["Time"]
    assert_allclose(table[["F", "p_unc", "ng2"]].iloc[0], [3.91280, 0.02263, 0.03998])


def test_mixed_anova_nonspherical_matches_afex():
    # Source: R afex::aov_ez on the non-spherical data built in pingouin's test_mixed_anova
    # (issue #524): F 4.3177, 7.8161, 11.7164; eps .73320; W .63611 (p .02138); GG p .00454, .00067.
    rng = np.random.default_rng(0)
    rows = []
    for group, shift in [("A", np.array([0.0, 1.0, 2.0])), ("B", np.array([2.0, 1.0, 0.0]))]:
        for i in range(10):
            base, noise = rng.normal(0, 1), rng.normal(0, [0.3, 1.0, 2.0])
            rows += [(f"{group}{i}", group, f"T{t}", base + shift[t] + noise[t] + 0.5 * t) for t in range(3)]
    data = pd.DataFrame(rows, columns=["Subject", "Group", "Time", "Scores"])
    table = time_course(data, "Scores", "Time", "Subject", "Group").round(5)
    assert_allclose(table["F"].round(4), [4.3177, 7.8161, 11.7164])
    assert_allclose(table["eps"][1:], [0.73320, 0.73320])
    assert_allclose(table["W_spher"][1:], [0.63611, 0.63611])
    assert_allclose(table["p_spher"][1:], [0.02138, 0.02138])
    assert_allclose(table["p_GG_corr"][1:], [0.00454, 0.00067])


def test_mixed_anova_type2_unbalanced_matches_jasp():
    # Source: JASP (type II) on pingouin's 'mixed_anova_unbalanced' (3 groups × 4 times):
    # DF1 2, 3, 6; DF2 23, 69; F 2.3026, 1.7071, 0.8877; eps .9254; GG p .1779, .5031; ng2 .0371, .0566, .0587.
    data = pingouin.read_dataset("mixed_anova_unbalanced")
    table = time_course(data, "Scores", "Time", "Subject", "Group", ss_type=2).round(4)
    assert list(table["DF1"]) == [2, 3, 6]
    assert_allclose(table["F"], [2.3026, 1.7071, 0.8877])
    assert_allclose(table["eps"][1:], [0.9254, 0.9254])
    assert_allclose(table["p_GG_corr"][1:], [0.1779, 0.5031])
    assert_allclose(table["ng2"], [0.0371, 0.0566, 0.0587])


def test_two_time_points_reduce_to_the_change_score_anova():
    # With two occasions the mixed ANOVA is the ANOVA of the change score (post − pre): time ×
    # factor F equals the factor's F on the change, and time's F equals the squared one-sample t
    # of the change's unweighted cell mean (type III). Exact identities, for unbalanced cells too.
    rng = np.random.default_rng(7)
    n = 37
    wide = pd.DataFrame({
        "id": range(n),
        "warmth": rng.choice(["warm", "neutral"], n),
        "competence": rng.choice(["high", "low"], n),
        "pre": rng.normal(50, 10, n),
    })  # fmt: skip
    wide["post"] = wide["pre"] - 5 * (wide["warmth"] == "warm") + rng.normal(0, 8, n)
    long = wide.melt(id_vars=["id", "warmth", "competence"], value_vars=["pre", "post"], var_name="time")
    long["time"] = pd.Categorical(long["time"], ["pre", "post"])
    mixed = time_course(long, "value", "time", "id", ["warmth", "competence"]).set_index("Source")
    change = anova(wide.assign(change=wide["post"] - wide["pre"]), "change", ["warmth", "competence"]).set_index(
        "Source"
    )
    for effect in ["warmth", "competence", "warmth * competence"]:
        assert mixed.loc[f"time * {effect}", "F"] == pytest.approx(change.loc[effect, "F"], rel=1e-10)
        assert mixed.loc[f"time * {effect}", "p_unc"] == pytest.approx(change.loc[effect, "p_unc"], rel=1e-8)
    emm = estimated_marginal_means(wide.assign(change=wide["post"] - wide["pre"]), "change", ["warmth", "competence"])
    grand, se = emm["emmean"].mean(), np.sqrt((emm["se"] ** 2).sum()) / 4
    assert mixed.loc["time", "F"] == pytest.approx((grand / se) ** 2, rel=1e-10)
    assert mixed.loc["time", "eps"] == 1.0


# --- mediation ----------------------------------------------------------------------------------


def test_mediation_paths_match_pingouin_and_ols():
    # Source: pingouin.mediation_analysis on its 'mediation' data (docstring, tested against R's
    # 'mediation' package): a 0.561015, total 0.396126, direct 0.039604, indirect 0.356522.
    data = pingouin.read_dataset("mediation")
    res = mediation(data, "X", "M", "Y", n_boot=2000, seed=42).set_index("path")
    assert_allclose(res.loc[["a", "c", "c'", "indirect"], "coef"], [0.561015, 0.396126, 0.039604, 0.356522], atol=1e-6)
    assert_allclose(res.loc[["a", "c", "c'"], "se"], [0.094480, 0.111160, 0.109648], atol=1e-6)
    # b by hand: the coefficient of M in the OLS of Y on [1, X, M]; and c = c' + a·b exactly.
    design = np.column_stack([np.ones(len(data)), data["X"], data["M"]])
    b_hand = np.linalg.lstsq(design, data["Y"], rcond=None)[0][2]
    assert res.loc["b", "coef"] == pytest.approx(b_hand, rel=1e-10)
    assert res.loc["c", "coef"] == pytest.approx(res.loc["c'", "coef"] + res.loc["a", "coef"] * b_hand, rel=1e-10)
    # The bootstrap interval lands near pingouin's (0.22, 0.54) and excludes 0.
    assert 0.17 < res.loc["indirect", "ci_low"] < 0.27 and 0.46 < res.loc["indirect", "ci_high"] < 0.60
    assert bool(res.loc["indirect", "sig"]) and not bool(res.loc["c'", "sig"])


def test_mediation_is_reproducible_with_a_seed_and_codes_factors():
    data = pingouin.read_dataset("mediation")
    data["group"] = pd.Categorical(np.where(data["X"] > data["X"].median(), "high", "low"), ["high", "low"])
    one = mediation(data, "group", "M", "Y", n_boot=500, seed=3)
    two = mediation(data, "group", "M", "Y", n_boot=500, seed=3)
    pd.testing.assert_frame_equal(one, two)
    # 'high' is the first level, so it is coded 1: a is the high − low difference in mean M.
    means = data.groupby("group", observed=True)["M"].mean()
    assert one.set_index("path").loc["a", "coef"] == pytest.approx(means["high"] - means["low"], rel=1e-10)


def test_moderated_mediation_index_is_the_difference_of_conditional_indirect_effects():
    data = pingouin.read_dataset("mediation")
    res = mediation(data, "X", "M", "Y", moderator="Ybin", n_boot=1000, seed=1).set_index("path")
    assert "indirect | Ybin=mean+1SD" in res.index  # a numeric moderator: at mean and ± 1 SD
    data["group"] = pd.Categorical(np.where(data["Ybin"] == 1, "yes", "no"), ["yes", "no"])
    by_level = mediation(data, "X", "M", "Y", moderator="group", n_boot=1000, seed=1).set_index("path")
    assert by_level.loc["indirect | group=yes", "coef"] == pytest.approx(
        by_level.loc["indirect | group=no", "coef"] + by_level.loc["index", "coef"], rel=1e-10
    )
    res = res.rename(index={"indirect | Ybin=mean+1SD": "hi", "indirect | Ybin=mean−1SD": "lo"})
    sd = data["Ybin"].std(ddof=1)
    assert res.loc["index", "coef"] * 2 * sd == pytest.approx(res.loc["hi", "coef"] - res.loc["lo", "coef"], rel=1e-10)
    # a*w by hand: the coefficient of X·W in the OLS of M on [1, X, W, X·W].
    design = np.column_stack([np.ones(len(data)), data["X"], data["Ybin"], data["X"] * data["Ybin"]])
    assert res.loc["a*w", "coef"] == pytest.approx(np.linalg.lstsq(design, data["M"], rcond=None)[0][3], rel=1e-10)


# --- assumptions --------------------------------------------------------------------------------


def test_assumption_checks_match_scipy_and_flag_unequal_variances():
    # Source: scipy.stats.levene(center="median") = R car::leveneTest (Brown–Forsythe), on residuals.
    rng = np.random.default_rng(2)
    data = pd.DataFrame(
        {"g": np.repeat(["a", "b"], 40), "y": np.concatenate([rng.normal(0, 1, 40), rng.normal(0, 6, 40)])}
    )
    checks = assumption_checks(data, "y", "g").set_index("check")
    assert not checks.loc["equal variances (Levene)", "ok"]
    assert (
        "HC3" in checks.loc["equal variances (Levene)", "note"]
        and "permutation" in checks.loc["equal variances (Levene)", "note"]
    )
    robust = robust_anova(data, "y", "g")
    assert robust["F"][0] != anova(data, "y", "g")["F"][0]


def test_slopes_check_catches_opposite_slopes():
    data = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 6, "pre": [1.0, 2, 3, 4, 5, 6] * 2,
                         "post": [1.0, 2.1, 2.9, 4.2, 5, 6.1, 12, 10.1, 7.9, 6.2, 4, 2.1]})  # fmt: skip
    checks = assumption_checks(data, "post", "g", covariates="pre").set_index("check")
    assert not checks.loc["homogeneity of regression slopes", "ok"]


def test_permutation_anova_keeps_f_and_approximates_the_f_distribution(warpbreaks):
    # Freedman–Lane with normal-ish errors: permutation p close to the F test's (R: 0.0582, 0.0007, 0.0210).
    table = permutation_anova(warpbreaks, "breaks", ["wool", "tension"], n_perm=4999, seed=11)
    assert_allclose(table["F"][:3], [3.765, 8.498, 4.189], atol=5e-4)
    assert_allclose(table["p_perm"][:3], [0.0582, 0.0007, 0.0210], atol=0.012)
    again = permutation_anova(warpbreaks, "breaks", ["wool", "tension"], n_perm=4999, seed=11)
    pd.testing.assert_frame_equal(table, again)


def test_permutation_anova_with_covariate_and_its_bad_input():
    data = pingouin.read_dataset("ancova")
    table = permutation_anova(data, "Scores", "Method", covariates="Income", n_perm=1999, seed=3)
    assert_allclose(table["F"][:2], [3.3365, 29.4194], atol=5e-5)  # JASP, as above
    assert abs(table["p_perm"][0] - 0.0319) < 0.015 and table["p_perm"][1] < 0.002
    from placebolab.errors import AnalysisError

    with pytest.raises(AnalysisError, match="n_perm"):
        permutation_anova(data, "Scores", "Method", n_perm=10)
