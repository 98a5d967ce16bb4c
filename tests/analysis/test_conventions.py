"""Conventions made explicit (issue 12 item 7): type I sums of squares enter the covariates first."""

from __future__ import annotations

import numpy as np
import pingouin
from numpy.testing import assert_allclose

from placebolab.analysis import anova


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
    assert_allclose(table["SS"], [2562.3366929, 78.7594964, 552.2840429, 1.2884865, 96.8216113, 1610.3985589], rtol=1e-7)
    assert_allclose(table["F"][:-1], [41.36911, 1.27158, 2.97222, 0.02080, 0.52106], atol=5e-6)
    assert_allclose(table["p_unc"][:-1], [8.1573e-07, 0.26977, 0.05015, 0.88643, 0.67156], rtol=5e-5)
    # The sequential sums of squares add up to the model's: nothing counted twice or left out.
    total = ((data["Scores"] - data["Scores"].mean()) ** 2).sum()
    assert abs(table["SS"].sum() - total) < 1e-9 * total
