"""The plan's `contrasts:` and `post_hoc:` are refused at validate, with file:line and what would work, when the
analysis could not run them; the accepted variants show the rules are no wider than needed."""

from __future__ import annotations

import pytest

from placebolab.protocol import load_protocol
from placebolab.protocol.comparisons import CELLS, resolve_contrast

from .bad import assert_reported, line_of, problems_of

BASE = """\
protocol: comparisons-check
version: 1.0.0
title: Comparisons the design allows
factors:
  warmth: {levels: [warm, neutral]}
  dose: {levels: [none, low, high]}
arms:
  waitlist: {description: no treatment}
allocation: {scheme: complete, target_n: 70}
timeline:
  - {id: pain_pre, type: rating, role: symptom, prompt: Pain now?, scale: nrs-0-100}
  - id: expect
    type: rating
    prompt: How much will it help?
    scale: nrs-0-100
    cells: [warm/none, warm/low, warm/high, neutral/none, neutral/low, neutral/high]
  - {id: pain_post, type: rating, role: symptom, prompt: Pain now?, scale: nrs-0-100}
analysis:
  primary: {outcome: pain_post, baseline: pain_pre}
  secondary: [{outcome: expect, between: [warmth]}]
"""
END = "  secondary: [{outcome: expect, between: [warmth]}]\n"

# (id, lines added to the plan, the line with the problem, path, words in the message)
CASES = [
    (
        "a contrast of a level that is no level",
        "  contrasts: [{compare: [low - medium]}]\n",
        "contrasts:",
        "analysis.contrasts[0].compare[0]",
        ("'low - medium' must read 'a - b'", "dose: none, low, high", "waitlist"),
    ),
    (
        "a contrast of a level with itself",
        "  contrasts: [{compare: [low - low]}]\n",
        "contrasts:",
        "analysis.contrasts[0].compare[0]",
        ("compares 'low' with itself",),
    ),
    (
        "a contrast of an arm with a level",
        "  contrasts: [{compare: [high - waitlist]}]\n",
        "contrasts:",
        "analysis.contrasts[0].compare[0]",
        ("names an arm (waitlist)", "'high' is a level of dose, not a cell", "warm/high"),
    ),
    (
        "a contrast of an arm on an outcome the arm never gives",
        "  contrasts: [{compare: [warm/high - waitlist], outcome: expect}]\n",
        "contrasts:",
        "analysis.contrasts[0].compare[0]",
        ("'expect' is not measured in waitlist", "expect is shown only to warm/none"),
    ),
    (
        "a contrast of an outcome not in the plan",
        "  contrasts: [{compare: [low - none], outcome: pain_pre}]\n",
        "contrasts:",
        "analysis.contrasts[0].outcome",
        ("'pain_pre' is not an outcome of the plan", "outcomes: pain_post, expect"),
    ),
    (
        "a contrast listed twice",
        "  contrasts: [{compare: [low - none, high - none, low - none]}]\n",
        "contrasts:",
        "analysis.contrasts[0].compare[2]",
        ("'low - none' is listed twice",),
    ),
    (
        "post-hoc tests of a two-level factor",
        "  post_hoc: [{effect: warmth}]\n",
        "post_hoc:",
        "analysis.post_hoc[0].effect",
        ("'warmth' has two levels (warm, neutral)", "three or more levels"),
    ),
    (
        "post-hoc tests of no factor",
        "  post_hoc: [{effect: dosage}]\n",
        "post_hoc:",
        "analysis.post_hoc[0].effect",
        ("'dosage' is not among the factors (warmth, dose)",),
    ),
    (
        "Tukey with a control",
        "  post_hoc: [{effect: dose, padjust: tukey, control: none}]\n",
        "post_hoc:",
        "analysis.post_hoc[0].padjust",
        ("tukey compares every pair", "use dunnett"),
    ),
    (
        "Dunnett without a control",
        "  post_hoc: [{effect: dose, padjust: dunnett}]\n",
        "post_hoc:",
        "analysis.post_hoc[0].padjust",
        ("add `control:` (none, low, high)",),
    ),
    (
        "a control that is no level",
        "  post_hoc: [{effect: dose, padjust: dunnett, control: placebo}]\n",
        "post_hoc:",
        "analysis.post_hoc[0].control",
        ("'placebo' is not a level of dose",),
    ),
    (
        "Tukey for interaction contrasts",
        "  post_hoc: [{effect: warmth * dose, padjust: tukey}]\n",
        "post_hoc:",
        "analysis.post_hoc[0].padjust",
        ("interaction contrasts are adjusted with holm, bonferroni, none",),
    ),
    (
        "post-hoc tests of every cell on an outcome an arm never gives",
        "  post_hoc: [{effect: cell, outcome: expect}]\n",
        "post_hoc:",
        "analysis.post_hoc[0].effect",
        ("'expect' is not measured in waitlist", "under `contrasts:`"),
    ),
    (
        "a control that is no cell",
        "  post_hoc: [{effect: cell, padjust: dunnett, control: wait}]\n",
        "post_hoc:",
        "analysis.post_hoc[0].control",
        ("'wait' is not one of the cells and arms (warm/none,", "waitlist)"),
    ),
    (
        "a factor left out of the outcome's model",
        "  post_hoc: [{effect: dose, outcome: expect}]\n",
        "post_hoc:",
        "analysis.post_hoc[0].effect",
        ("'dose' is not among the outcome's factors (warmth)",),
    ),
]


def _write(tmp_path, added: str):
    path = tmp_path / "plan.yaml"
    path.write_text(BASE.replace(END, END + added), encoding="utf-8")
    return path


@pytest.mark.parametrize(("added", "marker", "path", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_comparison_the_analysis_could_not_run_is_refused_at_validate(tmp_path, added, marker, path, words):
    protocol = _write(tmp_path, added)
    problems = problems_of(protocol)
    assert_reported(problems, protocol, line_of(protocol.read_text(), marker), path, words)
    assert len(problems) == 1, "\n".join(map(str, problems))


def test_levels_of_one_factor_compare_its_marginal_means_and_an_arm_makes_it_cells(tmp_path):
    added = (
        "  contrasts:\n"
        "    - {compare: [high - none, low - none]}\n"
        "    - {compare: [warm/high - waitlist, neutral/none - waitlist], padjust: bonferroni}\n"
        "  post_hoc:\n"
        "    - {effect: dose, padjust: tukey}\n"
        "    - {effect: dose, padjust: dunnett, control: none}\n"
        "    - {effect: warmth * dose}\n"
        "    - {effect: cell, padjust: dunnett, control: waitlist}\n"
    )
    protocol = load_protocol(_write(tmp_path, added))
    factor, cells = (resolve_contrast(protocol, c) for c in protocol.analysis.contrasts)
    assert factor == (factor[0], []) and factor[0].on == "dose"
    assert factor[0].pairs == [("high", "none"), ("low", "none")]
    assert cells[0].on == CELLS and cells[0].pairs == [("warm/high", "waitlist"), ("neutral/none", "waitlist")]


def test_comparisons_of_means_are_refused_on_an_ordinal_or_yes_no_outcome(tmp_path):
    # found in a user run: a contrast on a 7-point global improvement was listed in the methods as a comparison
    # of means (of category codes) and shown nowhere
    text = BASE.replace(
        "  - {id: pain_post,",
        "  - {id: improved, type: rating, role: symptom, prompt: Better?, scale: global-improvement-7}\n"
        "  - {id: relief, type: rating, role: symptom, prompt: Relief?, scale: yes-no}\n  - {id: pain_post,",
    ).replace(END, "  secondary: [{outcome: improved}, {outcome: relief}]\n")
    path = tmp_path / "plan.yaml"
    path.write_text(
        text + "  contrasts:\n    - {compare: [low - none], outcome: improved}\n"
        "  post_hoc:\n    - {effect: dose, padjust: tukey, outcome: relief}\n",
        encoding="utf-8",
    )
    problems = problems_of(path)
    written = path.read_text()
    assert_reported(problems, path, line_of(written, "outcome: improved}\n  post_hoc"), "analysis.contrasts[0].outcome",
                    ("'improved' is ordinal", "proportional-odds model", "odds ratios"))  # fmt: skip
    assert_reported(problems, path, line_of(written, "outcome: relief}\n"), "analysis.post_hoc[0].outcome",
                    ("'relief' is binary", "logistic regression"))  # fmt: skip
