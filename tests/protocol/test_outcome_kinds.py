"""What kind of outcome a scale gives (its `measurement`: continuous, ordinal, binary), and the plan's evidence for
no difference (equivalence, bayes_factor): defaults, and mistakes refused with file:line and what would work."""

from __future__ import annotations

import pytest

from placebolab.components.scales import PRESETS, Scale
from placebolab.protocol import load_protocol, measures

from .bad import ROOT, assert_reported, copy_flagship, line_of, problems_of, replace_once

IBS = ROOT / "protocols" / "ibs-three-arm.yaml"
EXPECTANCY_SCALE = "    scale: {type: nrs, min: 0, max: 10, anchors: [not at all, completely]}\n"
PRIMARY = "  primary: {outcome: itch_post, baseline: itch_baseline, between: [warmth, competence]}\n"


@pytest.mark.parametrize(
    ("scale", "measurement"),
    [
        (PRESETS["nrs-0-100"], "continuous"),
        (PRESETS["vas-0-100"], "continuous"),
        (PRESETS["likert-5"], "ordinal"),  # a Likert item's codes are categories, not numbers
        (PRESETS["yes-no"], "binary"),
        (PRESETS["global-improvement-7"], "ordinal"),
        (Scale(type="likert", labels=["no", "yes"]), "binary"),
        (Scale(type="nrs", min=0, max=1), "binary"),
        (Scale(type="likert", labels=["a", "b", "c"], measurement="continuous"), "continuous"),
        (Scale(type="nrs", min=0, max=10, measurement="ordinal"), "ordinal"),
    ],
)
def test_a_scale_says_how_its_answers_are_analysed(scale, measurement):
    assert scale.measurement == measurement


def test_the_ibs_example_has_a_binary_and_an_ordinal_outcome():
    found = measures(load_protocol(IBS))
    assert (found["relief"].measurement, found["relief"].labels) == ("binary", ("no", "yes"))
    assert found["global_improvement"].measurement == "ordinal"
    assert found["global_improvement"].labels[3] == "no change" and len(found["global_improvement"].labels) == 7
    assert found["severity_post"].measurement == "continuous"


@pytest.mark.parametrize(
    ("measurement", "words"),
    [
        ("binary", ("a binary scale offers exactly two answers", "11 points", "yes-no")),
        ("nominal", ("continuous", "ordinal", "binary")),
    ],
)
def test_a_measurement_the_scale_cannot_have_is_refused_where_it_is_written(tmp_path, measurement, words):
    protocol = copy_flagship(tmp_path)
    edited = replace_once(
        protocol,
        EXPECTANCY_SCALE,
        f"    scale: {{type: nrs, min: 0, max: 10, anchors: [not at all, completely], measurement: {measurement}}}\n",
    )
    assert_reported(
        problems_of(protocol), protocol, line_of(edited, "measurement: "), "timeline[3].scale.measurement", words
    )


def test_a_vas_cannot_be_ordinal(tmp_path):
    protocol = copy_flagship(tmp_path)
    old = "    scale: nrs-0-100\n    anchors: [no itch at all, worst itch imaginable]\n    at:"
    edited = replace_once(
        protocol, old, old.replace("nrs-0-100", "{type: vas, min: 0, max: 100, measurement: ordinal}")
    )
    assert_reported(
        problems_of(protocol), protocol, line_of(edited, "measurement: ordinal"), "timeline[6].scale.measurement",
        ("a VAS is continuous",),
    )  # fmt: skip


def test_equivalence_of_a_categorical_outcome_is_refused(tmp_path):
    protocol = copy_flagship(tmp_path)
    replace_once(protocol, EXPECTANCY_SCALE, "    scale: likert-5\n")  # its items become ordinal
    edited = replace_once(
        protocol,
        "    - {outcome: expectancy.expectancy, between: [warmth, competence]}\n",
        "    - {outcome: expectancy.relief, equivalence: {bound: 1}}\n",
    )
    assert_reported(
        problems_of(protocol), protocol, line_of(edited, "relief, equivalence"), "analysis.secondary[0].equivalence",
        ("'expectancy.relief' is ordinal", "`measurement: continuous`"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("equivalence", "path", "words"),
    [
        ("{bound: 150}", "analysis.primary.equivalence.bound", ("as wide as the whole scale", "0–100", "units: d")),
        ("{bound: 5, units: points}", "analysis.primary.equivalence.units", ("raw", "d")),
        ("{bound: -2}", "analysis.primary.equivalence.bound", ("it must be above 0",)),
    ],
)
def test_a_bad_smallest_effect_of_interest_is_refused(tmp_path, equivalence, path, words):
    protocol = copy_flagship(tmp_path)
    edited = replace_once(
        protocol, PRIMARY, PRIMARY.replace("competence]}", f"competence], equivalence: {equivalence}}}")
    )
    assert_reported(problems_of(protocol), protocol, line_of(edited, "equivalence: {"), path, words)


def test_a_plan_with_equivalence_and_a_bayes_factor_loads(tmp_path):
    protocol = copy_flagship(tmp_path)
    replace_once(
        protocol,
        PRIMARY,
        PRIMARY.replace(
            "competence]}", "competence], equivalence: {bound: 0.3, units: d}, bayes_factor: true}"
        ),  # fmt: skip
    )
    plan = load_protocol(protocol).analysis.primary
    assert plan.equivalence.bound == 0.3 and plan.equivalence.units == "d" and plan.bayes_factor
