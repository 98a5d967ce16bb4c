"""A participant in a real browser: Debian's chromium driven by Playwright (Python) against `placebolab serve`
(uvicorn on a free loopback port, in a subprocess), answering each page by clicks and key presses and
remembering every value entered; axe-core (from npm, tests/web/axe) checks each kind of page once.

Skips, saying why, without chromium, Playwright or axe-core; with CI=true it fails instead (.ci/run installs
chromium with apt and axe-core with `npm ci --prefix tests/web/axe`)."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

from tests.conftest import ROOT
from tests.web.test_serve import free_port

CHROMIUM = Path(os.environ.get("PLACEBOLAB_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]  # WCAG 2.2 AA, contrast included
VIEWPORT = {"width": 1000, "height": 720}
PIXEL_RATIO = 2
DONE = "You have completed the study"


def browser_problem() -> str | None:
    if not CHROMIUM.exists():
        return f"no chromium at {CHROMIUM} (apt-get install chromium; or set PLACEBOLAB_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if not AXE.exists():
        return f"axe-core is not installed: npm ci --prefix {AXE.parents[2].relative_to(ROOT)}"
    return None


def require_browser() -> None:
    """Skip (saying why) without chromium, Playwright or axe-core; with CI=true, fail instead: CI must run them."""
    problem = browser_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem} (CI=true: the browser tests must run; .ci/run installs what they need)")
        pytest.skip(problem)


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """`placebolab serve FOLDER` on a free loopback port until the block ends (then Ctrl-C); its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [
        sys.executable,
        "-c",
        "from placebolab.cli import main; main()",
        "serve",
        str(folder),
        "--port",
        str(port),
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx2.get(f"{base}/static/style.css", timeout=2)
                break
            except httpx2.TransportError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.1)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=30)[0]
    assert server.returncode == 0, output


def handle_drawn(slider) -> bool:
    """Whether the slider's handle is drawn: pixels of its colour (style.css: #1f4e8c) in a screenshot of it."""
    from PIL import Image

    image = Image.open(io.BytesIO(slider.screenshot(animations="disabled"))).convert("RGB")
    data = image.tobytes()  # RGB triples (tobytes: in every Pillow release, unlike getdata/get_flattened_data)
    pixels = (data[i : i + 3] for i in range(0, len(data), 3))
    handle = [p for p in pixels if abs(p[0] - 31) + abs(p[1] - 78) + abs(p[2] - 140) < 30]
    return len(handle) > 20


class Participant:
    """One participant's tab. ``complete()`` answers every page until the completion page: each question by a
    click on an option or by the keyboard (Space, arrow keys), a VAS by a click on its line and arrow keys, a
    sound or film played by a click on its player; a question the page shows answered already (the page
    script's copy of an earlier showing) is left as it is. ``entered``: (step key, item id) → the value entered,
    as the page's form holds it; ``restored``: those the page filled in and that were not set again;
    ``audited``: kind of page → axe-core's violations there."""

    def __init__(self, context, base: str, token: str, protocol, seed: int = 1):
        self.page = context.new_page()
        self.base, self.token, self.protocol = base, token, protocol
        self.random = random.Random(seed)
        self.entered: dict[tuple[str, str], float] = {}
        self.settings: dict[tuple[str, str], int] = {}  # (step key, item id) → times the answer was set
        self.restored: set[tuple[str, str]] = set()
        self.audited: dict[str, list] = {}
        self.problems: list[str] = []  # script errors, CSP refusals, requests leaving the server
        self.skip_ahead = False  # try to skip ahead in a film
        self.skipped: list[str] = []  # the steps where it tried
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("console", self._console)
        self.page.on("request", self._request)

    def _console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text} ({message.location.get('url')})")

    def _request(self, request) -> None:
        if not request.url.startswith(self.base + "/"):
            self.problems.append(f"a request elsewhere: {request.url}")

    # --- pages ---------------------------------------------------------------------------------------

    def audit(self, kind: str) -> None:
        """axe-core's WCAG 2.2 AA violations on this page (once per kind of page)."""
        if kind in self.audited:
            return
        self.page.wait_for_function("() => typeof axe !== 'undefined'")
        self.audited[kind] = self.page.evaluate(
            """async tags => (await axe.run(document, {runOnly: {type: "tag", values: tags}})).violations.map(
                v => ({rule: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))""",
            AXE_TAGS,
        )

    def start(self, intake: dict[str, str]) -> None:
        self.page.goto(f"{self.base}/s/{self.token}")
        self.enrol(intake)

    def enrol(self, intake: dict[str, str]) -> None:
        """The start page shown: its intake filled in, then Start."""
        self.audit("start")
        for name, value in intake.items():
            field = self.page.locator(f"[name={name}]")
            if field.first.get_attribute("type") == "radio":
                self.page.locator(f"[name={name}][value={value}]").click()
            else:
                field.press_sequentially(value)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Start").click()

    @property
    def key(self) -> str | None:
        key = self.page.locator("form[data-step] input[name=key]")
        return key.get_attribute("value") if key.count() else None

    @property
    def button(self):
        return self.page.locator("form[data-step] button[type=submit]")

    def complete(self, *, until: str | None = None, on_step=None) -> list[str]:
        """Answer every page until the completion page (or until step ``until`` shows); the keys answered.
        ``on_step(participant, key)`` runs on each step's page before it is answered."""
        answered: list[str] = []
        for _ in range(100):
            page = self.page
            if page.get_by_text(DONE).count():
                self.audit("done")
                return answered
            key = self.key
            if key is None:
                turn = page.get_by_role("link", name="Next")
                if turn.count():  # a text's next page
                    self.audit("text page")
                    # as tall as a form's button (min-height 2.75rem, 49.5 px, padding included), not 71 px
                    assert turn.bounding_box()["height"] == pytest.approx(49.5, abs=1)
                    with page.expect_navigation():
                        turn.click()
                else:  # a waiting page, or a timed pause or picture: it reloads itself
                    self.audit("timed pause or picture" if page.locator(".wait").count() else "waiting page")
                    with page.expect_navigation(timeout=30_000):
                        pass
                continue
            if key == until:
                return answered
            if on_step is not None:
                on_step(self, key)
            self.answer(key)
            answered.append(key)
        raise AssertionError("the session did not end")

    def answer(self, key: str) -> None:
        step = self.protocol.step(key.split("@")[0])
        page = self.page
        questions = page.locator("[data-question]")
        if questions.count():
            self.audit(f"{step.type}: {_controls(page)}")
            for index in range(questions.count()):
                if self.shown_answered(key, questions.nth(index)):
                    continue
                assert self.button.is_disabled(), f"{key}: Continue before every question is answered"
                self.answer_question(key, questions.nth(index), index)
        elif step.type == "consent":  # every statement ticked (by its label), then agree
            self.audit("consent")
            for label in page.locator("fieldset label").all():
                label.click()
            with page.expect_navigation():
                page.locator("button[value=agree]").click()
            return
        elif page.locator("[data-media]").count():
            self.audit(step.type)
            self.play(key)
        else:
            self.audit(step.type)
        assert self.button.is_enabled(), key
        with page.expect_navigation():
            if self.random.random() < 0.5:
                self.button.click()
            else:
                self.button.press("Enter")

    def shown_answered(self, key: str, question) -> bool:
        """Whether the page shows ``question`` answered already: then with the value entered on an earlier
        showing, filled in by the page script (``restored``)."""
        field = question.locator("input[type=radio]:checked, [data-slider-value]").first
        value = field.input_value() if field.count() else ""
        if value == "":
            return False
        item = field.get_attribute("name").removeprefix("item-")
        assert self.entered.get((key, item)) == float(value), (key, item, value)
        self.restored.add((key, item))
        return True

    def answer_question(self, key: str, question, index: int) -> None:
        page = self.page
        slider = question.locator("input[type=range]")
        if slider.count():
            self.answer_slider(key, question, slider)
            return
        radios = question.locator("input[type=radio]")
        choice = self.random.randrange(min(radios.count(), 12))
        if index % 2 == 0:  # a click on the option's label
            question.locator("label").nth(choice).click()
        else:  # the keyboard: Space checks the first option, each right arrow the next one
            radios.first.focus()
            page.keyboard.press("Space")
            for _ in range(choice):  # each checks the next option
                page.keyboard.press("ArrowRight")
        chosen = question.locator("input[type=radio]:checked")
        assert chosen.count() == 1 and chosen.get_attribute("value") == radios.nth(choice).get_attribute("value")
        item = radios.first.get_attribute("name").removeprefix("item-")
        self.entered[(key, item)] = float(chosen.get_attribute("value"))
        self.settings[(key, item)] = 1 if index % 2 == 0 else 1 + choice

    def answer_slider(self, key: str, question, slider) -> None:
        """A click somewhere on the line (the handle appears there), then a few arrow keys; a long NRS shows the
        number chosen, a VAS none."""
        typed, readout = question.locator("[data-slider-value]"), question.locator("[data-slider-readout]")
        assert readout.count() == 0 or readout.inner_text() == "", "no number before the first touch"
        assert slider.is_visible() and not typed.is_visible(), "the slider replaces the typed answer"
        assert typed.input_value() == "" and "untouched" in slider.get_attribute("class")
        assert not handle_drawn(slider), "no handle before the first touch"
        assert slider.get_attribute("aria-valuetext") == "not answered yet"
        slider.focus()  # reaching it (Tab) is no answer
        assert not handle_drawn(slider) and typed.input_value() == "" and self.button.is_disabled()
        box = slider.bounding_box()
        fraction = self.random.uniform(0.1, 0.9)
        slider.click(position={"x": box["width"] * fraction, "y": box["height"] / 2})
        assert "untouched" not in slider.get_attribute("class")
        assert handle_drawn(slider)
        clicked = float(typed.input_value())
        low, high = float(slider.get_attribute("min")), float(slider.get_attribute("max"))
        # the handle's middle is at the click: the line's ends lie half a handle inside the slider's box
        rem = float(slider.evaluate("e => getComputedStyle(document.documentElement).fontSize").removesuffix("px"))
        thumb = 1.6 * rem  # style.css: chromium's handle is 1.6rem wide
        at = (box["width"] * fraction - thumb / 2) / (box["width"] - thumb)
        assert abs((clicked - low) / (high - low) - at) < 0.03, (clicked, fraction, at)
        for _ in range(3):
            slider.press("ArrowRight")
        value = float(typed.input_value())
        assert value > clicked and value == float(slider.input_value())
        step = slider.get_attribute("step")
        if step != "any":  # on the scale's points, the number shown as chosen
            assert value == clicked + 3 * float(step) and readout.inner_text() == f"{value:g}"
        item = typed.get_attribute("name").removeprefix("item-")
        self.entered[(key, item)] = value
        self.settings[(key, item)] = 4  # the click, and each key

    def play(self, key: str) -> None:
        """Start the player with a click; Continue stays disabled until it has played to its end."""
        page, player = self.page, self.page.locator("[data-media]")
        assert self.button.is_disabled(), f"{key}: Continue before the end"
        box = player.bounding_box()
        if player.evaluate("p => p.tagName") == "VIDEO":
            player.click()  # a click on a film starts it
        else:
            player.click(position={"x": 24, "y": box["height"] / 2})  # the sound player's play button
        page.wait_for_function("() => !document.querySelector('[data-media]').paused")
        if self.skip_ahead and box["height"] > 100:  # a click far ahead on the film's timeline
            player.hover()
            player.click(position={"x": box["width"] * 0.85, "y": box["height"] - 22})
            self.skipped.append(key)
        page.wait_for_function("() => document.querySelector('[data-media]').ended", timeout=30_000)
        page.wait_for_function("() => !document.querySelector('form[data-step] button').disabled")

    def values(self) -> dict[tuple[str, str, str], float]:
        """``entered`` as long.csv keys its rows: (step, occasion, item) → value."""
        rows = {}
        for (key, item), value in self.entered.items():
            step, _, occasion = key.partition("@")
            rows[(step, occasion, item)] = value
        return rows


def _controls(page) -> str:
    """How a page's questions are answered, as its accessibility check is named: radio options, a slider (a
    VAS), or a slider showing its number (a long NRS)."""
    if page.locator("[data-slider-readout]").count():
        return "slider with its number"
    return "slider" if page.locator("[data-slider]").count() else "options"
