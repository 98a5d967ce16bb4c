"""Designs beyond the flagship: more factors and levels, an arm outside the factorial, every step type."""

from __future__ import annotations

import textwrap

import pandas as pd

from placebolab.analysis.plan import run_analyses
from placebolab.export import export_study
from placebolab.protocol import load_protocol
from placebolab.session import plan
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from placebolab.study import Study

THREE_BY_TWO_WITH_CONTROL = textwrap.dedent(
    """\
    protocol: three-by-two
    version: "0.1"
    title: A 3 x 2 design with a no-treatment arm
    variables: {doctor: Dr. Kim}
    factors:
      warmth: {levels: [warm, neutral, cold]}
      framing: {levels: [positive, negative]}
    arms:
      no-treatment: {description: waits without any interaction}
    allocation: {scheme: complete, target_n: 70}
    intake:
      - {id: age, type: number, min: 18, max: 80}
      - {id: handed, type: choice, choices: [left, right]}
    timeline:
      - {id: hello, type: text, text: "Welcome.\\n\\n---\\n\\nSecond page."}
      - {id: pain_before, type: rating, prompt: Pain now?, scale: vas-0-100, role: symptom}
      - id: talk
        type: script
        cells: [warm/positive, warm/negative, neutral/positive, neutral/negative, cold/positive, cold/negative]
        template: "{{ doctor }} ({{ warmth }}, {{ framing }}): this will help."
      - id: mood
        type: questionnaire
        scale: likert-5
        items:
          - {id: calm, text: I feel calm}
          - {id: tense, text: I feel tense, reverse: true}
          - {id: hope, text: How hopeful are you?, scale: nrs-0-10}
        scores: {calmness: {items: [calm, tense], method: sum}}
      - {id: rest, type: pause, text: Please rest., duration: 30s, mark: t0}
      - {id: pain_after, type: rating, prompt: Pain now?, scale: vas-0-100, at: [t0+1min, start+20min], role: symptom}
    analysis:
      primary: {outcome: pain_after, baseline: pain_before}
      secondary: [{outcome: mood.calmness, between: [warmth]}]
    """
)


def test_a_three_by_two_design_with_an_arm_runs_end_to_end(tmp_path):
    path = tmp_path / "three-by-two.yaml"
    path.write_text(THREE_BY_TWO_WITH_CONTROL)
    protocol = load_protocol(path)
    assert [c.id for c in protocol.cells][-1] == "no-treatment" and len(protocol.cells) == 7
    assert "talk" not in [o.key for o in plan(protocol, "no-treatment")]
    assert [o.key for o in plan(protocol, "cold/negative")][-2:] == ["pain_after@t0+1min", "pain_after@start+20min"]

    study = Study.init(path, tmp_path / "study", seed=4)
    simulate_study(study, 70, load_effects(None, protocol), seed=5)
    out = export_study(study)
    wide = pd.read_csv(out / "wide.csv")
    assert set(wide.cell) == {c.id for c in protocol.cells}  # complete randomization reached all 7 cells
    control = wide[wide.cell == "no-treatment"]
    assert control.warmth.isna().all() and control.framing.isna().all()
    assert wide["pain_before"].between(0, 100).all() and (wide["pain_before"] % 1 != 0).any()  # a VAS is continuous
    assert wide["mood.hope"].between(0, 10).all() and wide["mood.calm"].isin([1, 2, 3, 4, 5]).all()
    assert (wide["mood.calmness"] == wide["mood.calm"] + 6 - wide["mood.tense"]).all()  # sum, tense reflected
    long = pd.read_csv(out / "long.csv")
    late = long[long.occasion == "start+20min"]
    assert (late.t_session >= 1200).all()

    results = run_analyses(out)  # the factorial ANOVA leaves the arm out, and says how many were in it
    assert results.header["n_in_arms"] == len(control)
    # the plan names a baseline, so the primary analysis is the ANCOVA adjusting for it
    assert list(results.primary_anova.Source) == ["warmth", "framing", "warmth * framing", "pain_before", "Residual"]
    assert results.primary_anova.DF.iloc[-1] == 70 - len(control) - 6 - 1  # 6 cells, 1 covariate
    study.close()


ONE_FACTOR = textwrap.dedent(
    """\
    protocol: one-factor
    version: "0.1"
    title: Warmth alone
    factors:
      warmth: {levels: [warm, cold]}
    allocation: {scheme: complete, target_n: 20}
    timeline:
      - {id: pain_before, type: rating, prompt: Pain now?, scale: nrs-0-100, role: symptom}
      - {id: talk, type: script, template: "{% if warmth == 'warm' %}I will look after you.{% else %}Next.{% endif %}"}
      - {id: pain_after, type: rating, prompt: Pain now?, scale: nrs-0-100, role: symptom}
    analysis:
      primary: {outcome: pain_after, baseline: pain_before, between: [warmth]}
    """
)


def test_a_one_factor_design_is_described_as_one_way_in_the_methods(tmp_path):
    """Found running a new two-group protocol: the methods said "a 2 between-subjects design"."""
    from placebolab.report import build_report

    path = tmp_path / "one-factor.yaml"
    path.write_text(ONE_FACTOR)
    study = Study.init(path, tmp_path / "study", seed=3)
    simulate_study(study, 12, load_effects(None, study.protocol), seed=4)
    export = export_study(study)
    html = build_report(export).read_text(encoding="utf-8")
    assert "a one-way (2-group) between-subjects design" in html
    assert "analysed with a one-way (2-group) between-subjects ANCOVA" in html
