"""build_report / run_analyses on a synthetic export folder written as docs/tables.md says."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from placebolab.analysis import anova, primary_analysis, run_analyses
from placebolab.errors import AnalysisError, StoreError
from placebolab.report import build_report
from tests.analysis.synthetic import codebook, wide_table, write_export


def test_run_analyses_excludes_incomplete_and_counts_them(export_dir):
    results = run_analyses(export_dir)
    header = results.header
    assert (header["n_rows"], header["n_completed"], header["n_incomplete"], header["n_analysed"]) == (83, 80, 3, 80)
    assert header["all_simulated"] and header["n_simulated"] == 80
    counts = results.cell_counts.set_index("cell")
    assert counts["n"].to_dict() == {"warm/high": 20, "warm/low": 20, "neutral/high": 20, "neutral/low": 20}
    assert counts.loc["warm/low", "n_incomplete"] == 3
    assert (results.data["status"] == "completed").all()


def test_outcomes_follow_the_plan_and_match_a_direct_anova(export_dir):
    results = run_analyses(export_dir)
    names = [(o.name, o.role) for o in results.outcomes]
    assert names == [
        ("itch_post", "primary"),
        ("itch_post_change", "change from baseline"),
        ("expectancy.expectancy", "secondary"),
    ]
    assert all(o.error is None for o in results.outcomes)
    completed = wide_table().query("status == 'completed'")
    # The primary outcome is adjusted for its baseline (ANCOVA), as the plan names one.
    direct = anova(completed, "itch_post", ["warmth", "competence"], covariates="itch_baseline", ss_type=3)
    assert list(results.primary.anova["Source"]) == [
        "warmth",
        "competence",
        "warmth * competence",
        "itch_baseline",
        "Residual",
    ]
    assert_allclose(results.primary.anova["F"][:3], direct["F"][:3])
    change = results.outcomes[1]
    assert_allclose(
        change.descriptives["mean"].to_numpy(),
        (completed["itch_post"] - completed["itch_baseline"])
        .groupby([completed["warmth"], completed["competence"]], sort=False)
        .mean(),
    )
    assert results.ss_type == 3


def test_manipulation_checks_in_results(export_dir):
    checks = run_analyses(export_dir).manipulation_checks
    assert list(checks["measure"]) == ["check.warmth", "check.competence"]
    assert list(checks["level_a"]) == ["warm", "high"]  # the codebook's level order
    assert (checks["hedges_g"] > 0).all()


def test_report_contents(export_dir):
    path = build_report(export_dir)
    assert path == export_dir.parent / "report.html"
    html = path.read_text(encoding="utf-8")
    primary = run_analyses(export_dir).primary.anova
    for source in ("warmth", "competence", "warmth × competence", "Residual"):
        assert f'<td class="label">{source}</td>' in html
    f_warmth = f"{primary.loc[0, 'F']:.2f}"
    assert f"F(1, 75) = {f_warmth}" in html  # 80 − 4 cells − 1 covariate (baseline)
    assert html.count('src="data:image/png;base64,') == 4  # primary, change, secondary, time course
    for cell in ("warm/high", "warm/low", "neutral/high", "neutral/low"):
        assert re.search(rf'<td class="label">{re.escape(cell)}</td>.*?<td>20</td>', html)
    assert "All data in this report are simulated" in html
    assert "3 incomplete excluded" in html
    assert "ab" * 32 in html  # protocol sha256
    assert "type III sums of squares" in html
    assert "permuted-block randomisation (block sizes 4 and 8) stratified by sex" in html
    assert "t(" in html and "g = " in html  # manipulation checks


def test_no_banner_when_data_are_real(tmp_path):
    export = write_export(tmp_path / "experiments" / "real", wide_table(simulated=False))
    html = build_report(export).read_text(encoding="utf-8")
    assert 'class="banner' not in html
    assert "simulated" not in html.split('<section id="sample">')[0].split("<body>")[1]


def test_some_simulated_are_flagged_and_pilot_sessions_left_out(tmp_path):
    wide = wide_table(simulated=False)
    wide.loc[:4, "simulated"] = True
    wide.loc[[10, 11], "pilot"] = True  # both in warm/high
    export = write_export(tmp_path / "s", wide)
    results = run_analyses(export)
    assert results.header["n_analysed"] == 78 and results.header["n_pilot"] == 2
    assert not results.data["pilot"].any()
    warm_high = results.cell_counts.set_index("cell").loc["warm/high"]
    assert (warm_high["n"], warm_high["n_pilot"]) == (18, 2)
    assert results.primary.anova["DF"].iloc[-1] == 73  # 78 − 4 cells − 1 covariate
    html = build_report(export).read_text(encoding="utf-8")
    assert "5 of the 78 analysed participants\n  are simulated" in html
    assert "2 completed pilot sessions are excluded from the analyses" in html
    assert "2 completed pilot sessions excluded" in html  # methods paragraph


def test_pilot_sessions_can_be_included(tmp_path):
    wide = wide_table(simulated=False)
    wide.loc[[10, 11], "pilot"] = True
    export = write_export(tmp_path / "s", wide)
    results = run_analyses(export, include_pilot=True)
    assert results.header["n_analysed"] == 80
    assert results.cell_counts.set_index("cell").loc["warm/high", "n"] == 20
    html = build_report(export, include_pilot=True).read_text(encoding="utf-8")
    assert "2 completed pilot sessions are included in the analyses" in html


def test_primary_shortcuts_for_the_cli(export_dir):
    results = run_analyses(export_dir)
    assert results.primary_outcome == "itch_post"
    assert results.primary_anova is results.primary.anova
    assert results.primary_descriptives is results.primary.descriptives


def test_study_name_is_escaped(tmp_path):
    book = codebook(study="<script>alert('x')</script>")
    html = build_report(write_export(tmp_path / "x", book=book)).read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_out_path_and_ss_type_override(export_dir, tmp_path):
    out = build_report(export_dir, out_path=tmp_path / "elsewhere" / "r.html", ss_type=2)
    assert out.is_file()
    assert "type II sums of squares" in out.read_text(encoding="utf-8")


def test_unbalanced_cells_use_type3_from_the_plan(tmp_path):
    wide = wide_table()
    wide = wide.drop(wide.index[(wide["cell"] == "neutral/low")][:12])
    results = run_analyses(write_export(tmp_path / "u", wide))
    assert results.cell_counts.set_index("cell").loc["neutral/low", "n"] == 8
    completed = wide.query("status == 'completed'")
    direct = anova(completed, "itch_post", ["warmth", "competence"], covariates="itch_baseline", ss_type=3)
    assert_allclose(results.primary.anova["SS"], direct["SS"])


def test_an_outcome_that_cannot_be_analysed_does_not_stop_the_report(tmp_path):
    wide = wide_table()
    wide["expectancy.expectancy"] = np.nan
    export = write_export(tmp_path / "e", wide)
    results = run_analyses(export)
    secondary = results.outcomes[2]
    assert secondary.anova is None and "'expectancy.expectancy' has no values" in secondary.error
    html = build_report(export).read_text(encoding="utf-8")
    assert "Not analysed: Column &#39;expectancy.expectancy&#39; has no values" in html
    assert html.count("data:image/png;base64,") == 3  # primary, change, time course


def test_primary_analysis_raises_with_the_column(tmp_path):
    wide = wide_table()
    wide = wide[wide["cell"] != "neutral/low"]
    export = write_export(tmp_path / "p", wide)
    with pytest.raises(
        AnalysisError, match="cell warmth=neutral, competence=low has no participant with a value of 'itch_post'"
    ):
        primary_analysis(export)
    # The report still renders, saying why.
    assert "Not analysed: The cell warmth=neutral" in build_report(export).read_text(encoding="utf-8")


def test_no_baseline_no_change_score(tmp_path):
    plan = {"primary": {"outcome": "itch_post", "between": ["warmth", "competence"]}}
    results = run_analyses(write_export(tmp_path / "n", book=codebook(analysis=plan)))
    assert [o.name for o in results.outcomes] == ["itch_post"]
    assert results.manipulation_checks is None and results.ss_type == 3


def test_arm_outside_the_factorial_is_counted_not_analysed(tmp_path):
    wide = wide_table()
    control = wide.iloc[:5].assign(
        cell="no-treatment", warmth="", competence="", participant=[f"C{i}" for i in range(5)]
    )
    book = codebook()
    book["cells"].append({"id": "no-treatment", "levels": {}, "arm": True})
    results = run_analyses(write_export(tmp_path / "arm", pd.concat([wide, control], ignore_index=True), book))
    assert results.header["n_in_arms"] == 5 and results.header["n_analysed"] == 80
    assert results.cell_counts.set_index("cell").loc["no-treatment", "n"] == 5


def test_missing_plan_is_an_analysis_error(tmp_path):
    book = codebook()
    del book["analysis"]
    with pytest.raises(AnalysisError, match="analysis.primary.outcome"):
        run_analyses(write_export(tmp_path / "np", book=book))


def test_missing_export_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="run `placebolab export .*experiments/ghost` first") as info:
        run_analyses(tmp_path / "experiments" / "ghost" / "export")
    assert info.value.exit_code == 4


def test_a_bad_manipulation_check_does_not_hide_the_others(tmp_path):
    book = codebook()
    book["analysis"]["manipulation_checks"].append({"measure": "check.empathy", "factor": "warmth"})
    results = run_analyses(write_export(tmp_path / "c", book=book))
    assert list(results.manipulation_checks["measure"]) == ["check.warmth", "check.competence"]
    assert "Column 'check.empathy' is not in the data" in results.manipulation_checks_error


def test_no_completed_participant_still_gives_a_report(tmp_path):
    wide = wide_table().assign(status="incomplete")
    export = write_export(tmp_path / "z", wide)
    results = run_analyses(export)
    assert results.header["n_analysed"] == 0 and not results.header["all_simulated"]
    assert all(outcome.error for outcome in results.outcomes)
    html = build_report(export).read_text(encoding="utf-8")
    assert "N = 0" in html and "83 incomplete excluded" in html


def test_an_unequal_allocation_ratio_is_said_wherever_the_scheme_is(tmp_path):
    """CONSORT 8b: the methods text, the preregistration and the checklist say the ratio (else read as 1:1)."""
    from placebolab.report.html import allocation_phrase

    book = {"scheme": "complete", "ratio": {"warm/full": 2}, "target_n": 40}
    assert allocation_phrase(book) == (
        "complete (simple) randomisation, allocation weights warm/full 2 (1 for any cell not named), target N = 40"
    )
    equal = allocation_phrase({"scheme": "complete", "target_n": 40})
    assert equal == "complete (simple) randomisation, target N = 40"  # no ratio: equal, nothing said
