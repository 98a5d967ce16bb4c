"""The plan's `hypotheses:` are refused at validate, with file:line, when their test is none the analysis runs."""

from __future__ import annotations

import pytest

from placebolab.protocol import load_protocol
from placebolab.protocol.hypotheses import resolve_hypothesis

from .bad import assert_reported, line_of, problems_of
from .test_plan_comparisons import BASE, END

CASES = [
    ("a test naming no factor", "  hypotheses: [{id: H1, text: t, test: dosage}]\n", "analysis.hypotheses[0].test",
     ("'dosage' must name a test of pain_post", "(warmth, dose)")),
    ("an interaction of a factor with itself", "  hypotheses: [{id: H1, text: t, test: dose * dose}]\n",
     "analysis.hypotheses[0].test", ("'dose * dose' must name a test",)),
    ("a comparison not planned", "  hypotheses: [{id: H1, text: t, test: high - none}]\n",
     "analysis.hypotheses[0].test", ("not among the planned comparisons", "contrasts: [{compare: [high - none]}]")),
    ("an outcome not in the plan", "  hypotheses: [{id: H1, text: t, test: dose, outcome: pain_pre}]\n",
     "analysis.hypotheses[0].outcome", ("'pain_pre' is not an outcome of the plan",)),
    ("a factor outside the outcome's model", "  hypotheses: [{id: H1, text: t, test: dose, outcome: expect}]\n",
     "analysis.hypotheses[0].test", ("a factor of its model (warmth)",)),
    ("an id given twice", "  hypotheses: [{id: H1, text: t, test: dose}, {id: H1, text: u, test: warmth}]\n",
     "analysis.hypotheses[1].id", ("'H1' is used twice",)),
    ("a comparison written the other way round",
     "  contrasts: [{compare: [high - none]}]\n  hypotheses: [{id: H1, text: t, test: none - high}]\n",
     "analysis.hypotheses[0].test", ("compare 'high - none'", "same way round")),
]  # fmt: skip


@pytest.mark.parametrize(("added", "path", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_hypothesis_no_test_decides_is_refused_with_its_line(tmp_path, added, path, words):
    protocol = tmp_path / "plan.yaml"
    protocol.write_text(BASE.replace(END, END + added), encoding="utf-8")
    problems = problems_of(protocol)
    assert_reported(problems, protocol, line_of(protocol.read_text(), "hypotheses:"), path, words)
    assert len(problems) == 1, "\n".join(map(str, problems))


def test_a_factor_an_interaction_and_a_planned_comparison_decide_hypotheses(tmp_path):
    added = (
        "  contrasts: [{compare: [high - none]}, {compare: [warm/high - waitlist]}]\n"
        "  hypotheses:\n"
        "    - {id: H1, text: Warmth helps., test: warmth}\n"
        "    - {id: H2, text: They interact., test: warmth × dose}\n"
        "    - {id: H3, text: High beats none., test: high - none}\n"
        "    - {id: H4, text: Warmth raises expectation., test: warmth, outcome: expect}\n"
    )
    path = tmp_path / "plan.yaml"
    path.write_text(BASE.replace(END, END + added), encoding="utf-8")
    protocol = load_protocol(path)
    decided = [resolve_hypothesis(protocol, h) for h in protocol.analysis.hypotheses]
    assert [problems for _, problems in decided] == [[]] * 4
    kinds = [(d.kind, d.outcome, d.term) for d, _ in decided]
    assert kinds == [("main effect", "pain_post", "warmth"), ("interaction", "pain_post", "warmth * dose"),
                     ("comparison", "pain_post", "high - none"), ("main effect", "expect", "warmth")]  # fmt: skip
