"""In the lab window each answer is kept as it is given: Escape → Y in the middle of a questionnaire page
loses none, and the session resumed in a new window shows them as given (their markers on the scales) and
goes on at the first unanswered question; the stored answers are those of an uninterrupted session."""

from __future__ import annotations

import json
import time
from datetime import datetime

import numpy as np
import pytest
from PIL import Image

from ..cli.conftest import export, stored_steps
from ..cli.flagship_session import PLAN
from ..cli.test_resume import kept_answers
from . import walk
from .conftest import assert_detail_declared
from .test_lab_session import assert_complete_and_exact, intake

FOCUS = np.array([0xFF, 0xD7, 0x5E])  # the marker's colour (screens.FOCUS)


def marker_near(shot, pixel: tuple[int, int], radius: int = 14) -> bool:
    """Whether the scale's marker (FOCUS yellow) is drawn within ``radius`` pixels of ``pixel``."""
    image = np.asarray(Image.open(shot).convert("RGB"), dtype=int)
    x, y = pixel
    box = image[max(0, y - radius) : y + radius, max(0, x - radius) : x + radius]
    return bool((np.abs(box - FOCUS).sum(axis=2) < 60).any())


def test_escape_yes_mid_page_keeps_the_answers_given_and_the_resumed_window_goes_on_from_them(study, lab):
    run = lab(study, "first", *intake())
    walk.pages(run, "welcome", 1)
    walk.rating_by_click(run, "itch_baseline", walk.answer("itch_baseline"))
    walk.pages(run, "clinician", 3)
    walk.expectancy(run)
    # the check questionnaire: two of the four questions of its first page answered, then Escape → Y
    shot = run.screen(walk.screen_name("check"))
    warm, caring = walk.answer("check", item="warm"), walk.answer("check", item="caring")
    assert not marker_near(shot, walk.scale_pixel("check", warm, 0)), "the first showing starts unanswered"
    run.click(walk.scale_pixel("check", warm, 0))
    run.click(walk.scale_pixel("check", caring, 1))
    run.key("Escape")
    time.sleep(1)  # the question is up (a loaded machine may take a while to show it), then Y
    run.key("y")
    assert run.wait() == 8, run.output()
    assert stored_steps(study, "P001") == PLAN[:4]
    assert kept_answers(study) == {"warm": warm, "caring": caring}, "an answer given before the stop was lost"

    again = lab(study, "again", "--participant", "P001", "--resume")
    shot = again.screen(walk.screen_name("check"))
    assert again.output().startswith("P001: resuming at step 5 of 9, check (2 answers given before the stop kept)")
    assert marker_near(shot, walk.scale_pixel("check", warm, 0)), "the kept answer is not shown"
    assert marker_near(shot, walk.scale_pixel("check", caring, 1)), "the kept answer is not shown"
    # the focus is on the first unanswered question: typed answers go to 'friendly', then ↓ to 'competent'
    again.type(str(walk.answer("check", item="friendly")))
    again.key("Down")
    again.type(str(walk.answer("check", item="competent")))
    again.key("Return")
    walk.check_page_two(again)
    walk.cream(again)
    walk.after_cream(again)
    assert again.wait() == 0, again.output()

    tables = assert_complete_and_exact(study)  # exactly the answers of an uninterrupted session
    assert kept_answers(study) == {}, "the step's commit superseded its drafts"
    (check,) = [r for r in tables["steps"] if r["step"] == "check"]
    resumed = json.loads(check["detail"])["resumed"]
    assert resumed["kept"] == ["warm", "caring"] and len(resumed["shown_at"]) == 2
    first_onset = datetime.fromisoformat(check["shown_at"]).timestamp()
    assert first_onset == pytest.approx(resumed["shown_at"][0], abs=0.001), "the step's onset is its first showing's"
    answers = {r["item"]: r for r in export(study)["long"] if r["step"] == "check"}
    assert all(float(a["rt"]) > 0 for a in answers.values())
    assert_detail_declared(study)
