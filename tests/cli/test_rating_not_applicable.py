"""A rating offering "does not apply" (``scale: {…, not_applicable: cannot say}``), as a questionnaire item does:
the terminal offered it but its item had no code for it (the session ended in a TypeError), the engine refused
the 0 it stores, the web page offered no box and the export failed on it."""

from __future__ import annotations

import json

from placebolab.components.base import Item
from placebolab.components.scales import Scale
from placebolab.frontends.console import kept_answer
from placebolab.frontends.web.screens import question
from placebolab.protocol import load_protocol

from .conftest import export, run_cli

PROTOCOL = """\
protocol: rating-not-applicable
version: 1.0.0
title: A rating offering "does not apply"
factors:
  warmth: {levels: [warm, neutral]}
allocation: {scheme: complete, target_n: 10}
timeline:
  - id: pain
    type: rating
    prompt: How much pain do you feel right now?
    scale: {type: nrs, min: 1, max: 10, not_applicable: cannot say}
  - {id: bye, type: text, text: Thank you.}
"""


def test_a_rating_offers_does_not_apply_in_the_terminal_and_the_export_leaves_it_out(tmp_path):
    (tmp_path / "na.yaml").write_text(PROTOCOL, encoding="utf-8")
    study = tmp_path / "study"
    assert run_cli("init", tmp_path / "na.yaml", study, "--seed", 1, cwd=tmp_path).code == 0
    session = run_cli("run", study, "--participant", "P001", cwd=tmp_path, input="0\n\n")
    assert session.code == 0 and "0 = cannot say" in session.stdout, session.stdout + session.stderr
    tables = export(study)
    (pain,) = [row for row in tables["long"] if row["step"] == "pain"]
    assert float(pain["value"]) == 0  # stored as "does not apply"
    assert tables["wide"][0]["pain"] == ""  # no value on the scale: missing in the analysis
    codebook = json.loads((study / "export" / "codebook.json").read_text(encoding="utf-8"))
    (entry,) = [c for c in codebook["columns"] if c["name"] == "pain"]
    assert entry["missing"] == "'cannot say' is stored as 0 in long.csv and is empty here"


def test_a_ratings_item_and_measure_carry_its_does_not_apply_answer_and_the_web_offers_it(tmp_path):
    (tmp_path / "na.yaml").write_text(PROTOCOL, encoding="utf-8")
    step = load_protocol(tmp_path / "na.yaml").step("pain")
    (item,) = step.records()
    assert item.na_code == 0 and item.check("0") == 0  # the engine takes it
    (measure,) = step.measures()
    assert (measure.na_code, measure.not_applicable) == (0, "cannot say")
    shown = question(step.prompt, item, step.effective_scale)
    assert ("0", "cannot say") in shown.options  # a scale of 10 points: a button of its own


def test_a_resumed_terminal_session_shows_a_kept_answer_by_its_label_too():
    """A questionnaire resumed after a stop showed "answered: 0" for a "does not apply" (a point below the scale
    to the eye) and a Likert answer by its number alone."""
    scale = Scale(type="likert", labels=["no", "some", "yes"], not_applicable="cannot say")
    item = Item("care", "number", 1, 3, 1, "Was the doctor caring?", na_code=scale.na_code)
    assert [kept_answer(v, item, scale) for v in (0.0, 2.0, None)] == ["0 (cannot say)", "2 (some)", "-"]
    nrs = Scale(type="nrs", min=1, max=10, not_applicable="cannot say")
    assert kept_answer(7.0, Item("", "number", 1, 10, 1, na_code=nrs.na_code), nrs) == "7"
