"""Every analysis the plan asks for is one the analysis code runs on the design: what it would refuse on
design grounds (and the report would show as "Not analysed") is refused at validate, with file:line and
what would work. One case per refusal reason; the accepted variants show the rule is no wider than needed."""

from __future__ import annotations

import pytest

from placebolab.protocol import load_protocol

from .bad import assert_reported, line_of, problems_of

BASE = """\
protocol: plan-check
version: 1.0.0
title: Analyses the design allows
factors:
  warmth: {levels: [warm, neutral]}
  dose: {levels: [none, low, high]}
allocation: {scheme: complete, target_n: 60}
timeline:
  - {id: pain_pre, type: rating, role: symptom, prompt: Pain now?, scale: nrs-0-100}
  - id: expect
    type: questionnaire
    role: expectancy
    scale: {type: nrs, min: 0, max: 10, anchors: [not at all, completely]}
    items:
      - {id: relief, text: How much will it relieve your pain?}
      - {id: sure, text: How sure are you?}
    scores:
      total: {items: [relief, sure], method: mean}
  - {id: warm_only, type: rating, prompt: How cared for?, scale: nrs-0-100, cells: [warm/none, warm/low, warm/high]}
  - {id: pain_post, type: rating, role: symptom, prompt: Pain now?, scale: nrs-0-100}
analysis:
  primary: {outcome: pain_post, baseline: pain_pre}
"""
PRIMARY = "  primary: {outcome: pain_post, baseline: pain_pre}\n"

# (id, analysis line(s) replacing PRIMARY, the line with the problem, path, words in the message)
CASES = [
    (
        "mediation x with three levels",
        PRIMARY + "  mediation: [{x: dose, m: expect.total, y: pain_post}]\n",
        "mediation:",
        "analysis.mediation[0].x",
        ("mediation codes x as 1", "'dose' has 3 levels (none, low, high)", "two of its levels"),
    ),
    (
        "mediation covariate with three levels",
        PRIMARY + "  mediation: [{x: warmth, m: expect.total, y: pain_post, covariates: [pain_pre, dose]}]\n",
        "mediation:",
        "analysis.mediation[0].covariates[1]",
        ("a factor covariate", "'dose' has 3 levels", "leave it out of the covariates"),
    ),
    (
        "mediation moderator with three levels",
        PRIMARY + "  mediation: [{x: warmth, m: expect.total, y: pain_post, moderator: dose}]\n",
        "mediation:",
        "analysis.mediation[0].moderator",
        ("the moderator", "'dose' has 3 levels"),
    ),
    (
        "mediation naming a variable twice",
        PRIMARY + "  mediation: [{x: warmth, m: expect.total, y: pain_post, covariates: [pain_post]}]\n",
        "mediation:",
        "analysis.mediation[0].y",
        ("'pain_post' is named twice in x, m, y, covariates and moderator",),
    ),
    (
        "mediation on a measure some cells never give",
        PRIMARY + "  mediation: [{x: warmth, m: warm_only, y: pain_post}]\n",
        "mediation:",
        "analysis.mediation[0]",
        (
            "'warm_only' and 'pain_post' are not measured in every level of warmth",
            "warmth=neutral",
            "warm_only is shown only to warm/none, warm/low, warm/high",
        ),
    ),  # fmt: skip
    (
        "a factor twice in between",
        "  primary: {outcome: pain_post, between: [warmth, dose, warmth]}\n",
        "primary:",
        "analysis.primary.between[2]",
        ("'warmth' is named twice in between",),
    ),
    (
        "the outcome as its own baseline",
        "  primary: {outcome: pain_post, baseline: pain_post}\n",
        "primary:",
        "analysis.primary.baseline",
        ("'pain_post' is the outcome itself",),
    ),
    (
        "an outcome some cells never give",
        "  primary: {outcome: warm_only}\n",
        "primary:",
        "analysis.primary.outcome",
        (
            "not measured in every combination of warmth × dose",
            "warmth=neutral, dose=none (and 2 more",
            "leave the factor out of `between`",
        ),
    ),  # fmt: skip
    (
        "a secondary outcome's baseline some cells never give",
        PRIMARY + "  secondary: [{outcome: pain_post, baseline: warm_only, between: [warmth]}]\n",
        "secondary:",
        "analysis.secondary[0].baseline",
        ("'pain_post' and 'warm_only' are not measured in every level of warmth",),
    ),
    (
        "a manipulation check on a measure some levels never give",
        PRIMARY + "  manipulation_checks: [{measure: warm_only, factor: warmth}]\n",
        "manipulation_checks:",
        "analysis.manipulation_checks[0].measure",
        ("'warm_only' is not measured in every level of warmth the check compares",),
    ),
    (
        "a simple effect by the tested factor",
        PRIMARY + "  simple_effects: [{effect: warmth, by: [warmth]}]\n",
        "simple_effects:",
        "analysis.simple_effects[0].by[0]",
        ("'warmth' is the tested factor",),
    ),
    (
        "a simple effect by a factor twice",
        PRIMARY + "  simple_effects: [{effect: warmth, by: [dose, dose]}]\n",
        "simple_effects:",
        "analysis.simple_effects[0].by[1]",
        ("'dose' is named twice in by",),
    ),
    (
        "simple effects of an outcome some cells never give",
        "  primary: {outcome: warm_only, between: [dose]}\n  simple_effects: [{effect: dose, by: [warmth]}]\n",
        "simple_effects:",
        "analysis.simple_effects[0]",
        ("'warm_only' is not measured in every combination of dose × warmth", "dose=none, warmth=neutral"),
    ),
]


def _write(tmp_path, analysis: str):
    path = tmp_path / "plan.yaml"
    path.write_text(BASE.replace(PRIMARY, analysis), encoding="utf-8")
    return path


@pytest.mark.parametrize(("analysis", "marker", "path", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_an_analysis_the_design_does_not_allow_is_refused_at_validate(tmp_path, analysis, marker, path, words):
    protocol = _write(tmp_path, analysis)
    problems = problems_of(protocol)
    assert_reported(problems, protocol, line_of(protocol.read_text(), marker), path, words)
    assert len(problems) == 1, "\n".join(map(str, problems))


ACCEPTED = [
    PRIMARY,  # the base protocol itself
    "  primary: {outcome: warm_only, between: [dose]}\n"  # every dose level has warm cells
    "  manipulation_checks: [{measure: warm_only, factor: dose}]\n",
    PRIMARY + "  mediation: [{x: warmth, m: expect.total, y: pain_post, covariates: [pain_pre]}]\n",
    PRIMARY + "  secondary: [{outcome: expect.total, baseline: pain_pre}]\n"
    "  simple_effects: [{effect: dose, by: [warmth]}]\n",
]


@pytest.mark.parametrize("analysis", ACCEPTED)
def test_analyses_the_design_allows_are_accepted(tmp_path, analysis):
    assert load_protocol(_write(tmp_path, analysis)).analysis is not None


def test_a_study_initialised_before_these_checks_still_opens_and_exports(tmp_path, monkeypatch):
    """Its data must never be locked away: the checks apply to new protocols, not to a study's frozen one."""
    from click.testing import CliRunner

    import placebolab.protocol.checks as checks
    from placebolab.cli import main
    from placebolab.study import Study

    protocol = _write(tmp_path, CASES[0][1])  # a three-level mediation x
    problems_of(protocol)
    with monkeypatch.context() as before:
        before.setattr(checks, "check_plan", lambda protocol, report: None)  # as validate was until now
        Study.init(protocol, tmp_path / "study", seed=1).close()
    runner = CliRunner()
    assert runner.invoke(main, ["simulate", str(tmp_path / "study"), "-n", "6", "--seed", "2"]).exit_code == 0
    exported = runner.invoke(main, ["export", str(tmp_path / "study")])
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "study" / "export" / "wide.csv").is_file()
