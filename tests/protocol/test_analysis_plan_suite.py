"""The analysis plan's simple effects and mediation keys: checked against the protocol, exported in the codebook."""

from __future__ import annotations

import pytest

from placebolab.protocol import load_protocol

from .bad import assert_reported, copy_flagship, line_of, problems_of, replace_once

CASES = [
    ("{effect: warmth, by: [competence]}", "{effect: warmht, by: [competence]}", "analysis.simple_effects[0].effect",
     ("'warmht' is not a factor", "did you mean 'warmth'?")),
    ("{effect: competence, by: [warmth]}", "{effect: competence, by: [warmness]}", "analysis.simple_effects[1].by[0]",
     ("'warmness' is not a factor",)),
    ("m: expectancy.expectancy, y: itch_post, covariates: [itch_baseline], moderator",
     "m: expectancy.expectation, y: itch_post, covariates: [itch_baseline], moderator", "analysis.mediation[0].m",
     ("'expectancy.expectation' is not a measure",)),
    ("covariates: [competence, itch_baseline]}", "covariates: [competence, itch_baselin]}",
     "analysis.mediation[1].covariates[1]", ("'itch_baselin' is not a measure",)),
    ("moderator: warmth}", "moderator: warmht}", "analysis.mediation[0].moderator", ("'warmht' is not a factor",)),
    ("{x: warmth, m:", "{x: warmthh, m:", "analysis.mediation[1].x", ("'warmthh' is not a measure",)),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "path", "words"), CASES, ids=[c[2] for c in CASES])
def test_bad_reference_is_reported_at_its_line(tmp_path, old, new, path, words):
    protocol = copy_flagship(tmp_path)
    replace_once(protocol, old, new)
    text = protocol.read_text()
    assert_reported(problems_of(protocol), protocol, line_of(text, new), path, words)


def test_flagship_plan_has_simple_effects_and_mediation(tmp_path):
    plan = load_protocol(copy_flagship(tmp_path)).analysis
    assert [(s.effect, s.by) for s in plan.simple_effects] == [("warmth", ["competence"]), ("competence", ["warmth"])]
    first = plan.mediation[0]
    assert (first.x, first.m, first.y, first.moderator) == (
        "competence",
        "expectancy.expectancy",
        "itch_post",
        "warmth",
    )
    dumped = plan.model_dump()
    assert dumped["mediation"][1]["covariates"] == ["competence", "itch_baseline"]
