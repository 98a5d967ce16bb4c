"""The report's suite: ANCOVA primary, simple effects, time course, mediation and per-cell checks."""

from __future__ import annotations

import pytest
from numpy.testing import assert_allclose

from placebolab.analysis import mixed_model, run_analyses, simple_effects, time_course
from placebolab.analysis.suite import long_occasions, occasion_columns
from placebolab.report import build_report
from tests.analysis.synthetic import codebook, wide_table, write_export

PLAN = {
    "primary": {"outcome": "itch_post", "baseline": "itch_baseline", "between": ["warmth", "competence"]},
    "manipulation_checks": [{"measure": "check.warmth", "factor": "warmth"}],
    "simple_effects": [{"effect": "warmth", "by": ["competence"]}],
    "mediation": [
        {"x": "competence", "m": "expectancy.expectancy", "y": "itch_post", "covariates": ["itch_baseline"],
         "moderator": "warmth"},
        {"x": "warmth", "m": "expectancy.expectancy", "y": "itch_post", "covariates": ["competence"]},
    ],
    "ss_type": 3,
}  # fmt: skip


@pytest.fixture
def suite_export(tmp_path):
    return write_export(tmp_path / "experiments" / "demo", book=codebook(analysis=PLAN))


def test_primary_is_the_baseline_adjusted_ancova_with_adjusted_means(suite_export):
    primary = run_analyses(suite_export).primary
    assert primary.covariates == ["itch_baseline"]
    assert list(primary.anova["Source"])[-2:] == ["itch_baseline", "Residual"]
    assert list(primary.emmeans.columns) == ["warmth", "competence", "emmean", "se", "df", "ci_low", "ci_high"]
    assert list(primary.assumptions["check"])[-1] == "homogeneity of regression slopes"


def test_simple_effects_follow_the_plan(suite_export):
    results = run_analyses(suite_export)
    table = results.simple_effects
    assert list(table["at"]) == ["competence = high", "competence = low"]
    direct = simple_effects(results.data, "itch_post", "warmth", by="competence", covariates="itch_baseline")
    assert_allclose(table["t"], direct["t"])


def test_time_course_runs_over_the_occasions_in_time_order(suite_export):
    results = run_analyses(suite_export)
    course = results.time_course
    assert course.occasions == ["t0+3min", "t0+9min", "t0+15min"] and course.error is None
    long = long_occasions(
        results.data, "itch_post", occasion_columns(results.study, "itch_post"), ["warmth", "competence"]
    )
    direct = time_course(long, "itch_post", "occasion", "participant", ["warmth", "competence"])
    assert_allclose(course.anova["F"], direct["F"])
    assert "occasion * warmth * competence" in set(course.lmm["Source"])


def test_time_course_mixed_model_follows_the_plan_and_is_reported(tmp_path):
    plan = PLAN | {"time_course": {"random_slope": True, "ddf": "kenward-roger"}}
    export = write_export(tmp_path / "experiments" / "demo", book=codebook(analysis=plan))
    results = run_analyses(export)
    model = results.time_course.mixed_model
    assert model.random_slope and model.ddf == "kenward-roger"
    long = long_occasions(
        results.data, "itch_post", occasion_columns(results.study, "itch_post"), ["warmth", "competence"]
    )
    direct = mixed_model(long, "itch_post", "occasion", "participant", ["warmth", "competence"], random_slope=True,
                         ddf="kenward-roger")  # fmt: skip
    assert_allclose(model.anova["DenDF"], direct.anova["DenDF"])
    assert list(model.variance["component"]) == ["participant intercept", "participant slope (time)", "residual"]
    html = build_report(export).read_text(encoding="utf-8")
    for marker in ('id="variance-components"', 'id="model-means"', "Kenward–Roger degrees of freedom",
                   "random intercept and a random slope for time", "Huynh–Feldt", "ICC (participant share"):  # fmt: skip
        assert marker in html, marker


def test_mediation_follows_the_plan_and_codes_first_levels_as_one(suite_export):
    first, second = run_analyses(suite_export).mediation
    assert first.error is None and first.n == 80
    assert first.levels == {"competence": ["high", "low"], "warmth": ["warm", "neutral"]}
    assert {"indirect | warmth=warm", "indirect | warmth=neutral", "index"} <= set(first.table["path"])
    # the synthetic data give high competence a higher expectancy (+1.5): path a is positive
    assert first.table.set_index("path").loc["a", "coef"] > 0
    assert "indirect" in set(second.table["path"])


def test_report_shows_every_section(suite_export):
    html = build_report(suite_export).read_text(encoding="utf-8")
    for marker in ('id="simple-effects"', 'id="time-course"', 'id="mediation"', 'class="mediation-diagram"',
                   'id="checks-by-cell"', "ANCOVA of itch_post adjusted for itch_baseline",
                   "Adjusted (estimated marginal) means", "Greenhouse–Geisser", "index of moderated mediation"):  # fmt: skip
        assert marker in html, marker


def test_a_bad_mediation_entry_is_reported_not_raised(tmp_path):
    plan = PLAN | {"mediation": [{"x": "competence", "m": "expectancy.nothing", "y": "itch_post"}]}
    export = write_export(tmp_path / "experiments" / "demo", book=codebook(analysis=plan))
    (result,) = run_analyses(export).mediation
    assert result.table is None and "Column 'expectancy.nothing' is not in the data" in result.error
    assert "Not analysed: Column &#39;expectancy.nothing&#39;" in build_report(export).read_text(encoding="utf-8")


def test_no_occasions_no_time_course(tmp_path):
    wide = wide_table().drop(columns=[c for c in wide_table().columns if "@" in c])
    export = write_export(tmp_path / "experiments" / "demo", wide=wide, book=codebook(analysis=PLAN))
    assert run_analyses(export).time_course is None


def test_a_failed_assumption_brings_the_robust_tables(tmp_path):
    wide = wide_table()
    # much larger spread in one cell: Levene fails
    spread = wide["cell"] == "neutral/low"
    wide.loc[spread, "expectancy.expectancy"] = wide.loc[spread, "expectancy.expectancy"] * 6 - 20
    export = write_export(
        tmp_path / "experiments" / "demo",
        wide=wide,
        book=codebook(
            analysis=PLAN | {"secondary": [{"outcome": "expectancy.expectancy", "between": ["warmth", "competence"]}]}
        ),
    )
    secondary = run_analyses(export).outcomes[-1]
    assert not secondary.assumptions.set_index("check").loc["equal variances (Levene)", "ok"]
    assert {"F", "p_unc", "p_perm"} <= set(secondary.robust.columns)
    html = build_report(export).read_text(encoding="utf-8")
    assert "Freedman–Lane permutation p values (type III)" in html
