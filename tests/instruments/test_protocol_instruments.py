"""A protocol's own instruments: inline or in a file of its stimuli folder, validated with located errors,
frozen into the study like every stimulus file."""

from __future__ import annotations

import shutil

from placebolab.protocol import load_protocol, measures
from placebolab.study import Study
from tests.protocol.bad import assert_reported, copy_flagship, line_of, problems_of, replace_once

ITCH_DISTRESS = """\
title: Itch distress
source: written for this study
licence: ours
scale: {type: nrs, min: 0, max: 10, anchors: [not at all, extremely]}
items:
  - {id: bother, text: How much does the itch bother you?}
  - {id: focus, text: How hard is it to think of anything else?}
scores:
  distress: {items: [bother, focus]}
"""

DISTRESS_STEP = """  - {id: debrief, type: text, source: debrief.md}"""


def _use_own_instrument(protocol, definition: str) -> str:
    """Define ``itch-distress`` in the protocol and add a step using it; the edited protocol text."""
    replace_once(protocol, "\ntimeline:\n", f"\ninstruments:\n  itch-distress: {definition}\n\ntimeline:\n")
    step = "  - {id: distress, type: questionnaire, instrument: itch-distress, at: [t0+20min]}\n"
    return replace_once(protocol, DISTRESS_STEP, step + DISTRESS_STEP)


def test_an_instrument_in_a_file_is_used_like_a_bank_one_and_frozen_into_the_study(tmp_path):
    protocol = copy_flagship(tmp_path)
    stimuli = tmp_path / "stimuli" / "warmth-competence-itch"
    (stimuli / "itch-distress.yaml").write_text(ITCH_DISTRESS)
    _use_own_instrument(protocol, "itch-distress.yaml")
    loaded = load_protocol(protocol)
    assert "distress.distress" in measures(loaded)
    assert loaded.step("distress").score({"bother": 6, "focus": 3}) == {"distress": 4.5}

    study = Study.init(protocol, tmp_path / "study", seed=1)
    study.close()
    shutil.rmtree(stimuli)  # the study runs on what was frozen at init, not on the researcher's files
    reopened = Study.open(tmp_path / "study")
    assert [i.text for i in reopened.protocol.step("distress").items][0] == "How much does the itch bother you?"
    reopened.close()


def test_an_inline_instrument_is_used_like_a_bank_one(tmp_path):
    protocol = copy_flagship(tmp_path)
    inline = (
        "{title: Itch distress, scale: nrs-0-10, items: [{id: bother, text: Bothered?}, {id: focus, text: Focus?}], "
        "scores: {distress: {items: [bother, focus], method: sum}}}"
    )
    _use_own_instrument(protocol, inline)
    assert load_protocol(protocol).step("distress").score({"bother": 6, "focus": 3}) == {"distress": 9}


def test_a_score_naming_a_missing_item_in_an_instrument_file_is_located_in_that_file(tmp_path):
    protocol = copy_flagship(tmp_path)
    instrument_file = tmp_path / "stimuli" / "warmth-competence-itch" / "itch-distress.yaml"
    bad = ITCH_DISTRESS.replace("[bother, focus]", "[bother, focuss]")
    instrument_file.write_text(bad)
    _use_own_instrument(protocol, "itch-distress.yaml")
    problems = problems_of(protocol)
    shown = str(tmp_path / "stimuli" / "warmth-competence-itch" / "itch-distress.yaml")
    problem = next(p for p in problems if p.file == shown)
    assert problem.line == line_of(bad, "focuss")
    assert "score 'distress' names item 'focuss'" in problem.message and "bother, focus" in problem.message
    # reported once, where it is defined: the step using it says only that it could not be loaded
    step_problem = next(p for p in problems if p.file == str(protocol))
    assert "could not be loaded" in step_problem.message


def test_a_missing_instrument_file_is_located_at_its_entry(tmp_path):
    protocol = copy_flagship(tmp_path)
    text = _use_own_instrument(protocol, "itch-distres.yaml")
    problems = problems_of(protocol)
    assert_reported(
        problems,
        protocol,
        line_of(text, "itch-distres.yaml"),
        "instruments.itch-distress",
        ("'itch-distres.yaml' not found",),
    )


def test_a_study_keeps_the_bank_instrument_it_was_initialised_with(tmp_path):
    import sqlite3

    from placebolab.instruments import bank_file
    from placebolab.store import DB_NAME

    path = "placebolab-instruments/warmth-competence.yaml"
    study = Study.init(copy_flagship(tmp_path), tmp_path / "study", seed=1)
    assert study.store.file(path) == bank_file(path)
    study.close()
    # The study began with a version of the instrument that a later placebolab has since reworded: it keeps its own.
    then = bank_file(path).replace(b"How would you describe the clinician you just met?", b"As it was at init?")
    with sqlite3.connect(tmp_path / "study" / DB_NAME) as db:
        db.execute("UPDATE files SET content = ? WHERE path = ?", (then, path))
    db.close()
    reopened = Study.open(tmp_path / "study")
    assert reopened.protocol.step("check").prompt == "As it was at init?"
    reopened.close()
