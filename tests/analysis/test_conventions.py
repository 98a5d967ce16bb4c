"""Conventions made explicit (issue 12 items 6, 7): type I enters covariates first; a stratum is a categorical covariate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin
import pytest
from numpy.testing import assert_allclose

from placebolab.analysis import anova, assumption_checks, estimated_marginal_means


def test_type1_enters_covariates_first_as_spss_and_r():
    # Source: R 4, d <- pingouin's ancova.csv; d$Half <- ifelse((seq_len(nrow(d)) - 1) %% 2 == 0, "even", "odd");
    # anova(lm(Scores ~ Income + BMI + Method * Half, data = d)):
    #   Income 1 2562.3366929 F 41.36911 p 8.1573e-07; BMI 1 78.7594964 F 1.27158 p .26977;
    #   Method 3 552.2840429 F 2.97222 p .05015; Half 1 1.2884865 F .02080 p .88643;
    #   Method:Half 3 96.8216113 F .52106 p .67156; Residuals 26 1610.3985589
    data = pingouin.read_dataset("ancova")
    data["Half"] = np.where(data.index % 2 == 0, "even", "odd")
    table = anova(data, "Scores", ["Method", "Half"], covariates=["Income", "BMI"], ss_type=1)
    assert list(table["Source"]) == ["Income", "BMI", "Method", "Half", "Method * Half", "Residual"]
    assert list(table["DF"]) == [1, 1, 3, 1, 3, 26]
    assert_allclose(
        table["SS"], [2562.3366929, 78.7594964, 552.2840429, 1.2884865, 96.8216113, 1610.3985589], rtol=1e-7
    )
    assert_allclose(table["F"][:-1], [41.36911, 1.27158, 2.97222, 0.02080, 0.52106], atol=5e-6)
    assert_allclose(table["p_unc"][:-1], [8.1573e-07, 0.26977, 0.05015, 0.88643, 0.67156], rtol=5e-5)
    # The sequential sums of squares add up to the model's: nothing counted twice or left out.
    total = ((data["Scores"] - data["Scores"].mean()) ** 2).sum()
    assert abs(table["SS"].sum() - total) < 1e-9 * total


def test_a_stratum_enters_as_a_categorical_covariate_as_car_and_emmeans():
    # Source: R 4, car 3.1, emmeans 1.10; options(contrasts = c("contr.sum", "contr.poly"));
    # d <- pingouin's ancova.csv; d$Half <- factor(c("a", "b", "c")[(seq_len(nrow(d)) - 1) %% 3 + 1]);
    # fit <- lm(Scores ~ Method + Income + Half, data = d)
    # car::Anova(fit, type = 3): Method 564.48293 (3) F 3.37377 p .031702; Income 1535.52700 (1) F 27.53234;
    #   Half 151.14161 (2) F 1.35500 p .273795; Residuals 1617.38070 (29)
    # emmeans(fit, ~ Method) ("averaged over the levels of: Half"): 24.1 29.9 21.5 18.3, SE 2.65 2.75 2.37 2.43
    # anova(lm(Scores ~ Income + Half + Method, data = d)): Income 2562.33669, Half 157.68857, Method 564.48293
    data = pingouin.read_dataset("ancova")
    data["Half"] = np.array(["a", "b", "c"])[data.index % 3]
    table = anova(data, "Scores", "Method", covariates=["Income", "Half"])
    assert list(table["Source"]) == ["Method", "Income", "Half", "Residual"]
    assert list(table["DF"]) == [3, 1, 2, 29]
    assert_allclose(table["SS"], [564.48293, 1535.52700, 151.14161, 1617.38070], rtol=1e-7)
    assert_allclose(table["F"][:-1], [3.37377, 27.53234, 1.35500], atol=5e-6)
    emm = estimated_marginal_means(data, "Scores", "Method", covariates=["Income", "Half"])
    assert_allclose(emm["emmean"], [24.1, 29.9, 21.5, 18.3], atol=0.05)
    assert_allclose(emm["se"], [2.65, 2.75, 2.37, 2.43], atol=0.005)
    # Equal weights over the strata, by hand: the mean of the per-stratum predictions at mean Income.
    fit = np.linalg.lstsq(
        np.column_stack([pd.get_dummies(data["Method"]), data["Income"], pd.get_dummies(data["Half"]).iloc[:, 1:]]).astype(float),
        data["Scores"], rcond=None,
    )[0]  # fmt: skip
    by_hand = fit[0] + fit[4] * data["Income"].mean() + (0 + fit[5] + fit[6]) / 3
    assert emm["emmean"].iloc[0] == pytest.approx(by_hand, rel=1e-10)
    sequential = anova(data, "Scores", "Method", covariates=["Income", "Half"], ss_type=1)
    assert list(sequential["Source"]) == ["Income", "Half", "Method", "Residual"]
    assert_allclose(sequential["SS"][:3], [2562.33669, 157.68857, 564.48293], rtol=1e-8)
    # No slopes to compare for a stratum: the homogeneity-of-slopes check tests Income only.
    checks = assumption_checks(data, "Scores", "Method", covariates=["Income", "Half"]).set_index("check")
    assert checks.loc["homogeneity of regression slopes", "df1"] == 3
