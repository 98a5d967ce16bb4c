"""Lab sessions in a real PsychoPy window on a virtual display, driven by real X keyboard and mouse
events: the stored answers are those given, every screen is drawn, a killed session resumes without
losing or duplicating an answer, and Escape asks before quitting."""

from __future__ import annotations

import itertools
import json
import time

import numpy as np
from PIL import Image

from ..cli.conftest import export, stored_steps
from ..cli.flagship_session import ANSWERS, PLAN, SCORES
from ..cli.test_resume import kept_answers
from . import walk
from .conftest import assert_detail_declared


def assert_complete_and_exact(study, participant="P001"):
    tables = export(study)
    shown = [r["step"] + (f"@{r['occasion']}" if r["occasion"] else "") for r in tables["steps"]]
    assert sorted(shown) == sorted(PLAN), "a step is missing or stored twice"
    assert sorted(stored_steps(study, participant)) == sorted(PLAN)
    got = [((r["step"], r["occasion"], r["item"]), float(r["value"])) for r in tables["long"]]
    assert len(got) == len(ANSWERS), "an answer is missing or stored twice"
    assert dict(got) == {key: float(value) for key, value in ANSWERS.items()}
    (person,) = tables["wide"]
    assert person["status"] == "completed"
    for column, expected in SCORES.items():
        assert float(person[column]) == expected, column
    return tables


def intake(*extra):
    return ("--participant", "P001", "--intake", "sex=female", "--intake", "age=34", "--intake", "name=Robin", *extra)


def test_a_whole_session_stores_exactly_what_was_typed_and_clicked(study, lab, tmp_path):
    run = lab(study, "shots", *intake("--pilot"))
    walk.pages(run, "welcome", 1)
    walk.rating_by_click(run, "itch_baseline", walk.answer("itch_baseline"))
    walk.pages(run, "clinician", 3)
    walk.expectancy(run)
    walk.check(run)
    walk.cream(run)
    walk.after_cream(run)
    assert run.wait() == 0, run.output()
    assert "Session of P001 complete; every answer is stored." in run.output()  # and not the cell (blinding)

    tables = assert_complete_and_exact(study)
    (person,) = tables["wide"]
    assert person["pilot"] in ("1", "True", "true")
    for row in tables["steps"]:
        detail = json.loads(row["detail"])
        assert detail["onset"] == "flip"
        assert detail["frames"] >= 2 and len(detail["frame_interval_ms"]["all"]) == detail["frames"] - 1
        assert detail["dropped_frames"] >= 0
    rts = [float(r["rt"]) for r in tables["long"]]
    assert all(rt > 0 for rt in rts), "response times are measured from the onset flip"
    assert_every_kind_of_screen_drawn(run.shots)
    assert_every_page_saved(run.shots)
    assert_detail_declared(study)


def assert_every_page_saved(shots):
    """--screenshots saves every page of a step, named by step and page; a questionnaire spread over pages
    says which page it is (the hint line of page 2 differs from page 1's, in its page number)."""
    names = sorted(path.stem for path in shots.glob("*.png"))
    assert [n for n in names if n.startswith("03-clinician")] == [f"03-clinician-page{k}of3" for k in (1, 2, 3)]
    assert [n for n in names if n.startswith("05-check")] == ["05-check-page1of2", "05-check-page2of2"]
    assert "01-welcome" in names and "04-expectancy" in names  # a single page keeps its plain name
    first, second = (np.asarray(Image.open(shots / f"05-check-page{k}of2.png").convert("L")) for k in (1, 2))
    hint = slice(770, 790)  # the hint line ("… · page 1 of 2") at the foot of the screen
    assert (first[hint] != second[hint]).any(), "the page number on the questionnaire's hint line"
    pages = [np.asarray(Image.open(shots / f"03-clinician-page{k}of3.png").convert("L")) for k in (1, 2, 3)]
    assert all((a != b).any() for a, b in itertools.pairwise(pages)), "each page's screenshot shows that page"


def assert_every_kind_of_screen_drawn(shots):
    """The first frame of each kind of step (and of the waiting screen) was saved and is not blank."""
    kinds = {
        "text": "01-welcome",
        "rating": "02-itch_baseline",
        "script": "03-clinician-page1of3",
        "questionnaire": "04-expectancy",
        "pause": "06-cream",
        "waiting": "07-itch_post@t0plus1s-waiting",
    }
    for kind, name in kinds.items():
        pixels = np.asarray(Image.open(shots / f"{name}.png").convert("L"), dtype=float)
        assert pixels.shape == (800, 1280), kind
        assert pixels.std() > 5, f"the {kind} screen ({name}.png) is blank"
        assert (pixels > 200).mean() > 0.001, f"the {kind} screen ({name}.png) shows no text"


def test_sigkill_mid_session_then_resume_loses_and_duplicates_nothing(study, lab):
    run = lab(study, "before", *intake())
    walk.pages(run, "welcome", 1)
    walk.rating_by_click(run, "itch_baseline", walk.answer("itch_baseline"))
    walk.pages(run, "clinician", 3)
    walk.expectancy(run)
    # on the check questionnaire's first page, four answers given but not confirmed — then the process is killed
    page_one = {item: walk.answer("check", item=item) for item in walk.QUESTIONS["check"][0]}
    walk.check_page_one(run, page_one)
    # each answer is kept as the window takes it (a click is an X event the next frame reads, then the draft
    # writer commits it): wait for the last one, or the kill below could come before the window saw the click
    kept = _eventually(lambda: kept_answers(study), page_one)
    run.kill()
    assert run.process.returncode == -9
    assert stored_steps(study, "P001") == PLAN[:4]
    assert kept == kept_answers(study) == page_one, "each answer is kept as it is given"

    again = lab(study, "after", "--participant", "P001", "--resume")
    again.screen(walk.screen_name("check") + "-page2of2")  # resumed at its first unanswered question, on page 2
    walk.check_page_two(again)
    assert again.output().startswith("P001: resuming at step 5 of 9, check (4 answers"), again.output()
    assert sorted(p.name for p in again.shots.glob("*.png"))[0] == "05-check-page2of2.png"
    walk.cream(again)
    walk.after_cream(again)
    assert again.wait() == 0, again.output()
    assert_complete_and_exact(study)


def test_escape_asks_first_and_yes_stops_resumably(study, lab):
    run = lab(study, "first", *intake())
    walk.pages(run, "welcome", 1)
    run.screen(walk.screen_name("itch_baseline"))
    run.key("Escape", "n")  # asked, and went back
    walk.rating_by_typing(run, "itch_baseline", walk.answer("itch_baseline"))
    run.screen(walk.screen_name("clinician"))
    run.key("Escape", "y")
    assert run.wait() == 8, run.output()
    # a normal, resumable stop (exit code 8), not an error
    stopped = run.output().strip().splitlines()[-1]
    assert stopped == (
        f"The session was stopped; every answer so far is stored; continue with "
        f"`placebolab run {study} --participant P001 --resume`."
    )
    assert "error:" not in run.output()
    assert stored_steps(study, "P001") == PLAN[:2]


def test_the_experimenter_dialog_asks_the_missing_intake_and_asks_again_on_a_bad_value(study, lab):
    run = lab(study, "dialog", "--participant", "P002", "--intake", "sex=diverse")
    run.dialog("placebolab · participant P002")
    run.type("17")  # under the protocol's minimum age of 18
    run.key("Tab")
    run.type("Robin")
    run.key("Return")
    run.dialog("placebolab · participant P002")  # shown again, with the problem
    run.key("ctrl+a")
    run.type("34")
    run.key("Return")
    run.screen(walk.screen_name("welcome"))
    run.key("Escape", "y")
    assert run.wait() == 8, run.output()
    (person,) = export(study)["wide"]
    assert (person["participant"], person["sex"], person["age"]) == ("P002", "diverse", "34")


def test_without_a_display_the_lab_frontend_is_refused_before_anything_is_stored(study):
    """No Xvfb needed: the refusal comes before the window would open (and before enrolment)."""
    import subprocess

    from ..cli.conftest import cli_env, placebolab_command

    env = {key: value for key, value in cli_env().items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run(
        [*placebolab_command(), "run", str(study), *intake(), "--frontend", "psychopy"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 6, done.stderr
    assert done.stderr.startswith("error: no display to open the PsychoPy window on")
    assert len(done.stderr.strip().splitlines()) == 1
    assert stored_steps(study, "P001") == []
    assert export(study)["wide"] == []


def _eventually(read, expected, seconds: float = 15.0):
    """What ``read()`` returns once it equals ``expected``, or its last reading after ``seconds``."""
    deadline = time.monotonic() + seconds
    while (found := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return found
