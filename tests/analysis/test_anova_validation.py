"""Each kind of bad data raises AnalysisError with a sentence naming the column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from placebolab.analysis import anova
from placebolab.errors import AnalysisError, PlaceboLabError


def two_by_two(n_per_cell: int = 3, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cells = [(w, c) for w in ("warm", "neutral") for c in ("high", "low")]
    rows = [
        {"warmth": w, "competence": c, "itch_post": rng.normal(50, 10)} for w, c in cells for _ in range(n_per_cell)
    ]
    return pd.DataFrame(rows)


def test_error_is_a_valueerror_and_a_placebolab_error():
    with pytest.raises(ValueError) as info:
        anova(two_by_two(), "itch", ["warmth", "competence"])
    assert isinstance(info.value, PlaceboLabError)
    assert info.value.exit_code == 7


@pytest.mark.parametrize(
    ("dv", "between", "column"),
    [("itch", ["warmth", "competence"], "itch"), ("itch_post", ["warmth", "empathy"], "empathy")],
)
def test_missing_column(dv, between, column):
    with pytest.raises(AnalysisError, match=f"Column '{column}' is not in the data"):
        anova(two_by_two(), dv, between)


def test_non_numeric_dv():
    data = two_by_two().astype({"itch_post": str})
    with pytest.raises(AnalysisError, match="Column 'itch_post' must hold numbers"):
        anova(data, "itch_post", ["warmth", "competence"])


def test_boolean_dv_is_not_numeric():
    data = two_by_two().assign(simulated=True)
    with pytest.raises(AnalysisError, match="'simulated' must hold numbers"):
        anova(data, "simulated", ["warmth", "competence"])


def test_all_nan_dv():
    with pytest.raises(AnalysisError, match="Column 'itch_post' has no values"):
        anova(two_by_two().assign(itch_post=np.nan), "itch_post", ["warmth", "competence"])


def test_factor_with_one_level():
    data = two_by_two().query("competence == 'high'")
    with pytest.raises(AnalysisError, match="Factor 'competence' has only the level 'high'"):
        anova(data, "itch_post", ["warmth", "competence"])


def test_factor_with_one_level_after_dropping_missing_dv():
    data = two_by_two()
    data.loc[data["warmth"] == "neutral", "itch_post"] = np.nan
    with pytest.raises(AnalysisError, match="Factor 'warmth' has only the level 'warm'.*'itch_post'"):
        anova(data, "itch_post", ["warmth", "competence"])


def test_empty_cell_is_named():
    data = two_by_two()
    data = data[~((data["warmth"] == "neutral") & (data["competence"] == "low"))]
    with pytest.raises(
        AnalysisError, match="cell warmth=neutral, competence=low has no participant with a value of 'itch_post'"
    ):
        anova(data, "itch_post", ["warmth", "competence"])


def test_too_few_participants():
    data = two_by_two(n_per_cell=1)
    with pytest.raises(AnalysisError, match="Too few participants with a value of 'itch_post': 4 in 4 cells"):
        anova(data, "itch_post", ["warmth", "competence"])


def test_one_extra_participant_is_enough():
    data = pd.concat([two_by_two(n_per_cell=1), two_by_two(n_per_cell=1, seed=1).iloc[:1]])
    assert anova(data, "itch_post", ["warmth", "competence"])["DF"].iloc[-1] == 1


def test_no_variance_within_cells():
    data = two_by_two().assign(itch_post=lambda d: np.where(d["warmth"] == "warm", 20.0, 40.0))
    with pytest.raises(AnalysisError, match="'itch_post' does not vary within any cell"):
        anova(data, "itch_post", ["warmth", "competence"])


@pytest.mark.parametrize("ss_type", [0, 4, "III", None])
def test_bad_ss_type(ss_type):
    with pytest.raises(AnalysisError, match="ss_type must be 1, 2 or 3"):
        anova(two_by_two(), "itch_post", ["warmth", "competence"], ss_type=ss_type)


def test_not_a_dataframe():
    with pytest.raises(AnalysisError, match="must be a pandas DataFrame"):
        anova({"itch_post": [1, 2]}, "itch_post", "warmth")


def test_no_factor():
    with pytest.raises(AnalysisError, match="No between-subjects factor"):
        anova(two_by_two(), "itch_post", [])


def test_input_frame_is_not_modified():
    data = two_by_two()
    before = data.copy()
    anova(data, "itch_post", ["warmth", "competence"])
    pd.testing.assert_frame_equal(data, before)
