"""In the lab window each answer is kept as it is given: Escape → Y in the middle of a questionnaire page
loses none, and the session resumed in a new window shows them as given (their markers on the scales) and
goes on at the first unanswered question; the stored answers are those of an uninterrupted session.

The steps before the questionnaire are answered through the engine (the whole session in the window is
tests/lab/test_lab_session.py's), so that the window shows only what this test is about."""

from __future__ import annotations

import json
import time
from datetime import datetime

import numpy as np
import pytest
from PIL import Image

from placebolab.session import RealClock, Session
from placebolab.study import Study

from ..cli.conftest import export, stored_steps
from ..cli.flagship_session import PLAN, answers_of
from ..cli.test_resume import kept_answers
from . import walk

FOCUS = np.array([0xFF, 0xD7, 0x5E])  # the marker's colour (screens.FOCUS)
CHECK = {item: walk.answer("check", item=item) for page in walk.QUESTIONS["check"] for item in page}


def marker_near(shot, pixel: tuple[int, int], radius: int = 14) -> bool:
    """Whether the scale's marker (FOCUS yellow) is drawn within ``radius`` pixels of ``pixel``."""
    image = np.asarray(Image.open(shot).convert("RGB"), dtype=int)
    x, y = pixel
    box = image[max(0, y - radius) : y + radius, max(0, x - radius) : x + radius]
    return bool((np.abs(box - FOCUS).sum(axis=2) < 60).any())


def answered_up_to_the_check(study) -> None:
    opened = Study.open(study)
    try:
        clock = RealClock()
        session = Session.start(opened, "P001", {"sex": "female", "age": "34", "name": "Robin"}, "test", clock)
        while (current := session.current()).key != "check":
            session.submit(current.key, answers_of(current.key), clock.now())
    finally:
        opened.close()


def escape_yes(run) -> None:
    run.key("Escape")
    time.sleep(1)  # the question is up (a loaded machine may take a while to show it), then Y
    run.key("y")
    assert run.wait() == 8, run.output()


def test_escape_yes_mid_page_keeps_the_answers_given_and_the_resumed_window_goes_on_from_them(study, lab):
    answered_up_to_the_check(study)
    run = lab(study, "first", "--participant", "P001", "--resume")
    shot = run.screen(walk.screen_name("check"))
    assert not marker_near(shot, walk.scale_pixel("check", CHECK["warm"], 0)), "the first showing starts unanswered"
    # two of the four questions of the first page answered (typed: the first has the focus), then Escape → Y
    run.type(str(CHECK["warm"]))
    run.key("Down")
    run.type(str(CHECK["caring"]))
    escape_yes(run)
    assert stored_steps(study, "P001") == PLAN[:4]
    assert kept_answers(study) == {"warm": CHECK["warm"], "caring": CHECK["caring"]}, "an answer given was lost"

    again = lab(study, "again", "--participant", "P001", "--resume")
    shot = again.screen(walk.screen_name("check"))
    assert again.output().startswith("P001: resuming at step 5 of 9, check (2 answers given before the stop kept)")
    assert marker_near(shot, walk.scale_pixel("check", CHECK["warm"], 0)), "the kept answer is not shown"
    assert marker_near(shot, walk.scale_pixel("check", CHECK["caring"], 1)), "the kept answer is not shown"
    assert not marker_near(shot, walk.scale_pixel("check", CHECK["friendly"], 2))
    # the focus is on the first unanswered question: typed answers go to 'friendly', then ↓ to 'competent'
    again.type(str(CHECK["friendly"]))
    again.key("Down")
    again.type(str(CHECK["competent"]))
    again.key("Return")
    walk.check_page_two(again)
    again.screen(walk.screen_name("cream"))
    escape_yes(again)

    assert stored_steps(study, "P001") == PLAN[:5]
    assert kept_answers(study) == {}, "the step's commit superseded its drafts"
    tables = export(study)
    answers = {r["item"]: r for r in tables["long"] if r["step"] == "check"}
    assert {item: float(r["value"]) for item, r in answers.items()} == CHECK, "not the answers given"
    assert all(float(r["rt"]) > 0 for r in answers.values())
    (check,) = [r for r in tables["steps"] if r["step"] == "check"]
    detail = json.loads(check["detail"])
    assert detail["resumed"]["kept"] == ["warm", "caring"] and len(detail["resumed"]["shown_at"]) == 2
    first_onset = datetime.fromisoformat(check["shown_at"]).timestamp()
    assert first_onset == pytest.approx(detail["resumed"]["shown_at"][0], abs=0.001), "the onset is the first's"
    opened = Study.open(study)
    try:
        assert set(detail) <= opened.protocol.step("check").detail_keys(), "an undeclared detail key"
    finally:
        opened.close()
