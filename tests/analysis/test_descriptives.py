"""cell_descriptives, checked by hand on a tiny frame."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from placebolab.analysis import cell_descriptives
from placebolab.errors import AnalysisError

TINY = pd.DataFrame(
    {
        "warmth": ["warm", "warm", "warm", "neutral", "neutral", "neutral", "neutral"],
        "itch": [10.0, 20.0, 30.0, 40.0, 50.0, np.nan, 60.0],
    }
)


def test_numbers_by_hand():
    table = cell_descriptives(TINY, "itch", "warmth").set_index("warmth")
    assert list(table.columns) == ["n", "mean", "sd", "se", "ci_low", "ci_high"]
    # warm: 10, 20, 30 -> mean 20, SD = sqrt((100 + 0 + 100) / 2) = 10, SE = 10 / sqrt(3);
    # 95 % CI = 20 ± t(.975, 2) * SE, t(.975, 2) = 4.302653 (any t table).
    warm = table.loc["warm"]
    assert warm["n"] == 3
    assert warm["mean"] == pytest.approx(20.0)
    assert warm["sd"] == pytest.approx(10.0)
    assert warm["se"] == pytest.approx(10.0 / math.sqrt(3))
    assert warm["ci_low"] == pytest.approx(20.0 - 4.302653 * 10.0 / math.sqrt(3), abs=1e-5)
    assert warm["ci_high"] == pytest.approx(20.0 + 4.302653 * 10.0 / math.sqrt(3), abs=1e-5)
    # neutral: the NaN row is dropped -> 40, 50, 60, same spread.
    neutral = table.loc["neutral"]
    assert (neutral["n"], neutral["mean"], neutral["sd"]) == (3, pytest.approx(50.0), pytest.approx(10.0))


def test_two_factors_in_categorical_order_and_single_participant_cell():
    data = pd.DataFrame(
        {
            "warmth": pd.Categorical(["warm", "warm", "neutral", "neutral", "neutral"], categories=["warm", "neutral"]),
            "competence": pd.Categorical(["high", "low", "high", "high", "low"], categories=["high", "low"]),
            "itch": [10.0, 20.0, 30.0, 50.0, 70.0],
        }
    )
    table = cell_descriptives(data, "itch", ["warmth", "competence"])
    assert [tuple(r) for r in table[["warmth", "competence"]].astype(str).to_numpy()] == [
        ("warm", "high"), ("warm", "low"), ("neutral", "high"), ("neutral", "low"),
    ]  # fmt: skip
    assert list(table["n"]) == [1, 1, 2, 1]
    assert table["mean"].tolist() == [10.0, 20.0, 40.0, 70.0]
    # One participant: no spread, no interval (rather than a t quantile with 0 df).
    assert table.loc[0, ["sd", "se", "ci_low", "ci_high"]].isna().all()
    assert table.loc[2, "sd"] == pytest.approx(math.sqrt(200.0))


def test_missing_column_is_named():
    with pytest.raises(AnalysisError, match="'itch_post'"):
        cell_descriptives(TINY, "itch_post", "warmth")
    with pytest.raises(AnalysisError, match="'competence'"):
        cell_descriptives(TINY, "itch", ["warmth", "competence"])


def test_text_dv_is_named():
    with pytest.raises(AnalysisError, match="'warmth' must hold numbers"):
        cell_descriptives(TINY, "warmth", "warmth")


def test_all_missing_dv_is_named():
    with pytest.raises(AnalysisError, match="'itch' has no values"):
        cell_descriptives(TINY.assign(itch=np.nan), "itch", "warmth")
