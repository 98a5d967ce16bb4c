"""Pairwise comparisons, planned and interaction contrasts, and effect sizes with CIs, against R.

R 4.2 with emmeans 1.8.4, effectsize 0.8.3, mvtnorm 1.1-3 (Debian bookworm). Data: pingouin's
'ancova' set (Scores by Method A–D, n 8/8/10/10, covariate Income; written to CSV for R) and
R's warpbreaks with rows 2, 3, 21 and 40 dropped (unbalanced 2 × 3), read in R as
``w <- warpbreaks[-c(2, 3, 21, 40), ]`` with ``contrasts = list(wool = contr.sum, tension = contr.sum)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin
import pytest
from numpy.testing import assert_allclose

from placebolab.analysis import anova, anova_effect_sizes, contrasts, interaction_contrasts, pairwise
from placebolab.analysis.contrasts import split_comparison
from placebolab.errors import AnalysisError
from tests.analysis.synthetic import DATA


@pytest.fixture
def ancova() -> pd.DataFrame:
    return pingouin.read_dataset("ancova")


@pytest.fixture
def warp() -> pd.DataFrame:
    data = pd.read_csv(DATA / "warpbreaks.csv")
    data["tension"] = pd.Categorical(data["tension"], ["L", "M", "H"])
    return data.drop(index=[1, 2, 20, 39])  # R's rows 2, 3, 21, 40


# fit <- lm(Scores ~ Method + Income, d); emm <- emmeans(fit, ~ Method)
# as.data.frame(summary(pairs(emm, adjust = "tukey"), infer = TRUE))
TUKEY_ANCOVA = {
    "contrast": ["A − B", "A − C", "A − D", "B − C", "B − D", "C − D"],
    "estimate": [-6.2708154016, 2.4497904782, 5.1857522743, 8.7206058798, 11.4565676759, 2.7359617961],
    "se": [3.8707671401, 3.5930460602, 3.5996349990, 3.6289017416, 3.7774692135, 3.4343107914],
    "t": [-1.62004459959, 0.68181438176, 1.44063280740, 2.40309782431, 3.03286857640, 0.79665527153],
    "p_adj": [0.382552667069, 0.903220243858, 0.484509437294, 0.097469062974, 0.023842451215, 0.855400192957],
    "ci_low": [-16.7763561113, -7.3019952249, -4.5839162832, -1.1284947241, 1.2042442565, -6.5850049588],
    "ci_high": [4.234725308, 12.201576181, 14.955420832, 18.569706484, 21.708891095, 12.056928551],
}


def test_tukey_on_adjusted_means_matches_emmeans(ancova):
    table = pairwise(ancova, "Scores", "Method", covariates="Income", padjust="tukey")
    assert list(table["contrast"]) == TUKEY_ANCOVA["contrast"]
    assert (table["df"] == 31).all()
    for column in ("estimate", "se", "t", "p_adj", "ci_low", "ci_high"):
        assert_allclose(table[column], TUKEY_ANCOVA[column], rtol=1e-8, atol=1e-8, err_msg=column)
    assert "Tukey" in table.attrs["family"] and "6 comparisons" in table.attrs["family"]


def test_holm_p_and_bonferroni_intervals_match_emmeans(ancova):
    # summary(pairs(emm, adjust = "holm"), infer = TRUE): "P value adjustment: holm method for 6 tests",
    # "Conf-level adjustment: bonferroni method for 6 estimates".
    table = pairwise(ancova, "Scores", "Method", covariates="Income")
    assert_allclose(
        table["p_adj"],
        [0.461409918066, 0.863421014251, 0.479139215365, 0.112147164302, 0.029190646417, 0.863421014251],
        rtol=1e-9,
    )
    assert_allclose(table["ci_low"], [-17.17983000788, -7.67652054305, -4.95912840704, -1.50675750072,
                                      0.81049537733, -6.94298432237], rtol=1e-9)  # fmt: skip
    assert_allclose(table["ci_high"][:2], [4.6381992046, 12.5761014994], rtol=1e-9)
    assert table.attrs["family"].startswith("Holm-adjusted over the 6 comparisons")
    assert "Bonferroni" in table.attrs["intervals"]


def test_dunnett_is_the_multivariate_t_of_emmeans_mvt_and_multcomp(ancova):
    # contrast(emm, "trt.vs.ctrl", ref = 1, adjust = "mvt"): p .2618 .8318 .3488; multcomp
    # summary(glht(fit, linfct = mcp(Method = "Dunnett"))): .26169 .83180 .34884. Both are Monte Carlo
    # at abseps 1e-3; the exact values, with the correlation R <- cov2cor(vcov(ct)) of the contrasts:
    # 1 - pmvt(rep(-x, 3), rep(x, 3), df = 31, corr = R, algorithm = GenzBretz(maxpts = 5e6, abseps = 1e-8))
    #   = 0.261780438581, 0.831812680334, 0.348799755512
    # qmvt(0.95, tail = "both.tails", df = 31, corr = R, <same algorithm>)$quantile = 2.46450044066
    table = pairwise(ancova, "Scores", "Method", covariates="Income", padjust="dunnett", control="A")
    assert list(table["contrast"]) == ["B − A", "C − A", "D − A"]
    assert_allclose(table["p_adj"], [0.261780438581, 0.831812680334, 0.348799755512], atol=1e-5)
    quantile = 2.46450044066
    assert_allclose(table["ci_low"], table["estimate"] - quantile * table["se"], atol=1e-4)
    assert_allclose(table["estimate"], [6.2708154016, -2.4497904782, -5.1857522743], rtol=1e-9)
    assert table.attrs["family"].startswith("Dunnett-adjusted (multivariate t) over the 3 comparisons")


def test_dunnettx_matches_emmeans_default_for_trt_vs_ctrl(ancova):
    # summary(contrast(emm, "trt.vs.ctrl", ref = 1), infer = TRUE)  (adjust "dunnettx", emmeans' default)
    table = pairwise(ancova, "Scores", "Method", covariates="Income", padjust="dunnettx", control="A")
    assert_allclose(table["p_adj"], [0.27087042982, 0.80892862382, 0.35759516330], rtol=1e-9)
    # emmeans finds the dunnettx quantile by uniroot(tol = 5e-4); here it is solved to 1e-6.
    assert_allclose(table["ci_low"], [-3.3428135862, -11.3736576364, -14.1259840474], atol=2e-3)


def test_dunnett_on_a_factor_of_an_unbalanced_factorial(warp):
    # contrast(emmeans(wf, ~ tension), "trt.vs.ctrl", ref = 1, adjust = "mvt"):
    # p 0.03005468833992, 0.00057066994198; CI -18.300268740 .. -0.83266776797 (Monte Carlo, abseps 1e-3)
    table = pairwise(warp, "breaks", ["wool", "tension"], effect="tension", padjust="dunnett", control="L")
    assert_allclose(table["p_adj"], [0.03005468833992, 0.00057066994198], atol=2e-5)
    assert_allclose(table["ci_high"], [-0.83266776797, -6.31877887908], atol=2e-3)


def test_tukey_on_marginal_means_of_a_factorial(warp):
    # summary(pairs(emmeans(wf, ~ tension), adjust = "tukey"), infer = TRUE)
    table = pairwise(warp, "breaks", ["wool", "tension"], effect="tension", padjust="tukey")
    assert list(table["contrast"]) == ["L − M", "L − H", "M − H"]
    assert_allclose(table["estimate"], [9.5664682540, 15.0525793651, 5.4861111111], rtol=1e-9)
    assert_allclose(table["p_adj"], [0.04202466703859, 0.00083914834248, 0.31938799231158], rtol=1e-7)
    assert_allclose(table["ci_low"], [0.28718187258, 5.77329298369, -3.62255075126], rtol=1e-8)


def test_interaction_contrasts_of_a_2_by_3_match_emmeans(warp):
    # summary(contrast(emmeans(wf, ~ wool * tension), interaction = c("pairwise", "pairwise"),
    #                  adjust = "holm"), infer = TRUE)
    table = interaction_contrasts(warp, "breaks", ["wool", "tension"])
    assert list(table["contrast"]) == ["(A − B) × (L − M)", "(A − B) × (L − H)", "(A − B) × (M − H)"]
    assert_allclose(table["estimate"], [23.438492063, 11.216269841, -12.222222222], rtol=1e-9)
    assert_allclose(table["se"], [7.6514988286, 7.6514988286, 7.5108055411], rtol=1e-9)
    assert_allclose(table["p_adj"], [0.011187419844, 0.221635375342, 0.221635375342], rtol=1e-9)
    assert_allclose(table["ci_low"], [4.3941567153, -7.8280655069, -30.9163764869], rtol=1e-9)


def test_planned_contrasts_are_the_listed_differences_holm_adjusted(ancova):
    # The same differences as pairs(emm) with the sign of the listing; Holm over the two listed:
    # p.adjust(c(0.0048651077, 0.1153524795), "holm") from summary(pairs(emm, adjust = "none")).
    table = contrasts(ancova, "Scores", "Method", ["B - D", "B − A"], covariates="Income")
    assert list(table["contrast"]) == ["B − D", "B − A"]
    assert_allclose(table["estimate"], [11.4565676759, 6.2708154016], rtol=1e-9)
    assert_allclose(table["p_unc"], [0.0048651077, 0.1153524795], rtol=1e-7)
    assert_allclose(table["p_adj"], [2 * 0.0048651077, 0.1153524795], rtol=1e-7)
    assert "2 comparisons" in table.attrs["family"]


# Hedges' g of each pair: the difference over sigma(fit), times J(df); its CI is effectsize's
# noncentral-t method applied to the contrast's t (effectsize:::.get_ncp_t(t, 31, 0.95) · SE / sigma · J):
# J <- exp(lgamma(df/2) - log(sqrt(df/2)) - lgamma((df-1)/2)); g = J * estimate / sigma(fit).
# The point values are emmeans::eff_size(emm, sigma = sigma(fit), edf = 31) times J(31) = 0.975576497157.
G_ANCOVA = {
    "g": [-0.80995505567, 0.31642139914, 0.66980544044, 1.12637645481, 1.47976049611, 0.35338404130],
    # exact bounds: uniroot(function(x) pt(t, 31, x) - 0.975 (resp. 0.025), tol = 1e-13); effectsize's
    # optim() gives the same to 3e-7.
    "low": [-1.80396332828, -0.59907179810, -0.26167252813, 0.15790312478, 0.44512904947, -0.52323847168],
    "high": [0.19655562397, 1.22686867788, 1.59085949138, 2.07823756329, 2.49357253964, 1.22438583809],
}


def test_hedges_g_of_each_comparison_with_noncentral_t_interval(ancova):
    table = pairwise(ancova, "Scores", "Method", covariates="Income")
    assert_allclose(table["hedges_g"], G_ANCOVA["g"], rtol=1e-9)
    assert_allclose(table["g_ci_low"], G_ANCOVA["low"], atol=1e-8)
    assert_allclose(table["g_ci_high"], G_ANCOVA["high"], atol=1e-8)
    d_emmeans = [-0.83023223502, 0.32434299111, 0.68657398204, 1.15457522613, 1.51680621706, 0.36223099093]
    assert_allclose(table["hedges_g"] / np.array(d_emmeans), 0.975576497157, rtol=1e-9)


def test_hedges_g_of_two_groups_is_effectsize_hedges_g(ancova):
    # hedges_g(Scores ~ Method, data = droplevels(subset(d, Method %in% c("A", "B"))))
    #   -0.84088681466, 95% CI [-1.8038935433, 0.1489175034]  (effectsize's optim, to ~1e-7)
    table = pairwise(ancova[ancova["Method"].isin(["A", "B"])], "Scores", "Method")
    assert_allclose(table["hedges_g"], [-0.84088681466], rtol=1e-9)
    assert_allclose(table[["g_ci_low", "g_ci_high"]].iloc[0], [-1.8038935433, 0.1489175034], atol=5e-7)


def test_partial_eta_and_omega_squared_intervals_match_effectsize(ancova):
    # a <- car::Anova(lm(Scores ~ Method + Income, d, contrasts = list(Method = contr.sum)), type = 3)
    # eta_squared(a, partial = TRUE)     (ci = 0.95, alternative = "greater": one-sided, upper bound 1)
    # omega_squared(a, partial = TRUE)
    sizes = anova_effect_sizes(anova(ancova, "Scores", "Method", covariates="Income"))
    assert list(sizes["Source"]) == ["Method", "Income"]
    assert_allclose(sizes["np2"], [0.24407657343, 0.48692009062], rtol=1e-9)
    assert_allclose(sizes["np2_ci_low"], [0.01444390780, 0.27089863167], atol=1e-6)  # effectsize's optim()
    # The same bound solved exactly: lam <- uniroot(function(l) pf(F, df1, 31, ncp = l) - 0.95, c(0, 200),
    # tol = 1e-14)$root; lam / (lam + 31), with F and df1 of each row of `a`.
    assert_allclose(sizes["np2_ci_low"], [0.014443919861, 0.270898699606], atol=1e-8)
    assert_allclose(sizes["np2_ci_high"], [1, 1])
    assert_allclose(sizes["omega2"], [0.16297454649, 0.44116246786], rtol=1e-9)
    assert_allclose(sizes["omega2_ci_low"], [0.0, 0.22191404141], atol=1e-6)
    # eta_squared(a, partial = TRUE, alternative = "two.sided"); omega_squared(…, alternative = "two.sided")
    two = anova_effect_sizes(anova(ancova, "Scores", "Method", covariates="Income"), alternative="two-sided")
    assert_allclose(two["np2_ci_low"], [0.0, 0.22699544299], atol=1e-6)
    assert_allclose(two["np2_ci_high"], [0.4474045998, 0.6607677675], atol=1e-6)
    assert_allclose(two["omega2_ci_low"], [0.0, 0.17971535401], atol=1e-6)
    assert_allclose(two["omega2_ci_high"], [0.36109514005, 0.62772800889], atol=1e-6)


def test_effect_sizes_of_an_unbalanced_factorial_match_effectsize(warp):
    # aw <- car::Anova(wf, type = 3); eta_squared(aw, partial = TRUE); omega_squared(aw, partial = TRUE)
    sizes = anova_effect_sizes(anova(warp, "breaks", ["wool", "tension"]))
    assert_allclose(sizes["np2"], [0.06684513477, 0.26386854313, 0.17608748206], rtol=1e-8)
    assert_allclose(sizes["np2_ci_low"], [0.0, 0.081668064804, 0.023202779071], atol=1e-6)
    assert_allclose(sizes["omega2"], [0.041261668852, 0.215956020544, 0.128976431563], rtol=1e-8)
    assert_allclose(sizes["omega2_ci_low"], [0.0, 0.04728136098995, 0.00068692834767], atol=1e-6)


def test_bad_requests_say_what_would_be_right(ancova, warp):
    with pytest.raises(AnalysisError, match="control"):
        pairwise(ancova, "Scores", "Method", padjust="dunnett")
    with pytest.raises(AnalysisError, match="all pairs"):
        pairwise(ancova, "Scores", "Method", padjust="tukey", control="A")
    with pytest.raises(AnalysisError, match="not a level"):
        pairwise(ancova, "Scores", "Method", control="Z")
    with pytest.raises(AnalysisError, match="effect= one of wool, tension"):
        pairwise(warp, "breaks", ["wool", "tension"])
    with pytest.raises(AnalysisError, match="padjust must be one of holm, bonferroni, none"):
        contrasts(ancova, "Scores", "Method", ["A - B"], padjust="tukey")
    with pytest.raises(AnalysisError, match="'A - Z' must read 'a - b'"):
        contrasts(ancova, "Scores", "Method", ["A - Z"])
    with pytest.raises(AnalysisError, match="alternative"):
        anova_effect_sizes(anova(ancova, "Scores", "Method"), alternative="less")


def test_a_level_with_a_hyphen_splits_where_both_sides_are_levels():
    assert split_comparison("no-treatment - placebo", ["no-treatment", "placebo"]) == ("no-treatment", "placebo")
    assert split_comparison("placebo − no-treatment", ["no-treatment", "placebo"]) == ("placebo", "no-treatment")
