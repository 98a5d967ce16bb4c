"""The web frontend's screens: how each scale becomes form controls, and markdown that cannot inject markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import SimpleNamespace

from placebolab.components import QuestionnaireStep, RatingStep
from placebolab.components.base import Item
from placebolab.components.catalogue import catalogue
from placebolab.components.scales import Scale
from placebolab.frontends.web.app import page_templates
from placebolab.frontends.web.screens import BUTTONS_AT_MOST, Slider, answers, markdown, question


def rating(scale) -> RatingStep:
    return RatingStep(type="rating", id="itch", prompt="How itchy?", scale=scale, anchors=None)


def test_an_nrs_is_one_radio_button_per_point_with_its_anchors_at_the_ends():
    step = rating(Scale(type="nrs", min=0, max=10, anchors=["none", "worst"]))
    q = question(step.prompt, step.records()[0], step.effective_scale)
    assert [v for v, _ in q.options] == [str(n) for n in range(11)]
    assert q.options[0] == ("0", "none") and q.options[-1] == ("10", "worst") and q.options[5] == ("5", "")


def test_a_likert_item_shows_its_labels_and_a_does_not_apply_answer_where_the_engine_takes_one():
    scale = Scale(type="likert", labels=["no", "some", "yes"], not_applicable="does not apply")
    item = Item("care", "number", 1, 3, 1, "Was the doctor caring?", na_code=scale.na_code)
    q = question(item.label, item, scale)
    assert q.options == [("1", "no"), ("2", "some"), ("3", "yes"), ("0", "does not apply")]
    assert all(item.check(value) is not None for value, _ in q.options)  # each one the engine accepts
    # shown by its label alone: a 0 beside "does not apply" read as a point below "no" (the code is the terminal's)
    html = page_templates(catalogue()).get_template("_options.html.j2").module.options(q, None)
    assert re.findall(r'<span class="value">(\d+)</span>', str(html)) == ["1", "2", "3"] and "does not apply" in html
    without = question(item.label, Item("care", "number", 1, 3, 1), scale)
    assert [v for v, _ in without.options] == ["1", "2", "3"]


def page_elements(q, given: dict) -> list[tuple[str, dict]]:
    """The elements of a question's page: (tag, attributes) in order."""
    html = (
        page_templates(catalogue())
        .get_template("questions.html.j2")
        .render(questions=[q], token="t", key="itch", given=given)
    )
    found: list[tuple[str, dict]] = []

    class Inputs(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("input", "div", "label", "span", "output"):
                found.append((tag, dict(attrs)))

    Inputs().feed(html)
    return found


def vas_page(given: dict) -> list[tuple[str, dict]]:
    """The inputs of a VAS question's page: (tag, attributes) in order."""
    step = rating("vas-0-100")
    q = question(step.prompt, step.records()[0], Scale(type="vas", min=0, max=100, anchors=["none", "worst"]))
    assert q.options == [] and q.slider is not None and q.anchors == ("none", "worst")
    return page_elements(q, given)


def test_a_vas_posts_nothing_until_answered_and_shows_no_default():
    elements = vas_page({})
    named = [a for tag, a in elements if tag == "input" and a.get("name") == "item-"]
    # the one field posted: typed without JavaScript, set by the slider with it; empty until then
    assert named == [
        {
            "id": "q1-value",
            "type": "number",
            "name": "item-",
            "min": "0",
            "max": "100",
            "step": "any",
            "inputmode": "decimal",
            "required": None,
            "data-slider-value": None,
        }
    ]
    (slider,) = [a for tag, a in elements if a.get("type") == "range"]
    assert slider["step"] == "any" and not [a for tag, a in elements if tag == "output"]  # a VAS shows no number
    assert "name" not in slider and "value" not in slider and "untouched" in slider["class"]  # posts nothing itself
    assert slider["aria-labelledby"] == "q1" and slider["aria-describedby"] == "q1-low q1-high"
    scale = next(a for tag, a in elements if a.get("class") == "slider-scale")
    assert "hidden" in scale  # shown by the page script: without it, the slider's middle would be a default
    anchors = [a["id"] for tag, a in elements if a.get("class") == "anchor"]
    assert anchors == ["q1-low", "q1-high"]
    (label,) = [a for tag, a in elements if tag == "label" and "for" in a]  # the honeypot's label has none
    assert label["for"] == "q1-value"


def test_a_vas_asked_again_keeps_the_answer_given():
    (named,) = [a for tag, a in vas_page({"item-": "37.5"}) if a.get("name") == "item-"]
    assert named["value"] == "37.5"


def test_an_nrs_of_more_than_11_points_is_a_slider_on_its_points_showing_the_number_chosen():
    # 101 buttons made the online example's page 5,760 px wide on a desktop and 7,000 px tall on a phone
    for points, scale in ((11, Scale(type="nrs", min=0, max=10)), (101, Scale(type="nrs", min=0, max=100))):
        q = question("How itchy?", rating(scale).records()[0], scale)
        assert (q.slider is None) == (points <= BUTTONS_AT_MOST) and len(q.options) == (
            points if q.slider is None else 0
        )
    scale = Scale(type="nrs", min=0, max=100, step=5, anchors=["none", "worst"])
    q = question("How itchy?", rating(scale).records()[0], scale)
    assert q.slider == Slider("0", "100", "5", readout=True) and q.anchors == ("none", "worst")
    elements = page_elements(q, {})
    (slider,) = [a for tag, a in elements if a.get("type") == "range"]
    (typed,) = [a for tag, a in elements if a.get("name") == "item-"]
    assert (slider["min"], slider["max"], slider["step"]) == ("0", "100", "5") and "untouched" in slider["class"]
    assert (typed["type"], typed["step"], typed["inputmode"]) == ("number", "5", "numeric") and "required" in typed
    (readout,) = [a for tag, a in elements if tag == "output"]
    assert readout["aria-hidden"] == "true"  # the slider tells a screen reader its value itself


def test_a_slider_offers_does_not_apply_as_a_box_whose_tick_is_the_answer():
    scale = Scale(type="nrs", min=1, max=50, not_applicable="cannot say")
    item = Item("pain", "number", 1, 50, 1, "How much?", na_code=scale.na_code)
    q = question(item.label, item, scale)
    assert q.slider is not None and q.slider.na == ("na-pain", "cannot say")
    elements = page_elements(q, {"na-pain": "1"})
    (box,) = [a for tag, a in elements if a.get("type") == "checkbox"]
    assert box["name"] == "na-pain" and "checked" in box  # shown again as it was sent
    (typed,) = [a for tag, a in elements if a.get("name") == "item-pain"]
    assert "required" not in typed  # without the page script, the ticked box alone answers
    step = QuestionnaireStep.model_validate(
        {"type": "questionnaire", "id": "q", "items": [{"id": "pain", "text": "How much?"}], "scale": scale}
    )
    current = SimpleNamespace(step=step)
    assert answers(current, {"na-pain": "1", "item-pain": ""}) == {"pain": "0"}
    assert answers(current, {"na-pain": "1", "item-pain": "7"}) == {"pain": "0"}  # the tick wins: it was meant
    assert answers(current, {"item-pain": "7"}) == {"pain": "7"}
    assert step.records()[0].check(answers(current, {"na-pain": "1"})["pain"]) == 0  # the engine takes it


def test_markdown_pages_cannot_inject_markup():
    html = str(markdown("**Hello** <script>alert(1)</script> <img src=x onerror=alert(1)>"))
    assert "<strong>Hello</strong>" in html
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
