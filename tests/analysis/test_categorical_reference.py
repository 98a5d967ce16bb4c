"""Binary and ordinal outcomes checked against R on the same rows (data/relief-gis.csv, see data/README.md).

R 4.2 (Debian bookworm: car 3.1, emmeans 1.8, MASS 7.3, ordinal 2022.11-16), with
``options(contrasts = c("contr.sum", "contr.poly"))`` and ``d$warmth <- factor(d$warmth, c("warm", "neutral"))``,
``d$competence <- factor(d$competence, c("high", "low"))``, ``d$y <- as.integer(d$relief == 2)``:

    fit <- glm(y ~ warmth * competence + base, family = binomial, data = d)
    car::Anova(fit, type = 3); car::Anova(fit, type = 2)
    summary(pairs(emmeans(fit, ~ warmth), type = "response"), infer = TRUE)
    exp(confint.default(fit)["base", ])
    d$g <- factor(d$gis, ordered = TRUE)
    car::Anova(MASS::polr(g ~ warmth * competence + base, data = d, Hess = TRUE), type = 3)
    coef(ordinal::clm(g ~ warmth * competence + base, data = d))
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from placebolab.analysis.categorical import (
    association_tests,
    binary_table,
    categorical_outcome,
    fisher_exact,
    logistic_regression,
    proportional_odds,
    rank_tests,
)
from placebolab.errors import AnalysisError
from tests.analysis.synthetic import DATA

FACTORS = ["warmth", "competence"]


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    data = pd.read_csv(DATA / "relief-gis.csv")
    data["warmth"] = pd.Categorical(data["warmth"], ["warm", "neutral"])
    data["competence"] = pd.Categorical(data["competence"], ["high", "low"])
    return data


@pytest.mark.parametrize(
    ("ss_type", "chi2"),
    [
        # car::Anova(fit, type = 3): LR Chisq warmth 3.641827583, competence 0.183149413, base 1.986791603,
        # warmth:competence 2.083883685
        (
            3,
            {"warmth": 3.641827583, "competence": 0.183149413, "base": 1.986791603, "warmth * competence": 2.083883685},
        ),
        # car::Anova(fit, type = 2): 3.595240583, 0.181749122, 1.986791603, 2.083883685
        (
            2,
            {"warmth": 3.595240583, "competence": 0.181749122, "base": 1.986791603, "warmth * competence": 2.083883685},
        ),
    ],
)
def test_logistic_regression_likelihood_ratio_tests_match_car_anova(rows, ss_type, chi2):
    tests, _ = logistic_regression(rows, "relief", FACTORS, "base", ss_type=ss_type)
    table = tests.set_index("Source")
    assert_allclose(table.loc[list(chi2), "chi2"], list(chi2.values()), rtol=1e-7)
    assert (table["DF"] == 1).all()
    assert_allclose(table.loc["warmth", "p"], 0.056345 if ss_type == 3 else 0.057945, atol=5e-7)


def test_logistic_odds_ratios_match_emmeans(rows):
    _, odds = logistic_regression(rows, "relief", FACTORS, "base")
    odds = odds.set_index("effect")
    # warm / neutral: odds.ratio 2.04587263899109, asymp.LCL 0.974199687075226, asymp.UCL 4.29644446667655,
    # z.ratio 1.89091548782846, p 0.0586356266243997 (glm stops at epsilon 1e-8: agreement to ~1e-7)
    assert odds.loc["warmth", "contrast"] == "warm vs neutral"
    assert_allclose(odds.loc["warmth", ["odds_ratio", "ci_low", "ci_high", "z", "p"]].astype(float),
                    [2.04587263899109, 0.974199687075226, 4.29644446667655, 1.89091548782846, 0.0586356266243997],
                    rtol=1e-6)  # fmt: skip
    # high / low: 1.17542206394467 [0.560445273936087, 2.46521309512463]
    assert_allclose(odds.loc["competence", ["odds_ratio", "ci_low", "ci_high"]].astype(float),
                    [1.17542206394467, 0.560445273936087, 2.46521309512463], rtol=1e-6)  # fmt: skip
    # the baseline, per unit: exp(coef) 1.01673672856634, exp(confint.default) [0.993280312242898, 1.040747070564103]
    assert_allclose(odds.loc["base", ["odds_ratio", "ci_low", "ci_high"]].astype(float),
                    [1.01673672856634, 0.993280312242898, 1.040747070564103], rtol=1e-6)  # fmt: skip


def test_proportional_odds_model_matches_polr_and_clm(rows):
    tests, odds = proportional_odds(rows, "gis", FACTORS, "base")
    # car::Anova(polr, type = 3): warmth 0.936373172, competence 9.254086876, base 7.024735950,
    # warmth:competence 6.935686062
    table = tests.set_index("Source")
    assert_allclose(table.loc[["warmth", "competence", "base", "warmth * competence"], "chi2"],
                    [0.936373172, 9.254086876, 7.024735950, 6.935686062], rtol=1e-6)  # fmt: skip
    # clm (sum coding) coefficients warmth1 0.1586455920388, competence1 0.5046642024599, base 0.0270712629008:
    # the log odds ratio of warm vs neutral is 2 · warmth1 (a higher category: better, on the GIS)
    odds = odds.set_index("effect")
    assert_allclose(np.log(odds.loc[["warmth", "competence", "base"], "odds_ratio"].astype(float)),
                    [2 * 0.1586455920388, 2 * 0.5046642024599, 0.0270712629008], rtol=1e-6)  # fmt: skip
    # pairs(emmeans(polr, ~ warmth, mode = "latent")): SE 0.328380137500136 (polr's optim: ~1e-6)
    assert_allclose(odds.loc["warmth", "se_log"], 0.328380137500136, rtol=1e-4)


def test_one_factor_proportional_odds_matches_polr(rows):
    # polr(g ~ warmth): coef warmth1 0.131586417172, SE 0.161091019757; Anova LR Chisq 0.6684843317
    tests, odds = proportional_odds(rows, "gis", "warmth")
    assert_allclose(tests["chi2"], [0.6684843317], rtol=1e-6)
    assert_allclose(np.log(odds["odds_ratio"]), [2 * 0.131586417172], rtol=1e-5)
    assert_allclose(odds["se_log"], [2 * 0.161091019757], rtol=1e-4)


def test_association_tests_and_percentages_match_r(rows):
    tests = association_tests(rows, "relief", FACTORS).set_index("effect")
    # chisq.test(table(d$warmth, d$relief)): X-squared = 2.7, df = 1, p-value = 0.100348246 (Yates)
    # chisq.test(table(d$competence, d$relief)): 0.03333333333, p = 0.855132141
    # chisq.test(table(interaction(d$warmth, d$competence), d$relief)): 5.6, df = 3, p = 0.132778358 (no Yates)
    assert_allclose(tests["statistic"].astype(float), [2.7, 0.03333333333, 5.6], rtol=1e-9)
    assert_allclose(tests["p"].astype(float), [0.100348246, 0.855132141, 0.132778358], rtol=1e-8)
    assert tests.loc["warmth", "test"] == "Pearson's χ² with Yates' continuity correction"
    assert tests.loc["cells", "test"] == "Pearson's χ²" and tests.loc["cells", "df"] == 3
    cells = binary_table(rows, "relief", FACTORS)
    assert cells[["n", "events"]].to_numpy().tolist() == [[30, 20], [30, 15], [30, 11], [30, 14]]
    # prop.test(20, 30, correct = FALSE)$conf.int: 0.487800516445 0.807695019163
    assert_allclose(cells.loc[0, ["percent", "ci_low", "ci_high"]].astype(float),
                    [100 * 20 / 30, 48.7800516445, 80.7695019163], rtol=1e-9)  # fmt: skip


def test_rank_tests_match_kruskal_test(rows):
    # kruskal.test(gis ~ warmth, d): 0.6602357649, p 0.416476722; ~ competence: 7.780235288, p 0.00528209173
    tests = rank_tests(rows, "gis", FACTORS)
    assert_allclose(tests["statistic"], [0.6602357649, 7.780235288], rtol=1e-9)
    assert_allclose(tests["p"], [0.416476722, 0.00528209173], rtol=1e-8)


@pytest.mark.parametrize(
    ("table", "p"),
    [
        ([[3, 7], [1, 9], [5, 5]], 0.20418112622011),  # fisher.test(matrix(c(3,7,1,9,5,5), ncol = 2, byrow = TRUE))
        ([[2, 8], [7, 3]], 0.0697785186949273),  # fisher.test(matrix(c(2,8,7,3), ncol = 2, byrow = TRUE))
        ([[0, 6], [2, 4], [1, 5], [6, 0]], 0.00266155973519007),  # fisher.test(matrix(c(0,6,2,4,1,5,6,0), …))
    ],
)
def test_fisher_exact_matches_r_on_r_by_2_tables(table, p):
    value, how = fisher_exact(np.array(table))
    assert_allclose(value, p, rtol=1e-10)
    assert how == ""  # enumerated exactly, not estimated


def test_fisher_replaces_chi_squared_when_an_expected_count_is_below_5():
    small = pd.DataFrame({"arm": ["a"] * 10 + ["b"] * 10, "relief": [2] * 2 + [1] * 8 + [2] * 7 + [1] * 3})
    (row,) = association_tests(small, "relief", "arm").to_dict("records")
    assert row["test"] == "Fisher's exact test" and row["min_expected"] == 4.5
    assert_allclose(row["p"], 0.0697785186949273, rtol=1e-10)  # fisher.test(matrix(c(2,8,7,3), …, byrow = TRUE))
    assert np.isnan(row["statistic"])


def test_complete_separation_keeps_the_tables_and_says_why_the_model_is_missing():
    data = pd.DataFrame({"arm": ["a"] * 8 + ["b"] * 8, "relief": [1.0] * 8 + [1.0, 2.0] * 4})
    result = categorical_outcome(data, "relief", ["arm"], "binary", labels={1.0: "no", 2.0: "yes"})
    assert result.model is None and "complete separation" in result.model_error and "arm = a" in result.model_error
    assert result.event == "yes" and result.distribution["events"].tolist() == [0, 4]
    assert result.tests.loc[0, "test"] == "Fisher's exact test"


def test_an_answer_outside_the_scale_is_named():
    data = pd.DataFrame({"arm": ["a", "b"] * 5, "gis": [1, 2, 3, 9, 4, 5, 6, 7, 2, 3]})
    labels = {float(code): str(code) for code in range(1, 8)}
    with pytest.raises(AnalysisError, match="'gis' holds 9, which is not a category of its scale"):
        categorical_outcome(data, "gis", "arm", "ordinal", labels=labels)


def test_an_ordinal_outcome_lists_every_category_even_unchosen():
    data = pd.DataFrame({"arm": ["a", "b"] * 6, "gis": [3, 4, 4, 5, 3, 6, 4, 5, 3, 4, 5, 6]})
    labels = {float(code): f"c{code}" for code in range(1, 8)}
    result = categorical_outcome(data, "gis", "arm", "ordinal", labels=labels)
    assert result.distribution.groupby("arm").size().tolist() == [7, 7]
    assert result.distribution.query("arm == 'a' and value == 1")["count"].item() == 0
    assert result.model is not None and result.odds_ratios is not None
