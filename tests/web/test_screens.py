"""The web frontend's screens: how each scale becomes form controls, and markdown that cannot inject markup."""

from __future__ import annotations

from html.parser import HTMLParser

from placebolab.components import RatingStep
from placebolab.components.base import Item
from placebolab.components.catalogue import catalogue
from placebolab.components.scales import Scale
from placebolab.frontends.web.app import page_templates
from placebolab.frontends.web.screens import markdown, question


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
    without = question(item.label, Item("care", "number", 1, 3, 1), scale)
    assert [v for v, _ in without.options] == ["1", "2", "3"]


def vas_page(given: dict) -> list[tuple[str, dict]]:
    """The inputs of a VAS question's page: (tag, attributes) in order."""
    step = rating("vas-0-100")
    q = question(step.prompt, step.records()[0], Scale(type="vas", min=0, max=100, anchors=["none", "worst"]))
    assert q.options is None and q.anchors == ("none", "worst")
    html = (
        page_templates(catalogue())
        .get_template("questions.html.j2")
        .render(questions=[q], token="t", key="itch", given=given)
    )
    found: list[tuple[str, dict]] = []

    class Inputs(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("input", "div", "label", "span"):
                found.append((tag, dict(attrs)))

    Inputs().feed(html)
    return found


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
            "data-vas-value": None,
        }
    ]
    (slider,) = [a for tag, a in elements if a.get("type") == "range"]
    assert "name" not in slider and "value" not in slider and "untouched" in slider["class"]  # posts nothing itself
    assert slider["aria-labelledby"] == "q1" and slider["aria-describedby"] == "q1-low q1-high"
    scale = next(a for tag, a in elements if a.get("class") == "vas-scale")
    assert "hidden" in scale  # shown by the page script: without it, the slider's middle would be a default
    anchors = [a["id"] for tag, a in elements if a.get("class") == "anchor"]
    assert anchors == ["q1-low", "q1-high"]
    (label,) = [a for tag, a in elements if tag == "label" and "for" in a]  # the honeypot's label has none
    assert label["for"] == "q1-value"


def test_a_vas_asked_again_keeps_the_answer_given():
    (named,) = [a for tag, a in vas_page({"item-": "37.5"}) if a.get("name") == "item-"]
    assert named["value"] == "37.5"


def test_markdown_pages_cannot_inject_markup():
    html = str(markdown("**Hello** <script>alert(1)</script> <img src=x onerror=alert(1)>"))
    assert "<strong>Hello</strong>" in html
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
