"""Equivalence tests (TOST) and JZS Bayes factors checked against published values and R.

Published: Lakens (2017, Social Psychological and Personality Science 8:355, and TOSTER's ``TOSTtwo.raw``
example): Moery & Calin-Jageman (2016) M = 5.25 vs 5.22, SD 0.95 vs 0.83, n 95 vs 89, bounds ±0.384 →
t(182) = −2.69, p = 0.004. BayesFactor's manual (Morey & Rouder, "BayesFactor: independent samples"):
``ttestBF(formula = len ~ supp, data = ToothGrowth)`` → Alt., r = 0.707 : 1.198757.
R 4.2, BayesFactor 0.9.12: ``exp(ttest.tstat(t, n1, n2, rscale)$bf)`` for the other Bayes factors.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from placebolab.analysis.equivalence import (
    JZS_SCALE,
    bayes_factors,
    equivalence_tests,
    jzs_bayes_factor,
    tost,
    two_level_contrasts,
)
from placebolab.errors import AnalysisError


def test_tost_reproduces_lakens_2017_example():
    pooled = math.sqrt((94 * 0.95**2 + 88 * 0.83**2) / 182)  # 0.894, as the example says
    result = tost(5.25 - 5.22, pooled * math.sqrt(1 / 95 + 1 / 89), 182, -0.384, 0.384)
    assert round(pooled, 3) == 0.894
    assert round(result["t_high"], 2) == -2.68  # published −2.69 rounds the bound; p is the same:
    assert round(result["p"], 3) == 0.004 and result["p"] == result["p_high"]


def test_tost_of_toothgrowth_matches_two_one_sided_t_tests(toothgrowth):
    # t.test(len ~ supp, ToothGrowth, var.equal = TRUE, mu = -4, alternative = "greater") and
    # mu = 4, alternative = "less"; conf.level = 0.9: [0.470820400373368, 6.929179599626631]
    table = equivalence_tests(toothgrowth, "len", "supp", bound=4).iloc[0]
    assert table["contrast"] == "OJ − VC" and table["df"] == 58
    assert_allclose([table["ci_low"], table["ci_high"]], [0.470820400373368, 6.929179599626631], rtol=1e-12)
    # mu = -2 / mu = 6 in R give t 2.950548413936 (p .00228477963475) and -1.190572167027 (p .119335821982):
    # the same test with the bounds -2 and 6
    asymmetric = tost(table["estimate"], table["se"], 58, -2, 6)
    assert_allclose([asymmetric["t_low"], asymmetric["t_high"]], [2.950548413936, -1.190572167027], rtol=1e-11)
    assert_allclose([asymmetric["p_low"], asymmetric["p_high"]], [0.00228477963475, 0.119335821982], rtol=1e-10)
    assert not table["equivalent"]  # the 90 % CI reaches 6.93, beyond +4


def test_a_standardized_bound_uses_the_pooled_sd(toothgrowth):
    table = equivalence_tests(toothgrowth, "len", "supp", bound=0.5, standardized=True).iloc[0]
    groups = toothgrowth.groupby("supp")["len"]
    pooled = math.sqrt(((groups.count() - 1) * groups.var()).sum() / (len(toothgrowth) - 2))
    assert_allclose(table["bound_raw"], 0.5 * pooled, rtol=1e-12)
    assert_allclose(table["bound_d"], 0.5, rtol=1e-12)


def test_bayes_factor_reproduces_the_bayesfactor_manual(toothgrowth):
    (row,) = bayes_factors(toothgrowth, "len", "supp").to_dict("records")
    assert row["r"] == JZS_SCALE and row["n_eff"] == pytest.approx(15, rel=1e-12)  # 30 · 30 / 60
    assert_allclose(row["bf10"], 1.19875678223964, rtol=1e-8)  # ttestBF(...) printed 1.198757 ±0.01 %
    assert_allclose(row["bf01"], 1 / 1.19875678223964, rtol=1e-8)


@pytest.mark.parametrize(
    ("t", "n1", "n2", "r", "bf10"),
    [
        (2.5, 20, 25, JZS_SCALE, 3.36847411993482),  # exp(ttest.tstat(t=2.5, n1=20, n2=25)$bf)
        (0.3, 50, 50, JZS_SCALE, 0.219425065390892),  # evidence for no difference: BF01 ≈ 4.6
        (-1.2, 12, 15, 1.0, 0.499534809174714),  # rscale = 1 ("wide")
    ],
)
def test_jzs_bayes_factor_matches_bayesfactor_ttest_tstat(t, n1, n2, r, bf10):
    assert_allclose(jzs_bayes_factor(t, n1 * n2 / (n1 + n2), n1 + n2 - 2, r), bf10, rtol=1e-8)


def test_two_samples_agree_with_pingouin_given_the_exact_prior_scale():
    import pingouin as pg

    # pingouin's default r = 0.707 is √2/2 rounded (3.36856 instead of BayesFactor's 3.36847 above); given
    # r = √2/2 it is the same integral, which placebolab generalizes to an adjusted contrast (n_eff, df).
    assert_allclose(jzs_bayes_factor(2.5, 20 * 25 / 45, 43), pg.bayesfactor_ttest(2.5, 20, 25, r=JZS_SCALE), rtol=1e-9)


def test_the_adjusted_contrast_is_the_model_one():
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"arm": ["a", "b"] * 30, "site": ["x"] * 30 + ["y"] * 30, "base": rng.normal(50, 10, 60)})
    data["y"] = data["base"] * 0.6 + (data["arm"] == "a") * 3 + rng.normal(0, 5, 60)
    contrast = two_level_contrasts(data, "y", ["arm", "site"], "base").set_index("factor")
    assert list(contrast.index) == ["arm", "site"] and contrast.loc["arm", "df"] == 60 - 5
    import statsmodels.formula.api as smf

    fit = smf.ols("y ~ C(arm, Sum) * C(site, Sum) + base", data).fit()
    # with sum coding the a − b difference is twice the arm coefficient
    assert_allclose(contrast.loc["arm", "estimate"], 2 * fit.params["C(arm, Sum)[S.a]"], rtol=1e-10)
    assert_allclose(contrast.loc["arm", "t"], fit.tvalues["C(arm, Sum)[S.a]"], rtol=1e-10)
    assert_allclose(contrast.loc["arm", "n_eff"], fit.scale / contrast.loc["arm", "se"] ** 2, rtol=1e-12)


def test_no_two_level_factor_and_a_bad_bound_are_refused(toothgrowth):
    with pytest.raises(AnalysisError, match="None of the factors dose has two levels"):
        bayes_factors(toothgrowth.assign(dose=toothgrowth["dose"].astype(str)), "len", "dose")
    with pytest.raises(AnalysisError, match="bound must be positive"):
        equivalence_tests(toothgrowth, "len", "supp", bound=0)
