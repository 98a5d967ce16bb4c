"""Participants in a real browser (tests/web/browser.py: chromium, Playwright, `placebolab serve`, axe-core).

A flagship-like online study (a VAS, NRS buttons, questionnaires, a script, a picture, a sound, a film, a
timed pause and a scheduled rating) and the video vignette are completed by clicks and key presses; a reload
mid-questionnaire keeps what was entered (a VAS only once touched); a film plays to its end, a skip ahead
undone; long.csv holds exactly what the browser entered; the browser's timing is stored with every step and
is plausible; axe-core finds no WCAG 2.2 AA violation on any kind of page; no page makes a request elsewhere
or breaks the CSP; and with JavaScript off the pages still work and store no client measurement at all. The online example asks its
consent on the link's first page, before enrolment: agreed, then the intake; declined, nothing enrolled; a
Continue that never reaches the server loses no answer: the page opened again shows them, in that tab only. A
long NRS's "does not apply" box and its slider clear each other; a tick kept over a reload stores 0."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from placebolab.export import export_study
from placebolab.study import Study
from tests.protocol.bad import replace_once

from .browser import AXE, CHROMIUM, PIXEL_RATIO, VIEWPORT, Participant, handle_drawn, require_browser, serving
from .conftest import INTAKE, online_vas_protocol
from .test_serve import TEXT_VIGNETTE, VIDEO_VIGNETTE

CLIENT_KEYS = {
    "client_onset_ms",
    "client_rt_ms",
    "client_hidden_count",
    "client_hidden_ms",
    "client_window",
    "client_pixel_ratio",
    "client_refresh_hz",
    "client_user_agent",
}


@pytest.fixture(scope="module")
def chromium():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


def new_context(chromium, **options):
    context = chromium.new_context(viewport=VIEWPORT, device_scale_factor=PIXEL_RATIO, **options)
    context.add_init_script(path=str(AXE))  # evaluated by the browser itself, so the page's CSP allows it
    return context


def browser_protocol(tmp_path):
    """The online flagship (tests/web/conftest.py) in seconds rather than minutes, its baseline itch on a VAS."""
    protocol = online_vas_protocol(tmp_path)
    replace_once(protocol, "    duration: 20s\n", "    duration: 2s\n")  # the pause
    replace_once(protocol, "duration: 5s}", "duration: 1s}")  # the picture
    replace_once(protocol, "    at: [t0+3min, t0+9min, t0+15min]\n", "    at: [t0+2s]\n")
    return protocol


def tab_away(page, seconds: float) -> None:
    """The page hidden for ``seconds``, as a tab switch does. Headless chromium never hides a page, so the
    test stands in for the browser: it sets ``document.visibilityState`` and sends the same event."""
    page.wait_for_timeout(150)  # the onset: two animation frames after the page was painted
    page.evaluate(
        """ms => new Promise(done => {
            const set = state => {
                Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
                document.dispatchEvent(new Event("visibilitychange"));
            };
            set("hidden");
            setTimeout(() => { set("visible"); done(); }, ms);
        })""",
        seconds * 1000,
    )


def draft(page) -> dict | None:
    """The page script's copy of what was entered on the step's page, as this tab keeps it (None: none)."""
    return json.loads(page.evaluate("sessionStorage.getItem('placebolab-draft')") or "null")


def exported(study, participant: str) -> dict[tuple[str, str, str], float]:
    """long.csv's rows of ``participant``: (step, occasion, item) → value."""
    long = pd.read_csv(export_study(study) / "long.csv", dtype={"occasion": str, "item": str}, keep_default_na=False)
    mine = long[long["participant"] == participant]
    rows = {(r.step, r.occasion, r.item): float(r.value) for r in mine.itertuples()}
    assert len(rows) == len(mine), "one row per step occurrence and item"
    return rows


def details(study, participant: str) -> dict[str, tuple[dict, float]]:
    """Each step's detail and its server interval (s from the page first sent to its answer received)."""
    found = {}
    for row in study.store.rows("steps"):
        if row["participant"] == participant:
            found[row["step_key"]] = (json.loads(row["detail"]), row["completed_at"] - row["shown_at"])
    return found


def check_timing(study, participant: str, browser: Participant, hidden: dict[str, float] | None = None) -> dict:
    """Every step's browser timing is there and plausible, each answer set as often as ``browser`` set it;
    ``hidden``: step key → seconds it was tabbed away."""
    hidden = hidden or {}
    steps = details(study, participant)
    for key, (detail, served) in steps.items():
        step = study.protocol.step(key.split("@")[0])
        assert CLIENT_KEYS <= set(detail), (key, detail)
        assert detail["server_received_at"] > 1.7e9
        assert 0 < detail["client_onset_ms"] < 15_000, (key, detail)
        # the browser's interval lies within the server's: the page arrived after it was sent, Continue
        # was pressed before the answer arrived (50 ms for the two clocks' reading)
        assert 0 < detail["client_rt_ms"] <= served * 1000 + 50, (key, detail, served)
        assert detail["client_window"] == [VIEWPORT["width"], VIEWPORT["height"]]
        assert detail["client_pixel_ratio"] == PIXEL_RATIO
        assert "Chrome/" in detail["client_user_agent"] and len(detail["client_user_agent"]) <= 300
        if detail["client_rt_ms"] > 1500:  # 60 frames seen
            assert 20 <= detail["client_refresh_hz"] <= 250, (key, detail)
        if key in hidden:
            assert detail["client_hidden_count"] == 1
            assert hidden[key] * 1000 <= detail["client_hidden_ms"] < hidden[key] * 1000 + 1000
        else:
            assert detail["client_hidden_count"] == 0 and detail["client_hidden_ms"] == 0, (key, detail)
        items = {item.id for item in step.records() if item.kind == "number"}
        restored = {item for kept, item in browser.restored if kept == key}  # filled in by the page, not set
        assert set(detail.get("client_restored", [])) == restored, (key, detail)
        if items:
            set_here = items - restored  # only answers set on the page that committed the step have a time
            assert set(detail["client_answer_ms"]) == set_here and set(detail["changes"]) == set_here, (key, detail)
            assert all(0 < ms <= detail["client_rt_ms"] for ms in detail["client_answer_ms"].values()), detail
            assert detail["changes"] == {item: browser.settings[(key, item)] for item in set_here}, (key, detail)
        if step.media_kind in ("audio", "video"):
            assert detail["media_ended"] is True and detail["media_error"] is None, (key, detail)
            names = [event[0] for event in detail["media_events"]]
            assert names[0] == "play" and names[-1] == "ended", (key, names)
            length = study.protocol.media(step.id, study.store.participant(participant).cell).duration
            assert detail["media_events"][-1][2] == pytest.approx(length, abs=0.1)
            assert served >= length
        else:
            assert not {"media_ended", "media_events", "media_error"} & set(detail), (key, detail)
    return {key: detail for key, (detail, _served) in steps.items()}


def check_pages(participant: Participant, kinds: set[str]) -> None:
    assert kinds <= set(participant.audited), sorted(participant.audited)
    violations = {kind: found for kind, found in participant.audited.items() if found}
    assert violations == {}, json.dumps(violations, indent=1)
    assert participant.problems == []


def test_a_participant_completes_an_online_study_in_chromium(chromium, tmp_path):
    with Study.init(browser_protocol(tmp_path), tmp_path / "study", seed=7) as study:
        (token, person), (plain_token, plain) = study.new_links(2)
        protocol = study.protocol
    reloaded: list[str] = []

    def on_step(participant: Participant, key: str) -> None:
        page = participant.page
        if key == "itch_baseline" and key not in reloaded:  # the VAS reached, reloaded; touched, reloaded
            slider, typed = page.locator("input[type=range]"), page.locator("[data-slider-value]")
            slider.focus()  # reaching it is no answer: nothing kept, no handle after the reload
            page.reload()
            assert "untouched" in slider.get_attribute("class") and not handle_drawn(slider)
            assert typed.input_value() == "" and draft(page) is None and participant.button.is_disabled()
            participant.answer_slider(key, page.locator("[data-question]"), slider)
            page.reload()  # touched: the handle where it was left
            assert float(typed.input_value()) == float(slider.input_value()) == participant.entered[(key, "")]
            assert "untouched" not in slider.get_attribute("class") and handle_drawn(slider)
            assert slider.get_attribute("aria-valuetext") is None and participant.button.is_enabled()
            reloaded.append(key)
        if key == "expectancy" and key not in reloaded:  # half answered, then the page reloaded: those kept
            questions = page.locator("[data-question]")
            for index in range(2):
                participant.answer_question(key, questions.nth(index), index)
            assert participant.button.is_disabled()
            page.reload()
            assert participant.key == "expectancy" and page.locator("input:checked").count() == 2
            assert participant.button.is_disabled()
            assert "(2 left)" in page.locator("[data-needed]").inner_text()
            reloaded.append(key)
        if key == "clinician":
            tab_away(page, 0.4)

    with serving(tmp_path / "study") as base:
        context = new_context(chromium)
        robin = Participant(context, base, token, protocol, seed=3)
        robin.start(INTAKE)
        keys = robin.complete(on_step=on_step)
        robin.page.goto(f"{base}/s/{'x' * 43}")  # a link not found: the message page
        robin.audit("message")
        robin.problems = [problem for problem in robin.problems if "x" * 43 not in problem]  # its 404, expected
        context.close()

        # with JavaScript off: the VAS is typed, every page still works, no client measurement is stored
        context = new_context(chromium, java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{base}/s/{plain_token}")
        page.get_by_label("female").check()
        page.get_by_label("Age in years").press_sequentially("52")
        page.get_by_label("First name").press_sequentially("Sasha")
        with page.expect_navigation():
            page.get_by_role("button", name="Start").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()  # the welcome text
        assert page.locator(".slider-scale").is_hidden() and page.locator("input[type=range]").is_hidden()
        typed = page.get_by_label("Your answer: a number from 0 (no itch at all) to 100 (worst itch imaginable)")
        page.get_by_role("button", name="Continue").click()  # unanswered: the browser asks for it
        assert page.locator("input[name=key]").get_attribute("value") == "itch_baseline"
        typed.press_sequentially("42.5")
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
        context.close()

    assert reloaded == ["itch_baseline", "expectancy"]
    assert robin.restored == {("itch_baseline", ""), ("expectancy", "relief"), ("expectancy", "logical")}
    with Study.open(tmp_path / "study") as study:
        assert study.store.participant(person).status == "completed"
        assert exported(study, person) == pytest.approx(robin.values())
        assert {step for step, _occasion, _item in robin.values()} == {
            "itch_baseline",
            "expectancy",
            "check",
            "itch_post",
        }
        timing = check_timing(study, person, robin, hidden={"clinician": 0.4})
        assert list(timing) == keys
        assert exported(study, plain) == {("itch_baseline", "", ""): 42.5}
        for key, (detail, _served) in details(study, plain).items():
            assert set(detail) == {"server_received_at"}, (key, detail)  # nothing measured, nothing faked
    check_pages(
        robin,
        {
            "start",
            "text",
            "script",
            "rating: slider",
            "rating: slider with its number",
            "questionnaire: options",
            "image",
            "audio",
            "video",
            "pause",
            "timed pause or picture",
            "waiting page",
            "done",
            "message",
        },
    )


def test_the_video_vignette_plays_to_its_end_in_chromium(chromium, tmp_path):
    with Study.init(VIDEO_VIGNETTE, tmp_path / "vv", seed=3) as study:
        ((token, person),) = study.new_links(1)
        protocol = study.protocol
    with serving(tmp_path / "vv") as base:
        context = new_context(chromium)
        alex = Participant(context, base, token, protocol, seed=11)
        alex.skip_ahead = True
        alex.start({"sex": "male", "age": "41"})
        alex.complete()
        context.close()
    assert alex.skipped == ["consultation"]
    with Study.open(tmp_path / "vv") as study:
        assert study.store.participant(person).status == "completed"
        assert exported(study, person) == pytest.approx(alex.values())
        film = check_timing(study, person, alex)["consultation"]
    events = film["media_events"]
    names = [name for name, _ms, _position in events]
    assert names.count("seek_blocked") == 1 and names[-1] == "ended", events
    (blocked,) = [e for e in events if e[0] == "seek_blocked"]
    assert blocked[2] > 2.0  # the position sought: near the end, undone
    played = events[-1][1] - events[0][1]
    assert played >= 2900, events  # all 3 s of it, from the first play to the end
    check_pages(alex, {"start", "text", "questionnaire: options", "video", "done"})


#: an init script: window.sessionStorage throws, as where the browser keeps no storage for the site
NO_STORAGE = """
window.placebolabStorageUsed = 0;
Object.defineProperty(window, "sessionStorage", {get: function () {
    window.placebolabStorageUsed += 1;
    throw new DOMException("The operation is insecure.", "SecurityError");
}});
"""


def lost_continue(participant: Participant, link: str, context) -> None:
    """A questionnaire answered, its Continue lost on the way (the server out of reach), the link opened
    again: its answers are there, in this tab only; Continue then sends them, and the next step's
    page starts empty."""
    from playwright.sync_api import Error as PlaywrightError  # imported by the tests that run (require_browser)

    page, key = participant.page, participant.key
    questions = page.locator("[data-question]")
    for index in range(questions.count()):
        participant.answer_question(key, questions.nth(index), index)
    page.locator("input[name=website]").fill("bot", force=True)  # the honeypot: never kept
    entered = {f"item-{item}": value for (step, item), value in participant.entered.items() if step == key}
    kept = draft(page)
    assert kept["form"] == f"{link.removeprefix(participant.base)}/step\nkey={key}"  # no cell, no level, no onset
    assert {name: float(value) for name, value in kept["values"].items()} == entered
    page.route(f"{link}/step", lambda route: route.abort("connectionrefused"))
    with pytest.raises(PlaywrightError, match="ERR_CONNECTION_REFUSED"), page.expect_navigation():
        participant.button.click()
    page.unroute(f"{link}/step")
    page.goto(link)  # the link opened again in this tab: the page fetched anew, the answers filled in by the script
    assert participant.key == key and page.locator("input:checked").count() == len(entered)
    assert page.locator("input[name=website]").input_value() == ""
    assert participant.button.is_enabled() and page.locator("[data-needed]").inner_text() == ""
    other = context.new_page()  # another tab of the same link: nothing of it
    other.goto(link)
    assert other.locator("input[name=key]").get_attribute("value") == key
    assert other.locator("input:checked").count() == 0 and draft(other) is None
    other.close()
    private = context.new_page()  # a browser that keeps no storage (a private mode, a policy): throws at every use
    private.add_init_script(NO_STORAGE)
    errors: list[str] = []
    private.on("pageerror", lambda error: errors.append(str(error)))
    private.goto(link)
    private.locator("[data-question] label").first.click()  # the page works as without the copy
    assert private.locator("[data-needed]").inner_text().endswith(f"({len(entered) - 1} left).")
    assert errors == [] and private.evaluate("window.placebolabStorageUsed") > 0
    private.close()
    participant.answer(key)  # every answer shown already (asserted as entered): Continue as it is
    assert participant.key != key and page.locator("input:checked").count() == 0 and draft(page) is None


def test_the_online_example_asks_consent_before_enrolment_in_chromium(chromium, tmp_path):
    with Study.init(TEXT_VIGNETTE, tmp_path / "tv", seed=5) as study:
        (token, person), (declining, decliner) = study.new_links(2)
        protocol = study.protocol
    with serving(tmp_path / "tv") as base:
        context = new_context(chromium)
        sam = Participant(context, base, token, protocol, seed=5)
        page = sam.page
        page.goto(f"{base}/s/{token}")
        assert page.locator("input[name=key]").get_attribute("value") == "consent"
        assert page.locator("[name=age]").count() == 0  # nothing asked before the consent
        sam.audit("consent first")
        page.locator("fieldset label").first.click()
        page.reload()  # what was ticked is kept in this tab, bound to this link's consent form
        assert draft(page) == {"form": f"/s/{token}/consent\nkey=consent", "values": {"statement-informed": "1"}}
        assert [box.get_attribute("name") for box in page.locator("input:checked").all()] == ["statement-informed"]
        page.goto(f"{base}/s/{declining}")  # the same step at another link, in the same tab: nothing of it
        assert page.locator("input:checked").count() == 0 and draft(page) is None
        page.goto(f"{base}/s/{token}")
        for label in page.locator("fieldset label").all():
            label.click()
        with page.expect_navigation():
            page.locator("button[value=agree]").click()
        assert page.url.startswith(f"{base}/s/{token}?agreement=")  # the start page is a GET's: a reload posts nothing
        assert draft(page) is None  # the consent answered: its copy forgotten (the intake is never kept)
        page.reload()
        sam.enrol({"sex": "female", "age": "29"})
        keys = sam.complete(until="expectancy")
        lost_continue(sam, f"{base}/s/{token}", context)
        keys += sam.complete()
        assert "consent" not in keys  # recorded at enrolment, not asked again
        other = context.new_page()
        other.goto(f"{base}/s/{declining}")
        with other.expect_navigation():
            other.locator("button[value=decline]").click()
        assert other.get_by_text("You chose not to take part").count() == 1
        other.reload()
        assert other.get_by_text("You chose not to take part").count() == 1 and other.locator("form").count() == 0
        context.close()
    with Study.open(tmp_path / "tv") as study:
        assert study.store.participant(person).status == "completed"
        rows = exported(study, person)
        assert rows.pop(("consent", "", "")) == 1.0
        assert rows == pytest.approx(sam.values())  # the answers kept after the lost Continue among them, as entered
        detail, _served = details(study, person)["consent"]
        assert detail["consent_checked"] == ["informed", "data"] and len(detail["consent_sha256"]) == 64
        # none of the kept answers was set on the page that sent them: no time of its own, named as filled in
        detail, _served = details(study, person)["expectancy"]
        items = [item.id for item in study.protocol.step("expectancy").records()]
        assert detail["client_restored"] == items and detail["client_answer_ms"] == {} and detail["changes"] == {}
        assert "honeypot" not in detail and detail["client_onset_ms"] > 0
        assert study.store.participant(decliner) is None and study.consent_declined(decliner)
    check_pages(sam, {"consent first", "start", "done"})


#: one question on an NRS of 1–50 (a slider) offering "cannot say", then a text
NOT_APPLICABLE = """\
protocol: slider-not-applicable
version: 1.0.0
title: A slider's "does not apply" box
factors:
  warmth: {levels: [warm, neutral]}
allocation: {scheme: complete, target_n: 10}
timeline:
  - id: pain
    type: questionnaire
    scale: {type: nrs, min: 1, max: 50, not_applicable: cannot say}
    items: [{id: pain, text: How much pain do you feel right now?}]
  - {id: bye, type: text, text: Thank you.}
"""


def test_a_sliders_does_not_apply_box_and_its_slider_clear_each_other_in_chromium(chromium, tmp_path):
    """A long NRS offering "cannot say": the box ticked answers it (Continue enabled); the slider clicked then
    shows its handle and number and unticks the box; the box ticked again clears the number and hides the
    handle; a reload keeps the tick (this tab's copy) and Continue stores 0, the answer filled in from the copy
    (client_restored: not flagged as answered too fast); axe-core finds no violation on that page."""
    (tmp_path / "na.yaml").write_text(NOT_APPLICABLE, encoding="utf-8")
    with Study.init(tmp_path / "na.yaml", tmp_path / "study", seed=3) as study:
        ((token, person),) = study.new_links(1)
        protocol = study.protocol
    with serving(tmp_path / "study") as base:
        context = new_context(chromium)
        kim = Participant(context, base, token, protocol, seed=2)
        kim.start({})
        page = kim.page
        assert kim.key == "pain"
        slider, typed = page.locator("input[type=range]"), page.locator("[data-slider-value]")
        readout, box = page.locator("[data-slider-readout]"), page.locator("[data-slider-na]")

        def untouched() -> bool:  # no value on the line: no handle drawn, no number, nothing posted
            bare = "untouched" in slider.get_attribute("class") and not handle_drawn(slider)
            return bare and readout.inner_text() == "" and typed.input_value() == ""

        assert box.get_attribute("name") == "na-pain" and page.get_by_label("cannot say").count() == 1
        assert untouched() and not box.is_checked() and kim.button.is_disabled()  # (1) nothing given yet
        assert slider.get_attribute("aria-valuetext") == "not answered yet"
        page.get_by_text("cannot say").click()  # (2) ticked by a click on its label: an answer
        assert box.is_checked() and untouched() and kim.button.is_enabled()
        assert draft(page)["values"] == {"na-pain": "1"}
        line = slider.bounding_box()  # (3) the line clicked: the handle and its number, the box unticked
        slider.click(position={"x": line["width"] * 0.7, "y": line["height"] / 2})
        value = typed.input_value()
        assert not box.is_checked() and "untouched" not in slider.get_attribute("class") and handle_drawn(slider)
        assert 1 < int(value) < 50 and readout.inner_text() == value == slider.input_value()
        assert slider.get_attribute("aria-valuetext") is None and kim.button.is_enabled()
        assert draft(page)["values"] == {"item-pain": value}  # the copy: the number, not the tick
        box.focus()  # (4) ticked again, by the keyboard: the number cleared, the handle hidden
        page.keyboard.press("Space")
        assert box.is_checked() and untouched() and kim.button.is_enabled()
        assert slider.get_attribute("aria-valuetext") == "not answered yet"
        assert draft(page)["values"] == {"na-pain": "1"}
        page.keyboard.press("Space")  # unticked: neither answer given, Continue waits again
        assert not box.is_checked() and untouched() and kim.button.is_disabled() and draft(page) is None
        page.keyboard.press("Space")
        page.reload()  # (5) the tick kept in this tab, filled in by the page script; the slider bare
        assert kim.key == "pain" and box.is_checked() and untouched() and kim.button.is_enabled()
        kim.audit("slider with its box ticked")  # (7)
        with page.expect_navigation():  # (6)
            kim.button.click()
        assert kim.key == "bye" and draft(page) is None
        assert kim.complete() == ["bye"]
        context.close()
    with Study.open(tmp_path / "study") as study:
        assert study.store.participant(person).status == "completed"
        assert exported(study, person) == {("pain", "", "pain"): 0.0}  # "does not apply" is stored as 0
        detail, _served = details(study, person)["pain"]
        # the answer was filled in from the copy, not set on the page that sent it
        assert detail["client_restored"] == ["pain"], detail
        assert detail["client_answer_ms"] == {} and detail["changes"] == {}, detail
    check_pages(kim, {"start", "slider with its box ticked", "text", "done"})


def test_every_step_fits_a_320_pixel_phone_and_a_desktop_without_scrolling_sideways(chromium, tmp_path):
    """WCAG 2.2 reflow (1.4.10): at 320 CSS pixels nothing scrolls sideways. A VAS between two anchors of long
    words (a German study's) was 442 px wide on a phone, its line a third of the screen; on a phone the line
    now takes the whole width, its anchors under its two ends. An NRS of 0–100 was 101 buttons in one row:
    5,760 px wide on a 1,280 px desktop; it is a slider now."""
    protocol = browser_protocol(tmp_path)
    anchors = "    anchors: [no itch at all, worst itch imaginable]\n"
    long_words = "    anchors: [keine Kopfschmerzen, stärkste vorstellbare]\n"
    text = protocol.read_text(encoding="utf-8")
    protocol.write_text(text.replace(anchors, long_words, 1), encoding="utf-8")  # the VAS's (the first rating)
    with Study.init(protocol, tmp_path / "study", seed=7) as study:
        tokens = [token for token, _ in study.new_links(2)]
    widths: dict[tuple[int, str], tuple[int, int]] = {}

    def on_step(participant: Participant, key: str) -> None:
        page = participant.page
        size = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        widths[(size[1], key)] = size
        if key == "itch_baseline" and size[1] == 320:
            line = page.locator("input[type=range]").bounding_box()
            assert line["width"] > 0.7 * 320, line  # the whole width less the margins (246 px), not 145 px

    with serving(tmp_path / "study") as base:
        for token, (width, height) in zip(tokens, ((320, 640), (1280, 800)), strict=True):
            context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=PIXEL_RATIO)
            context.add_init_script(path=str(AXE))  # its pages are audited too
            participant = Participant(context, base, token, study.protocol, seed=5)
            participant.start(INTAKE)
            participant.complete(on_step=on_step)
            context.close()
    for width in (320, 1280):
        assert {(width, "itch_baseline"), (width, "itch_post@t0+2s")} <= set(widths), sorted(widths)
    assert all(scroll <= width for scroll, width in widths.values()), widths
