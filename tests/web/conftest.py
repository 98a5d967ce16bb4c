"""An online study (the flagship with an image, a sound and a film, its experimenter pause timed) served by the
web frontend's app through Starlette's TestClient, on a virtual clock; and a reader of the pages it serves."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from starlette.testclient import TestClient

from placebolab.frontends.web.app import create_app
from placebolab.session import VirtualClock
from placebolab.study import Study
from tests.media.test_media_steps import media_protocol
from tests.protocol.bad import replace_once

INTAKE = {"sex": "female", "age": "34", "name": "Robin"}
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'self'",
}


def online_protocol(tmp_path):
    protocol = media_protocol(tmp_path)
    replace_once(protocol, "    until: experimenter\n", "    duration: 20s\n")
    return protocol


def online_vas_protocol(tmp_path):
    """The online protocol with its baseline itch rated on a VAS (0–100, continuous)."""
    protocol = online_protocol(tmp_path)
    rating = (
        "  - id: itch_baseline\n    type: rating\n    role: symptom\n    prompt: How itchy is your forearm right now?\n"
    )
    replace_once(protocol, rating + "    scale: nrs-0-100\n", rating + "    scale: vas-0-100\n")
    return protocol


@pytest.fixture
def online_study(tmp_path):
    Study.init(online_protocol(tmp_path), tmp_path / "study", seed=7).close()
    study = Study.open(tmp_path / "study", writing=True, any_thread=True)  # the web server's opening
    yield study
    study.close()


@pytest.fixture
def clock():
    return VirtualClock(1_800_000_000.0)


@pytest.fixture
def app(online_study, clock):
    return create_app(online_study, secret=b"s" * 32, clock=clock)


@pytest.fixture
def client(app):
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def links(online_study):
    return [token for token, _participant in online_study.new_links(3)]


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden and text inputs
    radios: dict[str, list[str]] = field(default_factory=dict)  # name → its values, in order
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)  # a VAS's field → its min, max
    buttons: dict[str, list[str]] = field(default_factory=dict)  # a named submit button's name → its values


class Page(HTMLParser):
    """What a test needs of a served page: its forms, its meta refresh, its links and media sources."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[Form] = []
        self.refresh: tuple[float, str | None] | None = None
        self.hrefs: list[str] = []
        self.sources: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a["action"]))
        elif tag == "input" and self.forms:
            form, name = self.forms[-1], a.get("name")
            if name is None:  # the VAS slider, which only the page script reads
                return
            if a.get("type") == "radio":
                form.radios.setdefault(name, []).append(a["value"])
            elif "data-slider-value" in a:  # a VAS's answer: typed without the page script, set by its slider with it
                form.ranges[name] = (float(a["min"]), float(a["max"]))
            else:
                form.fields[name] = a.get("value", "")
        elif tag == "button" and self.forms and a.get("name"):  # a consent's agree / decline
            self.forms[-1].buttons.setdefault(a["name"], []).append(a["value"])
        elif tag == "meta" and a.get("http-equiv") == "refresh":
            seconds, _, url = a["content"].partition(";")
            self.refresh = (float(seconds), url.strip().removeprefix("url=") or None)
        elif tag == "a":
            self.hrefs.append(a["href"])
        elif tag in ("img", "audio", "video"):
            self.sources.append(a["src"])

    @property
    def step_form(self) -> Form | None:
        return next((f for f in self.forms if f.action.endswith("/step")), None)


def answered(form: Form, pick: int = 1) -> dict[str, str]:
    """The form filled in: every radio group's ``pick``-th option (from its first), every VAS at its middle,
    every checkbox ticked and, of named buttons (a consent's), the first (agree) pressed."""
    data = dict(form.fields)
    for name, values in form.buttons.items():
        data[name] = values[0]
    for name, values in form.radios.items():
        data[name] = values[min(pick, len(values) - 1)]
    for name, (low, high) in form.ranges.items():
        data[name] = f"{(low + high) / 2:g}"
    return data


def step_key(html: str) -> str | None:
    match = re.search(r'name="key" value="([^"]*)"', html)
    return match[1] if match else None
