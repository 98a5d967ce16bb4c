"""An arm outside the factorial has empty factor columns; Likert and yes/no items carry value labels (issue 12 item 7)."""

from __future__ import annotations

import json

import pandas as pd
import pyreadstat

from placebolab.analysis import run_analyses
from placebolab.export import export_study
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from placebolab.study import Study
from tests.conftest import ROOT
from tests.engine.schedule_protocols import write_protocol

THREE_ARM = ROOT / "protocols" / "ibs-three-arm.yaml"


def test_three_arm_export_leaves_the_waitlist_out_of_the_factor_and_labels_yes_no(tmp_path):
    study = Study.init(THREE_ARM, tmp_path / "study", seed=7)
    simulate_study(study, 30, load_effects(None, study.protocol), seed=8)
    out = export_study(study, formats=("csv", "sav"))
    study.close()
    wide = pd.read_csv(out / "wide.csv")
    waitlist = wide[wide["cell"] == "waitlist"]
    # The protocol gives the arm `levels: {interaction: limited}` for its stimuli; the data must not say so.
    assert len(waitlist) > 0 and waitlist["interaction"].isna().all()
    assert set(wide.loc[wide["cell"] != "waitlist", "interaction"]) == {"limited", "augmented"}
    long = pd.read_csv(out / "long.csv")
    assert long.loc[long["cell"] == "waitlist", "interaction"].isna().all()

    # The analysis leaves the arm out of the factorial model and counts it: the limited cell is not pooled with it.
    results = run_analyses(out)
    completed = wide[(wide["status"] == "completed") & (wide["cell"] != "waitlist")]
    assert results.header["n_in_arms"] == int((waitlist["status"] == "completed").sum())
    assert results.primary.anova["DF"].iloc[-1] == len(completed) - 2 - 1  # 2 cells, 1 covariate (baseline)
    assert list(results.primary.descriptives["n"]) == list(
        completed.groupby("interaction").size()[["limited", "augmented"]]
    )

    # The yes/no item: codes 1, 2 labelled from the scale's labels, in the codebook and the .sav.
    entry = next(c for c in json.loads((out / "codebook.json").read_text())["columns"] if c["name"] == "relief")
    assert entry["value_labels"] == {"1": "no", "2": "yes"}
    data, meta = pyreadstat.read_sav(str(out / "wide.sav"))
    assert meta.variable_value_labels["relief"] == {1.0: "no", 2.0: "yes"}
    assert meta.variable_measure["relief"] == "ordinal"
    assert set(data["relief"].dropna()) <= {1.0, 2.0}
    assert data.loc[data["cell"] == "waitlist", "interaction"].isna().all()


LIKERT = """\
protocol: likert-items
version: "0.1"
title: Labelled items
factors:
  warmth: {levels: [warm, cold]}
allocation: {scheme: complete, target_n: 10}
timeline:
  - {id: agree, type: rating, prompt: The clinician listened., scale: likert-5}
  - {id: pain, type: rating, prompt: Pain now?, scale: nrs-0-10, role: symptom}
  - {id: check, type: questionnaire, instrument: manipulation-check, role: manipulation_check}
"""


def test_likert_ratings_and_items_are_labelled_in_the_codebook_and_the_sav(tmp_path):
    path = tmp_path / "likert-items.yaml"
    path.write_text(LIKERT)
    study = Study.init(path, tmp_path / "study", seed=3)
    simulate_study(study, 6, load_effects(None, study.protocol), seed=4)
    out = export_study(study, formats=("csv", "sav"))
    study.close()
    book = {c["name"]: c for c in json.loads((out / "codebook.json").read_text())["columns"]}
    assert book["agree"]["value_labels"] == {
        "1": "strongly disagree", "2": "disagree", "3": "neither agree nor disagree", "4": "agree", "5": "strongly agree",
    }  # fmt: skip
    assert "value_labels" not in book["pain"]  # a numeric rating scale has no labels per value
    items = [c for c in book.values() if c.get("step") == "check" and c["kind"] == "measure"]
    assert items and all(len(c["value_labels"]) == 7 for c in items)  # the instrument's likert-7
    assert not any("value_labels" in c for c in book.values() if c["kind"] == "score")
    _, meta = pyreadstat.read_sav(str(out / "wide.sav"))
    assert meta.variable_value_labels["agree"][5.0] == "strongly agree"
    assert meta.variable_measure["agree"] == "ordinal" and meta.variable_measure["pain"] == "scale"


def test_a_measure_of_one_scheduled_occasion_is_that_occasion_not_a_mean_of_one(tmp_path):
    """A rating at a single time (``at: [t0+15s]``): its summary column is that occasion's value, labelled so
    (not "(mean of 1 occasions)", which the report's Methods quoted)."""
    steps = [
        "  - {id: pills, type: pause, text: Take the pills., duration: 5s, mark: t0}\n",
        "  - {id: anxiety, type: rating, scale: nrs-0-10, prompt: How anxious?, at: [t0+15s]}\n",
        "  - {id: mood, type: rating, scale: likert-5, prompt: Your mood?, at: [t0+15s, t0+30s]}\n",
    ]
    study = Study.init(write_protocol(tmp_path, *steps), tmp_path / "study", seed=7)
    simulate_study(study, 4, load_effects(None, study.protocol), seed=8)
    out = export_study(study)
    study.close()
    columns = {c["name"]: c for c in json.loads((out / "codebook.json").read_text())["columns"]}
    assert columns["anxiety"]["label"] == "How anxious? (t0+15s)" == columns["anxiety@t0+15s"]["label"]
    assert columns["anxiety"]["derived"] == "the value of anxiety@t0+15s"
    assert columns["mood"]["label"] == "Your mood? (mean of 2 occasions)"  # two occasions: their mean, as before
    wide = pd.read_csv(out / "wide.csv")
    assert wide["anxiety"].tolist() == wide["anxiety@t0+15s"].tolist()


TRUST = (
    "  - id: trust\n    type: questionnaire\n    role: expectancy\n"
    "    scale: {type: likert, labels: [no, some, yes], not_applicable: cannot say}\n"
    "    items: [{id: works, text: It works.}, {id: doubt, text: I doubt it., reverse: true}, {id: safe, text: Safe.}]\n"
    "    scores:\n      belief: {items: [works, doubt, safe]}\n"
    "      total: {items: [works, doubt, safe], method: sum, min_items: 2}\n"
)


def test_the_report_says_how_many_analysed_participants_have_no_value_of_an_outcome_and_when(tmp_path):
    """A participant whose score is empty (a 'cannot say') is left out of its analysis: the report said nothing,
    and its n was one short of the N analysed. It now says how many, and the codebook's rule."""
    from placebolab.report.html import render_report

    plan = "analysis:\n  primary: {outcome: trust.belief, between: [warmth]}\n"
    study = Study.init(write_protocol(tmp_path, TRUST, tail=plan), tmp_path / "study", seed=7)
    simulate_study(study, 10, load_effects(None, study.protocol), seed=8)
    out = export_study(study)
    study.close()
    wide = pd.read_csv(out / "wide.csv")
    wide["trust.belief"] = [1 + n % 3 for n in range(len(wide))]  # the null model's scores are all alike
    wide.loc[0, "trust.belief"] = None  # as a 'cannot say' on one of its items leaves it
    wide.to_csv(out / "wide.csv", index=False)
    page = render_report(run_analyses(out))
    assert "Not analysed" not in page
    assert (
        "1 of the 10 analysed participants has no value of trust.belief (codebook: empty unless all 3 of its items "
        "are answered; an item answered &#39;does not apply&#39; is not answered): it is analysed for 9." in page
    )


def test_a_scores_codebook_entry_says_when_it_is_empty(tmp_path):
    """A score is empty when too few of its items are answered, and 'does not apply' is not an answer: a 'cannot
    say' on one item left a participant's score empty, and the codebook said nothing about it."""
    study = Study.init(write_protocol(tmp_path, TRUST), tmp_path / "study", seed=7)
    simulate_study(study, 2, load_effects(None, study.protocol), seed=8)
    out = export_study(study)
    study.close()
    columns = {c["name"]: c for c in json.loads((out / "codebook.json").read_text())["columns"]}
    assert columns["trust.belief"]["missing"] == (
        "empty unless all 3 of its items are answered; an item answered 'does not apply' is not answered"
    )
    assert columns["trust.total"]["missing"] == (
        "empty unless at least 2 of its 3 items are answered (a sum over fewer is scaled up to all of them); "
        "an item answered 'does not apply' is not answered"
    )
