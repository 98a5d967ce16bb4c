"""The three-arm example end to end with its yes/no and 7-point outcomes: the simulator answers on their scales,
the codebook says what kind each is, and the report analyses each for its kind (never an ANOVA of codes),
with the equivalence test and Bayes factor its plan asks for."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from placebolab.analysis.plan import run_analyses
from placebolab.errors import EffectsError
from placebolab.export import export_study
from placebolab.report import build_report
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from placebolab.study import Study
from tests.conftest import ROOT

IBS = ROOT / "protocols" / "ibs-three-arm.yaml"
EFFECTS = ROOT / "protocols" / "effects" / "ibs-three-arm.yaml"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    study = Study.init(IBS, tmp_path_factory.mktemp("ibs") / "study", seed=7)
    simulate_study(study, 240, load_effects(EFFECTS, study.protocol), seed=8)
    out = export_study(study)
    study.close()
    return out


def test_simulated_answers_lie_on_the_scales(exported):
    wide = pd.read_csv(exported / "wide.csv")
    assert set(wide["relief"]) == {1, 2} and set(wide["global_improvement"]) <= set(range(1, 8))
    yes = (wide["relief"] == 2).groupby(wide["cell"]).mean()
    # p: waitlist .28, limited .44, augmented .62 (80 per arm: within about 3 binomial SDs)
    assert yes["waitlist"] < yes["limited"] < yes["augmented"]
    assert abs(yes["augmented"] - 0.62) < 0.17 and abs(yes["waitlist"] - 0.28) < 0.16


def test_the_codebook_says_what_kind_each_measure_is(exported):
    columns = {c["name"]: c for c in json.loads((exported / "codebook.json").read_text())["columns"]}
    assert columns["relief"]["measurement"] == "binary" and columns["relief"]["labels"] == ["no", "yes"]
    assert columns["global_improvement"]["measurement"] == "ordinal"
    assert columns["global_improvement"]["labels"][-1] == "substantially improved"
    assert columns["severity_post"]["measurement"] == "continuous" and "labels" not in columns["severity_post"]
    assert columns["expectancy.expectancy"]["measurement"] == "continuous"  # a score is a number


def test_each_outcome_is_analysed_for_its_kind(exported):
    results = run_analyses(exported)
    by_name = {o.name: o for o in results.outcomes}
    relief, gis = by_name["relief"], by_name["global_improvement"]
    assert relief.anova is None and relief.emmeans is None and gis.anova is None
    assert relief.categorical.measurement == "binary" and relief.categorical.event == "yes"
    assert list(relief.categorical.model["Source"]) == ["severity_baseline", "interaction"]
    assert gis.categorical.measurement == "ordinal" and gis.categorical.odds_ratios is not None
    assert "severity_post_change" in by_name and "relief_change" not in by_name
    primary = by_name["severity_post"]
    assert primary.equivalence["bound_raw"].tolist() == [10.0]
    assert primary.bayes_factors["bf10"].iloc[0] > 0


def test_the_report_shows_the_right_analysis_for_each_kind(exported):
    html = build_report(exported).read_text(encoding="utf-8")
    assert "Logistic regression of relief adjusted for severity_baseline" in html
    assert "Proportional-odds model of global_improvement" in html
    assert "Odds ratios of “yes”" in html and "<th>substantially improved</th>" in html
    assert "ANOVA of relief" not in html and "ANOVA of global_improvement" not in html
    assert "Equivalence tests (TOST, α = 0.05) of severity_post" in html and "JZS Bayes factors" in html


def test_p_is_only_for_binary_measures(tmp_path):
    effects = tmp_path / "effects.yaml"
    effects.write_text("measures:\n  global_improvement: {p: 0.5}\n  relief: {p: {limited: 1.5}}\n")
    study = Study.init(IBS, tmp_path / "study", seed=1)
    with pytest.raises(EffectsError) as caught:
        load_effects(effects, study.protocol)
    study.close()
    text = str(caught.value)
    assert "effects.yaml:2" in text and "'global_improvement' is ordinal: give it mean and sd instead" in text
    assert "effects.yaml:3" in text and "1.5 is not a probability" in text
