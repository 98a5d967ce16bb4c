"""manipulation_checks: Welch t-test (R reference), Hedges' g (by hand), shape and errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from placebolab.analysis import manipulation_checks
from placebolab.analysis.manipulation import CHECK_COLUMNS
from placebolab.errors import AnalysisError

A = [4.0, 7.0, 8.0, 6.0, 3.0, 2.0]
B = [6.0, 8.0, 7.0, 10.0, 11.0, 9.0]


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "warmth": ["neutral"] * 6 + ["warm"] * 6,
            "competence": ["high", "low"] * 6,
            "check.warmth": A + B,
            "check.competence": [5.0, 3.0] * 6 + np.array([0.0, 0.5, 1.0, 0.0, 0.5, 1.0] * 2),
        }
    )


def test_welch_t_matches_r_and_g_by_hand():
    checks = [{"measure": "check.warmth", "factor": "warmth"}]
    row = manipulation_checks(frame(), checks, {"warmth": ["warm", "neutral"]}).iloc[0]
    # Source: R, t.test(B, A, var.equal = FALSE) -> t = 2.842, df = 9.4944, p-value = 0.01837
    # (the same numbers, with A and B swapped, are in pingouin's tests/test_parametric.py).
    assert row["test"] == "welch_t"
    assert (row["level_a"], row["level_b"]) == ("warm", "neutral")
    assert row["statistic"] == pytest.approx(2.84199, abs=1e-5)
    assert row["df1"] == pytest.approx(9.49438, abs=1e-5)
    assert row["p_val"] == pytest.approx(0.01837, abs=1e-5)
    assert math.isnan(row["df2"]) and math.isnan(row["np2"])
    # By hand: means 8.5 and 5, variances 3.5 and 5.6 -> pooled SD sqrt(4.55);
    # d = 3.5 / sqrt(4.55) = 1.64083; Hedges' J = 1 - 3 / (4 * 12 - 9) = 0.923077 -> g = 1.51461.
    assert (row["mean_a"], row["mean_b"], row["n_a"], row["n_b"]) == (8.5, 5.0, 6, 6)
    assert row["sd_a"] == pytest.approx(math.sqrt(3.5))
    assert row["hedges_g"] == pytest.approx(3.5 / math.sqrt(4.55) * (1 - 3 / 39), abs=1e-6)
    assert row["g_ci_low"] < row["hedges_g"] < row["g_ci_high"]


def test_level_order_sets_the_sign():
    checks = [{"measure": "check.warmth", "factor": "warmth"}]
    flipped = manipulation_checks(frame(), checks, {"warmth": ["neutral", "warm"]}).iloc[0]
    assert flipped["level_a"] == "neutral"
    assert flipped["statistic"] < 0 and flipped["hedges_g"] < 0


def test_one_row_per_check_with_documented_columns():
    checks = [{"measure": "check.warmth", "factor": "warmth"}, {"measure": "check.competence", "factor": "competence"}]
    table = manipulation_checks(frame(), checks)
    assert list(table.columns) == CHECK_COLUMNS
    assert list(table["measure"]) == ["check.warmth", "check.competence"]
    # Without declared levels the order is sorted: 'high' before 'low'.
    assert table.loc[1, "level_a"] == "high" and table.loc[1, "hedges_g"] > 0


def test_three_levels_give_a_one_way_anova():
    data = frame().assign(warmth=["cold", "neutral", "warm"] * 4)
    row = manipulation_checks(data, [{"measure": "check.warmth", "factor": "warmth"}]).iloc[0]
    assert row["test"] == "anova"
    assert (row["df1"], row["df2"]) == (2.0, 9.0)
    assert row["statistic"] > 0 and 0 <= row["np2"] <= 1
    assert pd.isna(row["level_a"]) and pd.isna(row["hedges_g"])


def test_no_checks_gives_an_empty_table():
    assert manipulation_checks(frame(), []).columns.tolist() == CHECK_COLUMNS


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({"measure": "check.empathy", "factor": "warmth"}, "Column 'check.empathy' is not in the data"),
        ({"measure": "check.warmth", "factor": "empathy"}, "Column 'empathy' is not in the data"),
        ({"measure": "warmth", "factor": "competence"}, "Column 'warmth' must hold numbers"),
        ({"measure": "check.warmth"}, "must name a 'measure' and a 'factor'"),
    ],
)
def test_bad_checks(check, message):
    with pytest.raises(AnalysisError, match=message):
        manipulation_checks(frame(), [check])


def test_one_level_and_too_few_ratings_are_named():
    data = frame()
    with pytest.raises(AnalysisError, match="Factor 'warmth' has only the level 'warm'.*'check.warmth'"):
        manipulation_checks(data[data["warmth"] == "warm"], [{"measure": "check.warmth", "factor": "warmth"}])
    data.loc[data["warmth"] == "neutral", "check.warmth"] = [np.nan] * 5 + [3.0]
    with pytest.raises(AnalysisError, match="'check.warmth' has 1 value\\(s\\) at level 'neutral' of 'warmth'"):
        manipulation_checks(data, [{"measure": "check.warmth", "factor": "warmth"}])
