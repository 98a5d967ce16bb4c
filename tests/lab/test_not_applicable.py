"""A scale's "does not apply" answer in the lab window (``not_applicable: cannot say``): a box and its label
("cannot say (press 0)") in a row of their own below the scale's labels. Chosen by a click on it or by typing
0, it is ticked and the scale shows no marker (the Slider would put one at the scale's low end); a value on the
scale undoes it; it is stored as 0, and shown as chosen when the session resumes with it kept. Nothing on
the screens overlaps (judged as tests/lab/test_scale_layout.py judges every scale)."""

from __future__ import annotations

import itertools

from ..cli.conftest import export
from ..cli.test_resume import kept_answers
from .conftest import SCREEN, initialised
from .render import Drawn, overlaps
from .test_drafts import escape_yes, marker_near
from .test_scale_layout import report

PROTOCOL = """\
protocol: lab-not-applicable
version: 1.0.0
title: Does not apply, in the lab
factors:
  framing: {levels: [plain, warm]}
allocation: {scheme: complete, target_n: 10}
timeline:
  - id: care
    type: questionnaire
    prompt: How was the clinician?
    scale: {type: likert, labels: [no, some, yes], not_applicable: cannot say}
    items:
      - {id: warm, text: Was the clinician warm?}
      - {id: listened, text: Did the clinician listen to you?}
      - {id: explained, text: Did the clinician explain the treatment?}
      - {id: pain, text: How much pain do you feel?, scale: {type: nrs, min: 1, max: 10, not_applicable: cannot say}}
  - id: itch
    type: rating
    prompt: How strong is the itch now?
    scale: {type: nrs, min: 1, max: 10, not_applicable: cannot say}
  - {id: bye, type: text, text: Thank you.}
"""
SCALES = {"warm": (1, 3), "listened": (1, 3), "explained": (1, 3), "pain": (1, 10), "itch": (1, 10)}
QUESTIONS = ["warm", "listened", "explained", "pain"]


def screen_pixel(x: float, y: float) -> tuple[int, int]:
    """A point in pixels from the window's centre (y up, as the layout report gives it) → the screen's pixel."""
    return round(SCREEN[0] / 2 + x), round(SCREEN[1] / 2 - y)


class Places:
    """Where each question's scale and "does not apply" box are on a screen, from its layout report."""

    def __init__(self, texts: list[Drawn], items: list[str]):
        self.scale, self.box = {}, {}
        for n, item in enumerate(items, start=1):
            (self.scale[item],) = [t.box for t in texts if t.what == f"question {n} scale"]
            (self.box[item],) = [t.box for t in texts if t.what == f"question {n} not applicable box"]

    def value(self, item: str, value: float) -> tuple[int, int]:
        left, right, bottom, top = self.scale[item]
        low, high = SCALES[item]
        return screen_pixel(left + (value - low) / (high - low) * (right - left), (bottom + top) / 2)

    def not_applicable(self, item: str) -> tuple[int, int]:
        left, right, bottom, top = self.box[item]
        return screen_pixel((left + right) / 2, (bottom + top) / 2)


def test_does_not_apply_is_clicked_or_typed_undone_on_the_scale_stored_as_0_and_kept_on_resume(tmp_path, lab, display):
    (tmp_path / "na.yaml").write_text(PROTOCOL, encoding="utf-8")
    study = initialised(tmp_path, tmp_path / "na.yaml", 7)
    pages = report(tmp_path / "na.yaml", display, SCREEN)
    assert [(p["step"], p["page"]) for p in pages] == [("care", 1), ("itch", 1)]  # four questions on one page
    for page in pages:  # every question offers it, and no text, box or scale overlaps another
        texts = [Drawn(**t) for t in page["texts"]]
        offered = [t.text for t in texts if t.what.endswith("not applicable")]
        assert offered == ["cannot say (press 0)"] * (4 if page["step"] == "care" else 1)
        clashes = [(a.what, b.what) for a, b in itertools.combinations(texts, 2) if overlaps(a, b)]
        assert not clashes, f"{page['step']}: {clashes}"
    care = Places([Drawn(**t) for t in pages[0]["texts"]], QUESTIONS)
    itch = Places([Drawn(**t) for t in pages[1]["texts"]], ["itch"])

    run = lab(study, "first", "--participant", "P001")
    shot = run.screen("01-care")
    assert not any(marker_near(shot, care.not_applicable(item), 5) for item in QUESTIONS), "none chosen yet"
    run.click(care.not_applicable("warm"))  # clicked: 0
    run.key("Down")
    run.type("0")  # typed: 0 (listened has the focus)
    run.click(care.not_applicable("explained"))
    run.click(care.not_applicable("pain"))  # clicked, then a value on the scale instead: 7
    run.click(care.value("pain", 7))
    escape_yes(run)  # stopped with every answer kept: the next window shows them as given
    assert kept_answers(study) == {"warm": 0, "listened": 0, "explained": 0, "pain": 7}

    again = lab(study, "again", "--participant", "P001", "--resume")
    shot = again.screen("01-care")
    for item in ("warm", "listened", "explained"):  # ticked, and no marker at the scale's low end ("no")
        assert marker_near(shot, care.not_applicable(item), 5), f"{item}: 'cannot say' not shown as chosen"
        assert not marker_near(shot, care.value(item, 1)), f"{item}: a marker on the scale"
    assert not marker_near(shot, care.not_applicable("pain"), 5) and marker_near(shot, care.value("pain", 7))
    again.type("3")  # every question answered: the focus is on the first, whose kept "cannot say" 3 undoes
    again.key("Return")
    shot = again.screen("02-itch")
    again.click(itch.not_applicable("itch"))
    again.key("Return")
    again.screen("03-bye")
    again.key("space")
    assert again.wait() == 0, again.output()

    tables = export(study)
    values = {(r["step"], r["item"]): float(r["value"]) for r in tables["long"]}
    assert values == {
        ("care", "warm"): 3,  # "cannot say", kept, then "yes"
        ("care", "listened"): 0,  # typed 0
        ("care", "explained"): 0,  # clicked
        ("care", "pain"): 7,  # clicked, then 7 on the scale
        ("itch", ""): 0,  # a rating's box clicked
    }, values
