"""run_analyses and the report pick the analysis from the codebook's measurement of each outcome: a binary or
ordinal primary outcome gets its own tables (never an ANOVA of codes, nor simple effects of means); an export
made before `measurement` existed is analysed as before."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from placebolab.analysis import primary_analysis, run_analyses
from placebolab.errors import AnalysisError
from placebolab.report import build_report
from placebolab.report.text import print_anova_table, print_primary
from tests.analysis.synthetic import codebook, wide_table, write_export

PLAN = {
    "primary": {"outcome": "relief", "baseline": "itch_baseline", "between": ["warmth", "competence"]},
    "secondary": [{"outcome": "gic", "between": ["warmth"]}, {"outcome": "itch_post", "bayes_factor": True,
                   "equivalence": {"bound": 0.4, "units": "d"}, "between": ["warmth", "competence"]}],
    "simple_effects": [{"effect": "warmth", "by": ["competence"]}],
    "ss_type": 3,
}  # fmt: skip


def _export(tmp_path, measurements=True):
    wide = wide_table()
    rng = np.random.default_rng(3)
    warm = (wide["warmth"] == "warm").to_numpy()
    wide["relief"] = np.where(rng.random(len(wide)) < np.where(warm, 0.65, 0.35), 2.0, 1.0)
    wide["gic"] = np.clip(np.round(rng.normal(np.where(warm, 5.0, 4.0), 1.3)), 1, 7)
    book = codebook(analysis=PLAN)
    extra = {"kind": "measure", "role": "symptom", "dtype": "float", "min": 1}
    book["columns"] += [
        {"name": "relief", "label": "Adequate relief", "step": "relief", "max": 2, **extra},
        {"name": "gic", "label": "Global improvement", "step": "gic", "max": 7, **extra},
    ]
    if measurements:
        book["columns"][-2] |= {"measurement": "binary", "labels": ["no", "yes"]}
        book["columns"][-1] |= {"measurement": "ordinal", "labels": [f"g{i}" for i in range(1, 8)]}
    return write_export(tmp_path / "study", wide, book)


def test_a_binary_primary_and_an_ordinal_secondary_are_not_anovas(tmp_path):
    results = run_analyses(_export(tmp_path))
    relief, gic, itch = results.outcomes
    assert [o.name for o in results.outcomes] == ["relief", "gic", "itch_post"]  # no change score of a yes/no
    assert relief.anova is None and relief.categorical.event == "yes" and relief.categorical.model is not None
    assert list(relief.categorical.odds_ratios["effect"]) == ["warmth", "competence", "itch_baseline"]
    assert gic.categorical.measurement == "ordinal" and set(gic.categorical.distribution["label"]) == {
        f"g{i}" for i in range(1, 8)
    }
    assert results.simple_effects is None and "is binary, so read the odds ratios" in results.simple_effects_error
    assert itch.anova is not None and itch.equivalence["bound_d"].tolist() == pytest.approx([0.4, 0.4])
    assert list(itch.bayes_factors["factor"]) == ["warmth", "competence"]


def test_the_report_and_the_terminal_show_the_analysis_of_each_kind(tmp_path, capsys):
    export = _export(tmp_path)
    html = build_report(export).read_text(encoding="utf-8")
    assert "is a yes/no answer: its percentage per cell is compared with Pearson" in html  # methods
    assert "Logistic regression of relief adjusted for itch_baseline" in html
    assert "Proportional-odds model of gic" in html and "Kruskal–Wallis" in html
    assert "ANOVA of relief" not in html and "ANOVA of gic" not in html
    assert "Equivalence tests (TOST, α = 0.05) of itch_post" in html and "bounds set as Cohen's d" in html
    primary = primary_analysis(export)
    print_anova_table(primary)
    print_primary(primary)
    out = capsys.readouterr().out
    assert "Logistic regression of relief" in out and "warm vs neutral" in out


def test_an_export_without_measurement_is_analysed_as_before(tmp_path):
    results = run_analyses(_export(tmp_path, measurements=False))
    assert results.primary.anova is not None and results.primary.categorical is None
    assert results.outcomes[1].name == "relief_change"


def test_an_unknown_measurement_in_the_codebook_is_named(tmp_path):
    export = _export(tmp_path)
    text = (export / "codebook.json").read_text().replace('"measurement": "ordinal"', '"measurement": "nominal"')
    (export / "codebook.json").write_text(text)
    with pytest.raises(AnalysisError, match="column 'gic' the measurement 'nominal'; it must be one of"):
        run_analyses(export)


def test_one_answer_from_everyone_still_shows_the_percentages(tmp_path):
    export = _export(tmp_path)
    wide = pd.read_csv(export / "wide.csv")
    wide["relief"] = 1.0  # nobody had adequate relief
    wide.to_csv(export / "wide.csv", index=False)
    relief = run_analyses(export).primary
    assert relief.error is None and relief.categorical.distribution["events"].sum() == 0
    assert relief.categorical.tests is None and relief.categorical.model is None
    assert "takes one value only" in relief.categorical.model_error
    html = build_report(export).read_text(encoding="utf-8")
    assert "Not computed: " in html and "Answers “yes” to relief per cell" in html


def test_a_categorical_outcome_asking_for_equivalence_says_why_there_is_none(tmp_path):
    plan = {**PLAN, "secondary": [{"outcome": "gic", "between": ["warmth"], "bayes_factor": True}]}
    export = _export(tmp_path)
    book = json.loads((export / "codebook.json").read_text())
    (export / "codebook.json").write_text(json.dumps(book | {"analysis": plan}))
    gic = run_analyses(export).outcomes[1]
    assert gic.bayes_factors is None and gic.evidence_error.startswith("'gic' is ordinal; equivalence tests")
    assert "not computed: &#39;gic&#39; is ordinal" in build_report(export).read_text(encoding="utf-8")


def test_no_time_course_of_category_codes(tmp_path):
    book = codebook()
    for column in book["columns"]:
        if column["name"].startswith("itch_post@"):
            column["measurement"] = "ordinal"
    course = run_analyses(write_export(tmp_path / "s", book=book)).time_course
    assert course.anova is None and course.error.startswith("'itch_post' is ordinal at each occasion")


def test_a_malformed_equivalence_entry_in_the_codebook_is_named(tmp_path):
    plan = {**PLAN, "secondary": [{"outcome": "itch_post", "equivalence": {"bound": "ten"}}]}
    export = _export(tmp_path)
    book = json.loads((export / "codebook.json").read_text())
    (export / "codebook.json").write_text(json.dumps(book | {"analysis": plan}))
    itch = run_analyses(export).outcomes[1]
    assert itch.anova is not None and itch.equivalence is None
    assert itch.evidence_error.startswith("codebook.json: the equivalence entry {'bound': 'ten'} needs a number")
