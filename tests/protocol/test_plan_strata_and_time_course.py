"""Plan keys of issue 12: adjust_for_strata (checked against the allocation) and time_course (mixed model options)."""

from __future__ import annotations

from placebolab.protocol import load_protocol

from .bad import assert_reported, copy_flagship, line_of, problems_of, replace_once

PRIMARY = "  primary: {outcome: itch_post, baseline: itch_baseline, between: [warmth, competence]}\n"


def test_adjust_for_strata_without_strata_is_reported_at_its_line(tmp_path):
    protocol = copy_flagship(tmp_path)
    replace_once(protocol, "  strata: [sex]\n", "")
    text = replace_once(protocol, PRIMARY, PRIMARY + "  adjust_for_strata: true\n")
    assert_reported(problems_of(protocol), protocol, line_of(text, "adjust_for_strata: true"),
                    "analysis.adjust_for_strata", ("the allocation has no strata to adjust for",))  # fmt: skip


def test_an_identifying_stratum_cannot_be_adjusted_for(tmp_path):
    protocol = copy_flagship(tmp_path)
    text = protocol.read_text()
    sex = next(line for line in text.splitlines() if "{id: sex" in line)
    replace_once(protocol, sex, sex.replace("}", ", identifying: true}", 1))
    text = replace_once(protocol, PRIMARY, PRIMARY + "  adjust_for_strata: true\n")
    assert_reported(problems_of(protocol), protocol, line_of(text, "adjust_for_strata: true"),
                    "analysis.adjust_for_strata", ("stratum 'sex' is an identifying intake field",))  # fmt: skip


def test_bad_ddf_is_reported_and_good_keys_load(tmp_path):
    protocol = copy_flagship(tmp_path)
    text = replace_once(protocol, PRIMARY, PRIMARY + "  time_course: {random_slope: true, ddf: containment}\n")
    assert_reported(problems_of(protocol), protocol, line_of(text, "ddf: containment"), "analysis.time_course.ddf",
                    ("satterthwaite", "kenward-roger"))  # fmt: skip
    replace_once(protocol, "ddf: containment", "ddf: kenward-roger")
    replace_once(protocol, PRIMARY, PRIMARY + "  adjust_for_strata: true\n")
    plan = load_protocol(protocol).analysis
    assert plan.adjust_for_strata and plan.time_course.random_slope and plan.time_course.ddf == "kenward-roger"


def test_a_random_slope_over_two_occasions_is_refused_at_its_line(tmp_path):
    # found in a user run: with 2 occasions the slope's variance was split arbitrarily from the residual's
    protocol = copy_flagship(tmp_path)
    replace_once(protocol, "at: [t0+3min, t0+9min, t0+15min]", "at: [t0+3min, t0+9min]")
    text = replace_once(protocol, PRIMARY, PRIMARY + "  time_course: {random_slope: true}\n")
    assert_reported(problems_of(protocol), protocol, line_of(text, "random_slope: true"),
                    "analysis.time_course.random_slope", ("at least 3 occasions", "'itch_post' has 2"))  # fmt: skip
