"""CONSORT table 1 per cell, and the primary analysis adjusted for the allocation's strata (issue 12 item 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from placebolab.analysis import anova, run_analyses
from placebolab.analysis.baseline import baseline_characteristics
from placebolab.errors import AnalysisError
from placebolab.report import build_report
from tests.analysis.synthetic import codebook, wide_table, write_export

PLAN = {
    "primary": {"outcome": "itch_post", "baseline": "itch_baseline", "between": ["warmth", "competence"]},
    "simple_effects": [{"effect": "warmth", "by": ["competence"]}],
    "adjust_for_strata": True,
}


def test_table_one_is_mean_sd_and_n_percent_per_group_with_missing_counted():
    data = pd.DataFrame({
        "cell": ["a", "a", "a", "b", "b"],
        "age": [20.0, 30.0, np.nan, 40.0, 44.0],
        "sex": ["female", "male", "female", None, "diverse"],
    })  # fmt: skip
    table = baseline_characteristics(data, "cell", ["age", "sex"], levels={"sex": ["female", "male", "diverse"]})
    age = table[(table["variable"] == "age") & (table["level"] == "")].set_index("group")
    assert_allclose(age.loc[["a", "b", "Total"], "mean"], [25.0, 42.0, 33.5])
    assert_allclose(age.loc[["a", "b", "Total"], "sd"], [np.sqrt(50), np.sqrt(8), np.std([20, 30, 40, 44], ddof=1)])
    assert list(age["n"]) == [2, 2, 4]
    missing = table[(table["variable"] == "age") & (table["level"] == "missing")].set_index("group")["count"]
    assert missing.to_dict() == {"a": 1, "b": 0, "Total": 1}
    sex = table[(table["variable"] == "sex") & (table["group"] == "Total")].set_index("level")
    assert list(sex.index) == ["female", "male", "diverse", "missing"]  # declared order, then missing
    assert list(sex["count"]) == [2, 1, 1, 1]
    assert_allclose(sex.loc[["female", "male", "diverse"], "percent"], [50.0, 25.0, 25.0])  # of the 4 answering
    with pytest.raises(AnalysisError, match="Column 'weight' is not in the data"):
        baseline_characteristics(data, "cell", ["weight"])


def test_table_one_columns_follow_the_cell_order_not_the_order_participants_came_in():
    # found in a user run: the columns came in enrolment order (standard/trainee first)
    data = pd.DataFrame({"cell": ["b/y", "a/x", "b/x", "a/y"], "age": [20.0, 30.0, 40.0, 50.0]})
    data["cell"] = pd.Categorical(data["cell"], ["a/x", "a/y", "b/x", "b/y"])
    table = baseline_characteristics(data, "cell", ["age"])
    assert list(dict.fromkeys(table["group"])) == ["a/x", "a/y", "b/x", "b/y", "Total"]


def test_primary_adjusts_for_the_strata_when_the_plan_asks(tmp_path):
    export = write_export(tmp_path / "experiments" / "demo", book=codebook(analysis=PLAN))
    results = run_analyses(export)
    primary = results.primary
    assert primary.covariates == ["itch_baseline", "sex"] and results.strata_adjusted == ("sex",)
    assert list(primary.anova["Source"]) == ["warmth", "competence", "warmth * competence", "itch_baseline", "sex",
                                             "Residual"]  # fmt: skip
    assert primary.anova.set_index("Source").loc["sex", "DF"] == 2
    direct = anova(results.data, "itch_post", ["warmth", "competence"], covariates=["itch_baseline", "sex"])
    assert_allclose(primary.anova["F"][:-1], direct["F"][:-1])
    assert len(primary.emmeans) == 4
    # the plan's simple effects use the same model
    assert set(results.simple_effects["DF2"]) == {int(primary.anova["DF"].iloc[-1])}
    # without the key, the strata stay out of the model
    plain = run_analyses(write_export(tmp_path / "plain", book=codebook(analysis=PLAN | {"adjust_for_strata": False})))
    assert plain.primary.covariates == ["itch_baseline"] and plain.strata_adjusted == ()


def test_report_has_table_one_and_says_the_strata_are_adjusted_for(tmp_path):
    export = write_export(tmp_path / "experiments" / "demo", book=codebook(analysis=PLAN))
    results = run_analyses(export)
    table = results.baseline
    assert set(table["variable"]) == {"sex", "age", "itch_baseline"}
    assert list(dict.fromkeys(table["group"])) == ["warm/high", "warm/low", "neutral/high", "neutral/low", "Total"]
    completed = wide_table()[lambda w: w["status"] == "completed"]
    total = table[(table["variable"] == "itch_baseline") & (table["group"] == "Total")].iloc[0]
    assert total["n"] == len(completed) and total["mean"] == pytest.approx(completed["itch_baseline"].mean())
    html = build_report(export).read_text(encoding="utf-8")
    assert 'id="baseline-table"' in html and "Baseline characteristics" in html
    mean, sd = completed["itch_baseline"].mean(), completed["itch_baseline"].std()
    assert f"{mean:.2f} ({sd:.2f})" in html
    assert "adjusting for itch_baseline and sex" in html
    assert "because allocation was stratified by it" in html and "EMA/CHMP/295050/2013" in html


def test_a_stratum_coded_with_numbers_is_still_categorical(tmp_path):
    wide = wide_table()
    wide["sex"] = wide["sex"].map({"female": 1, "male": 2, "diverse": 3})
    wide.loc[0, "sex"] = np.nan  # read back as floats 1.0, 2.0 …
    results = run_analyses(write_export(tmp_path / "demo", wide=wide, book=codebook(analysis=PLAN)))
    assert results.primary.anova.set_index("Source").loc["sex", "DF"] == 2  # three levels, not one slope
    assert set(results.data["sex"].dropna()) == {"1", "2", "3"}
