"""The experimenter's intake dialog (PsychoPy, Qt) on Xvfb: no choice is made for the experimenter (a
choice field starts unchosen and OK is refused, with the problem shown, until every field is given), and
every field is marked * as the dialog's note "Fields marked with an asterisk (*) are required" says."""

from __future__ import annotations

import json
import subprocess
import sys

from ..cli.conftest import cli_env, export
from . import walk

INSPECT = """
import json
from placebolab.frontends.psychopy.intake import build_dialog, entered
from placebolab.protocol import load_protocol

protocol = load_protocol({protocol!r})
dialog, boxes = build_dialog(protocol.intake, {{}}, [], "P009")
labels = [w.text() for w in dialog.findChildren(type(dialog.requiredMsg))]
print(json.dumps({{
    "labels": labels,
    "note_shown": not dialog.requiredMsg.isHidden(),
    "entered": {{key: entered(box) for key, box in boxes.items()}},
    "ok_enabled": dialog.okBtn.isEnabled(),
}}))
"""


def test_the_dialog_marks_every_required_field_and_chooses_nothing(display, study):
    protocol = study.parent / "protocols" / "short-itch.yaml"
    done = subprocess.run(
        [sys.executable, "-c", INSPECT.format(protocol=str(protocol))],
        env=cli_env() | {"DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["note_shown"] and "Fields marked with an asterisk (*) are required." in shown["labels"]
    assert {"Sex *", "Age in years *", "First name the clinician should use *"} <= set(shown["labels"])
    assert shown["entered"] == {"sex": "", "age": "", "name": ""}, "an answer was given by default"
    assert not shown["ok_enabled"], "OK is refused while a required field is empty"


def test_ok_without_a_choice_is_refused_with_the_problem_and_the_choice_made_is_stored(study, lab):
    run = lab(study, "intake", "--participant", "P003")
    run.dialog("placebolab · participant P003")
    run.key("Tab")  # from the sex box (nothing chosen) to the age
    run.type("34")
    run.key("Tab")
    run.type("Robin")
    run.key("Return")  # OK, with no sex chosen: refused, the dialog comes again with the problem
    run.dialog("placebolab · participant P003")
    run.type("d")  # the sex box has the focus: "d" chooses diverse
    run.key("Return")
    run.screen(walk.screen_name("welcome"))
    run.key("Escape", "y")
    assert run.wait() == 8, run.output()
    (person,) = export(study)["wide"]
    assert (person["participant"], person["sex"], person["age"]) == ("P003", "diverse", "34")


def test_an_empty_field_is_named_as_required_and_a_choice_lists_its_options(study):
    from placebolab.frontends.psychopy.intake import _problem
    from placebolab.protocol import load_protocol

    sex, age, _ = load_protocol(study.parent / "protocols" / "short-itch.yaml").intake
    assert _problem(sex, "", ValueError("'' is not one of female, male, diverse")) == (
        "required; choose one of female, male, diverse"
    )
    assert _problem(age, " ", ValueError("' ' is not a whole number")) == "required"
    assert _problem(age, "17", ValueError("17 is outside 18–99")) == "17 is outside 18–99"
