"""A protocol with `language: de` online: every page the browser gets (start, intake errors, each step type,
the refusals, waiting, completion, a bad link, an expired form) says its own words in German, from the
catalogue, with <html lang="de">, and not one English text of the catalogue is left on any of them."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from placebolab.errors import StoreError
from placebolab.frontends.web.app import RateLimit, create_app
from placebolab.study import Study
from tests.frontends.german import GERMAN, english_fragments, german_protocol

from .conftest import Page, answered

INTAKE = {"geschlecht": "weiblich", "alter": "34"}

DONE = GERMAN["web.done_text"]


def locked(*args, **kwargs):
    raise StoreError("the study's log is locked by another station for more than 5 s; nothing was recorded")


class Visible(HTMLParser):
    """What a participant reads (or a screen reader says) of a page: its text and its labelling attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.parts += [
            value for name, value in attrs if name in ("aria-label", "alt", "title", "placeholder") and value
        ]

    def handle_data(self, data):
        self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


@pytest.fixture
def german(tmp_path):
    Study.init(german_protocol(tmp_path / "protocol", media=True), tmp_path / "study", seed=7).close()
    study = Study.open(tmp_path / "study", writing=True, any_thread=True)  # the web server's opening
    yield study
    study.close()


def test_every_page_of_a_german_study_is_german(german, clock, monkeypatch):
    client = TestClient(create_app(german, secret=b"s" * 32, clock=clock), follow_redirects=False)
    token = next(token for token, _ in german.new_links(1))
    pages: dict[str, str] = {}  # what was checked → its html

    def got(name, response, status=200):
        assert response.status_code == status, (name, response.text)
        pages[name] = response.text
        return response.text

    start = got("start", client.get(f"/s/{token}"))
    assert GERMAN["web.welcome"] in start and GERMAN["web.start"] in start
    (form,) = Page(start).forms
    wrong = got("intake error", client.post(form.action, data={**form.fields, **INTAKE, "alter": "12"}), 400)
    assert "Alter in Jahren: 12 liegt außerhalb von 18–99" in wrong  # the protocol's label, the catalogue's words
    missing = got("intake missing", client.post(form.action, data={**form.fields, "alter": "40"}), 400)
    assert "Geschlecht: bitte geben Sie eine Antwort an" in missing
    expired = got("expired", client.post(form.action, data={**INTAKE, "csrf": "0" * 64}), 403)
    assert GERMAN["web.expired_heading"] in expired and GERMAN["web.back_to_study"] in expired
    with monkeypatch.context() as patched:  # the store refuses for a moment
        patched.setattr(german.store, "enrol", locked)
        busy = got("enrolment not saved", client.post(form.action, data={**form.fields, **INTAKE}), 503)
    assert "Bitte warten Sie einen Moment und drücken Sie dann erneut auf „Beginnen“." in busy
    assert client.post(form.action, data={**form.fields, **INTAKE}).status_code == 303
    assert GERMAN["web.not_found_text"] in got("not found", client.get("/s/" + "x" * 43), 404)

    url, refused = f"/s/{token}", set()
    for n in range(200):
        response = client.get(url)
        if response.status_code == 303:  # a timed step's first showing: to its address with its onset
            url = response.headers["location"]
            assert url.startswith(f"/s/{token}?onset="), url
            response = client.get(url)
        html = got(f"page {n}", response)
        if DONE in html:
            break
        page = Page(html)
        form = page.step_form
        if form is None:  # a waiting page, a timed pause or picture, or a text's next page
            if page.refresh:
                clock.advance(page.refresh[0])
                url = page.refresh[1] or f"/s/{token}"
            else:
                (url,) = page.hrefs
            continue
        if (form.radios or form.ranges) and "unanswered" not in refused:
            refused.add("unanswered")
            text = got("unanswered", client.post(form.action, data=form.fields), 400)
            assert GERMAN["web.answer_every_question"] in text
        if any(tag in html for tag in ("<audio", "<video")) and "too early" not in refused:
            refused.add("too early")
            text = got("too early", client.post(form.action, data=answered(form)), 400)
            assert GERMAN["web.watch_to_end"] in text
        clock.advance(30)
        posted = client.post(form.action, data=answered(form))
        assert posted.status_code == 303, posted.text
        url = posted.headers["location"]
    else:
        raise AssertionError("the session did not end")
    assert refused == {"unanswered", "too early"}
    seen = "\n".join(pages.values())
    for key in ("continue", "next_page", "web.wait_heading", "web.wait_on_page", "web.done_heading"):
        assert GERMAN[key].partition("{")[0] in seen, key  # every kind of page was met
    read = "\n".join(Visible(html).text for html in pages.values())  # the countdown is a <span> of its own
    assert "Bitte warten Sie etwa 20 Sekunden" in read  # the timed pause, its time in German
    assert "In etwa 2 Minuten folgt: Die nächste Frage." in read  # the scheduled rating, which has no title

    fragments = english_fragments()
    assert {"Continue", "Please wait", "Thank you", "Please answer every question before you continue"} <= fragments
    for name, html in pages.items():
        assert '<html lang="de">' in html, name
        left = sorted(f for f in fragments if f in Visible(html).text)
        assert left == [], f"English left on the {name} page: {left}"


def test_the_consent_prolific_and_refusal_pages_of_a_german_study_are_german(tmp_path, clock, monkeypatch):
    """The consent page (a link's first page: the catalogue's buttons, its refusals, the page after declining),
    Prolific's consent and start pages and its bad link, and the page of too many attempts: German, no English
    left."""
    Study.init(german_protocol(tmp_path / "protocol", media=True, consent=True), tmp_path / "study", seed=7).close()
    study = Study.open(tmp_path / "study", writing=True, any_thread=True)
    app = create_app(
        study, secret=b"s" * 32, clock=clock, prolific="C1A2B3C4", rate_limit=RateLimit(1, 60, now=clock.now)
    )
    client = TestClient(app, follow_redirects=False)
    pages: dict[str, str] = {}

    def got(name, response, status=200):
        assert response.status_code == status, (name, response.text)
        pages[name] = response.text
        return response.text

    token = next(token for token, _ in study.new_links(1))
    consent = got("consent", client.get(f"/s/{token}"))  # the consent step first: before enrolment
    for key in ("consent.agree", "consent.decline", "web.consent_statements", "web.honeypot"):
        assert GERMAN[key] in consent, key
    step = Page(consent).forms[0]
    unticked_fields = {k: v for k, v in step.fields.items() if not k.startswith("statement-")}
    choose = got("consent unchosen", client.post(step.action, data=unticked_fields), 400)
    assert GERMAN["web.consent_choose"] in choose
    unticked = got("consent unticked", client.post(step.action, data={**unticked_fields, "consent": "agree"}), 400)
    assert "Um zuzustimmen, kreuzen Sie bitte jede Aussage an; oder wählen Sie „Ich stimme nicht zu“." in unticked
    with monkeypatch.context() as patched:  # the store refuses for a moment
        patched.setattr(study.store, "decline_consent", locked)
        busy = got("decline not saved", client.post(step.action, data={**step.fields, "consent": "decline"}), 503)
    assert "Bitte warten Sie einen Moment und drücken Sie dann erneut auf „Ich stimme nicht zu“." in busy
    clock.advance(60)  # that attempt counted: the next one a minute later
    assert client.post(step.action, data={**step.fields, "consent": "decline"}).status_code == 303
    declined = got("declined", client.get(f"/s/{token}"))
    assert GERMAN["web.declined_heading"] in declined and GERMAN["web.declined_text"] in declined

    general = "/prolific?" + urlencode({"PROLIFIC_PID": "5f0a1b2c3d4e5f6a7b8c9d0e", "STUDY_ID": "6" * 24})
    bad = got("bad Prolific link", client.get("/prolific?PROLIFIC_PID=nope"), 400)
    assert GERMAN["web.bad_link_heading"] in bad and GERMAN["web.bad_link_text"] in bad
    (form,) = Page(got("Prolific consent", client.get(general))).forms
    assert form.action == "/prolific/consent"
    agreed = client.post(form.action, data={**form.fields, "consent": "agree"})
    assert agreed.status_code == 303, agreed.text
    (form,) = Page(got("Prolific start", client.get(agreed.headers["location"]))).forms
    assert form.action == "/prolific/start" and GERMAN["web.welcome"] in pages["Prolific start"]
    # the one attempt this client may make a minute (the decline above) is used up
    limited = got("too many attempts", client.post(form.action, data={**form.fields, **INTAKE}), 429)
    assert GERMAN["web.limited_heading"] in limited and "Bitte warten Sie 60 Sekunden" in limited
    study.close()

    fragments = english_fragments()
    assert {"I agree to take part", "Too many attempts", "This study link is incomplete"} <= fragments
    for name, html in pages.items():
        assert '<html lang="de">' in html, name
        left = sorted(f for f in fragments if f in Visible(html).text)
        assert left == [], f"English left on the {name} page: {left}"


def test_an_english_study_says_the_same_as_before(online_study, client, links):
    start = client.get(f"/s/{links[0]}").text
    assert '<html lang="en">' in start and "<h1>Welcome</h1>" in start and ">Start</button>" in start
    assert "Willkommen" not in start
