"""The plan's contrasts and post-hoc tests run from an export and reach the report: the three-arm example's
arm comparisons (every cell and arm in one model) and the 2 × 3 example's post-hoc tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from placebolab.analysis import contrasts, estimated_marginal_means, interaction_contrasts, pairwise, run_analyses
from placebolab.analysis.plan import sample_with_arms
from placebolab.export import export_study
from placebolab.report import build_report
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from placebolab.study import Study

ROOT = Path(__file__).resolve().parents[2]


def _simulated(tmp_path_factory, name: str, n: int, blinded: bool = False) -> Path:
    folder = tmp_path_factory.mktemp(name)
    study = Study.init(ROOT / "protocols" / f"{name}.yaml", folder / "study", seed=7)
    try:
        simulate_study(study, n, load_effects(ROOT / "protocols" / "effects" / f"{name}.yaml", study.protocol), seed=3)
        return export_study(study, blinded=blinded)
    finally:
        study.close()


@pytest.fixture(scope="module")
def three_arm(tmp_path_factory) -> Path:
    return _simulated(tmp_path_factory, "ibs-three-arm", 45)


@pytest.fixture(scope="module")
def two_by_three(tmp_path_factory) -> Path:
    return _simulated(tmp_path_factory, "warmth-three-competence-itch", 48)


def test_the_three_arm_example_compares_every_arm_in_one_baseline_adjusted_model(three_arm):
    results = run_analyses(three_arm)
    (arms,) = results.comparisons
    assert (arms.title, arms.effect, arms.error) == ("Arm comparisons", "cell", None)
    assert list(arms.table["contrast"]) == ["limited − waitlist", "augmented − limited", "augmented − waitlist"]
    everyone = sample_with_arms(results.study)
    assert set(everyone["cell"]) == {"waitlist", "limited", "augmented"} and "waitlist" not in set(results.data["cell"])
    # the differences are those of the adjusted means of one ANCOVA over the three arms
    means = estimated_marginal_means(everyone, "severity_post", "cell", covariates="severity_baseline")
    mean = dict(zip(means["cell"], means["emmean"], strict=True))
    assert_allclose(
        arms.table["estimate"],
        [mean["limited"] - mean["waitlist"], mean["augmented"] - mean["limited"], mean["augmented"] - mean["waitlist"]],
    )
    assert (arms.table["df"] == len(everyone) - 4).all()  # 3 arm means and the baseline slope
    assert (
        arms.family
        == "Holm-adjusted over the 3 comparisons of this table (planned comparisons of the cells and arms means)"
    )
    direct = contrasts(everyone, "severity_post", "cell", [("augmented", "limited")], covariates="severity_baseline")
    assert_allclose(arms.table["t"].iloc[1], direct["t"].iloc[0])


def test_the_three_arm_report_shows_the_arm_comparisons_under_the_primary_outcome(three_arm):
    html = build_report(three_arm).read_text(encoding="utf-8")
    primary = html[html.index('id="outcome-1"') : html.index('id="outcome-2"')]
    assert "Arm comparisons of severity_post" in primary
    assert "Family: Holm-adjusted over the 3 comparisons of this table" in primary
    assert "simultaneous 95% CIs (Bonferroni)" in primary and "Adjusted for severity_baseline" in primary
    assert len(re.findall(r"<td class=\"label\">(?:limited|augmented) − (?:waitlist|limited)</td>", primary)) == 3
    assert "Partial η² and partial ω² have one-sided 95% CIs" in html
    assert "arm comparisons in one model over every cell and arm" in html


def test_the_2_by_3_example_runs_its_post_hoc_tests(two_by_three):
    results = run_analyses(two_by_three)
    tukey, interaction, dunnett = results.comparisons
    assert [c.error for c in results.comparisons] == [None, None, None]
    direct = pairwise(results.data, "itch_post", ["warmth", "competence"], covariates="itch_baseline",
                      padjust="tukey", effect="competence")  # fmt: skip
    pd.testing.assert_frame_equal(tukey.table, direct)
    assert list(tukey.table["contrast"]) == ["high − medium", "high − low", "medium − low"]
    assert tukey.family.startswith("Tukey-adjusted (studentized range) over the 3 comparisons")
    direct = interaction_contrasts(results.data, "itch_post", ["warmth", "competence"], covariates="itch_baseline")
    assert_allclose(interaction.table["p_adj"], direct["p_adj"])
    assert interaction.title == "Interaction contrasts of warmth × competence"
    assert dunnett.outcome == "expectancy.expectancy" and dunnett.covariates == []
    assert list(dunnett.table["contrast"]) == ["high − low", "medium − low"]
    assert results.primary.effect_sizes is not None and list(results.primary.effect_sizes["Source"]) == [
        "warmth", "competence", "warmth * competence", "itch_baseline",
    ]  # fmt: skip


def test_the_2_by_3_report_shows_post_hoc_tests_and_effect_size_intervals(two_by_three):
    html = build_report(two_by_three).read_text(encoding="utf-8")
    assert "Post-hoc tests of competence of itch_post" in html
    assert "Interaction contrasts of warmth × competence of itch_post" in html
    assert "(warm − neutral) × (high − low)" in html
    assert "Post-hoc tests of competence of expectancy.expectancy" in html
    assert "Dunnett-adjusted (multivariate t) over the 2 comparisons" in html
    assert html.count('<table class="apa effect-sizes">') == 3  # the primary, its change, the secondary


def test_a_comparison_that_cannot_run_keeps_its_reason_and_hides_no_other(two_by_three, tmp_path):
    import shutil

    copy = tmp_path / "export"
    shutil.copytree(two_by_three, copy)
    book = json.loads((copy / "codebook.json").read_text())
    book["analysis"]["post_hoc"][0]["effect"] = "dosage"
    (copy / "codebook.json").write_text(json.dumps(book))
    results = run_analyses(copy)
    assert "effect 'dosage' is not a factor of the model" in results.comparisons[0].error
    assert results.comparisons[1].error is None and results.comparisons[1].table is not None
    assert "Not analysed: effect &#39;dosage&#39;" in build_report(copy).read_text(encoding="utf-8")


def test_a_blinded_export_names_no_arm_or_level_in_its_comparisons(tmp_path_factory):
    export = _simulated(tmp_path_factory, "ibs-three-arm", 30, blinded=True)
    text = (export / "codebook.json").read_text()
    plan = json.loads(text)["analysis"]
    for name in ("waitlist", "limited", "augmented"):
        assert name not in json.dumps(plan["contrasts"])
    (arms,) = run_analyses(export).comparisons
    assert arms.error is None and len(arms.table) == 3
    assert all(re.fullmatch(r"arm-1 − [A-Z/]+|[A-Z/]+ − arm-1|[A-Z]+ − [A-Z]+", c) for c in arms.table["contrast"])


def test_post_hoc_tests_of_every_cell_compare_each_with_the_no_treatment_arm(three_arm, tmp_path):
    import shutil

    copy = tmp_path / "export"
    shutil.copytree(three_arm, copy)
    book = json.loads((copy / "codebook.json").read_text())
    book["analysis"]["post_hoc"] = [{"effect": "cell", "padjust": "dunnett", "control": "waitlist", "outcome": None}]
    (copy / "codebook.json").write_text(json.dumps(book))
    results = run_analyses(copy)
    dunnett = results.comparisons[1]
    assert (dunnett.title, dunnett.error) == ("Arm comparisons", None)
    everyone = sample_with_arms(results.study)
    direct = pairwise(everyone, "severity_post", "cell", covariates="severity_baseline", padjust="dunnett",
                      control="waitlist")  # fmt: skip
    pd.testing.assert_frame_equal(dunnett.table, direct)
    assert list(direct["contrast"]) == ["augmented − waitlist", "limited − waitlist"]
    assert dunnett.family.startswith("Dunnett-adjusted (multivariate t) over the 2 comparisons")


def test_a_blinded_export_codes_the_control_of_a_post_hoc_test(tmp_path_factory):
    export = _simulated(tmp_path_factory, "warmth-three-competence-itch", 12, blinded=True)
    book = json.loads((export / "codebook.json").read_text())
    dunnett = book["analysis"]["post_hoc"][2]
    assert dunnett["control"] in book["factors"]["competence"] and dunnett["control"] not in ("high", "medium", "low")
