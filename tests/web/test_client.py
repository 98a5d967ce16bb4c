"""The page script's report (frontends/web/client.py): every value checked, since the browser is the
participant's own; what the server stores with and without it; a film's Continue needs its `ended`."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from starlette.testclient import TestClient

from placebolab.components import QuestionnaireStep, RatingStep, TextStep
from placebolab.components.media import MediaShown
from placebolab.frontends.web.app import create_app
from placebolab.frontends.web.client import MAX_CHARS, read_report
from placebolab.study import Study

from .conftest import Page, answered, online_vas_protocol
from .test_flow import checked, responses, run, start

RECEIVED = 1_800_000_123.4567
RATING = RatingStep(type="rating", id="itch", prompt="How itchy?", scale="nrs-0-10")
QUESTIONNAIRE = QuestionnaireStep(
    type="questionnaire",
    id="expectancy",
    scale="nrs-0-10",
    items=[{"id": "relief", "text": "Relief?"}, {"id": "doubt", "text": "Doubt?"}],
)
TEXT = TextStep(type="text", id="welcome", source="welcome.md")
FILM = MediaShown(path=None, kind="video", duration=3.0, size=(160, 96))  # type: ignore[arg-type]
GOOD = {
    "onset_ms": 812.34,
    "rt_ms": 4021.06,
    "hidden_count": 1,
    "hidden_ms": 1500.25,
    "window": [1280, 720],
    "pixel_ratio": 1.5,
    "refresh_hz": 59.94,
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0",
    "answer_ms": {"item-relief": 1200.5, "item-doubt": 3000},
    "changes": {"item-relief": 1, "item-doubt": 2},
}


def shown(step, media=None):
    """What read_report reads of the engine's Current: the step, and its media."""
    return SimpleNamespace(step=step, media=media)


def report(step, raw, media=None):
    return read_report(raw if isinstance(raw, str | None) else json.dumps(raw), shown(step, media), RECEIVED)


def test_a_good_report_is_stored_as_sent_under_the_documented_keys():
    got = report(QUESTIONNAIRE, GOOD)
    assert got.scripted and not got.ended and got.error is None
    assert got.detail == {
        "server_received_at": 1_800_000_123.457,
        "client_onset_ms": 812.3,
        "client_rt_ms": 4021.1,
        "client_hidden_count": 1,
        "client_hidden_ms": 1500.2,  # rounded half to even: 1500.25 is 1500.2 in binary
        "client_window": [1280, 720],
        "client_pixel_ratio": 1.5,
        "client_refresh_hz": 59.9,
        "client_user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0",
        "client_answer_ms": {"relief": 1200.5, "doubt": 3000.0},
        "changes": {"relief": 1, "doubt": 2},
    }


@pytest.mark.parametrize(
    "raw",
    [None, "", "not json", "[1, 2]", '"text"', "null", "{" * 10, "[" * 100_000, " " * (MAX_CHARS + 1)],
    ids=["absent", "empty", "not-json", "a-list", "a-string", "null", "broken", "nested-deep", "too-long"],
)
def test_no_report_or_an_unreadable_one_stores_only_the_servers_own_time(raw):
    got = report(QUESTIONNAIRE, raw)
    assert not got.scripted and got.detail == {"server_received_at": 1_800_000_123.457}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("onset_ms", -1),
        ("onset_ms", "812"),  # a number as text
        ("onset_ms", True),  # a boolean is no number
        ("onset_ms", 86_400_001),  # more than a day before the onset
        ("rt_ms", 7 * 86_400_000 + 1),  # a page open more than a week
        ("rt_ms", None),
        ("hidden_count", 1.5),
        ("hidden_count", -1),
        ("hidden_ms", [1]),
        ("pixel_ratio", 0),
        ("pixel_ratio", 50),
        ("refresh_hz", 0.5),
        ("refresh_hz", 5000),
    ],
)
def test_a_value_out_of_bounds_is_stored_as_null(key, value):
    stored = {"onset_ms": "client_onset_ms", "rt_ms": "client_rt_ms", "hidden_count": "client_hidden_count"}
    stored |= {"hidden_ms": "client_hidden_ms", "pixel_ratio": "client_pixel_ratio", "refresh_hz": "client_refresh_hz"}
    got = report(QUESTIONNAIRE, {**GOOD, key: value})
    assert got.detail[stored[key]] is None
    assert got.detail["client_window"] == [1280, 720]  # the rest kept


@pytest.mark.parametrize("raw", ['{"onset_ms": NaN}', '{"onset_ms": Infinity}', '{"onset_ms": -Infinity}'])
def test_json_that_python_reads_as_nan_or_infinity_is_null(raw):
    assert report(TEXT, raw).detail["client_onset_ms"] is None


@pytest.mark.parametrize("window", [[1280], [1280, 720, 1], [1280.5, 720], [0, 720], ["1280", "720"], "1280x720"])
def test_a_window_that_is_not_two_whole_positive_numbers_is_null(window):
    assert report(TEXT, {**GOOD, "window": window}).detail["client_window"] is None


def test_the_user_agent_loses_control_characters_and_is_cut_short():
    got = report(TEXT, {**GOOD, "user_agent": "Mozilla\x00/5.0\n\x1b[31m" + "x" * 1000})
    assert got.detail["client_user_agent"] == "Mozilla/5.0[31m" + "x" * 285
    assert report(TEXT, {**GOOD, "user_agent": 42}).detail["client_user_agent"] is None


def test_answer_times_only_for_the_steps_own_items_and_within_bounds():
    got = report(
        QUESTIONNAIRE,
        {**GOOD, "answer_ms": {"item-relief": -5, "item-other": 10, "csrf": 1}, "changes": {"item-doubt": 1.5}},
    )
    assert got.detail["client_answer_ms"] == {"relief": None}
    assert got.detail["changes"] == {"doubt": None}
    assert report(QUESTIONNAIRE, {**GOOD, "answer_ms": [1, 2]}).detail["client_answer_ms"] is None
    rating = report(RATING, {**GOOD, "answer_ms": {"item-": 900}, "changes": {"item-": 3}})
    assert rating.detail["client_answer_ms"] == {"": 900.0} and rating.detail["changes"] == {"": 3}
    assert "client_answer_ms" not in report(TEXT, GOOD).detail  # a step without answers has no such key


def test_answers_restored_from_the_browsers_copy_are_named_only_when_the_steps_own():
    got = report(QUESTIONNAIRE, {**GOOD, "restored": ["item-doubt", "item-other", "statement-data", 3, "item-relief"]})
    assert got.detail["client_restored"] == ["relief", "doubt"]  # the step's order, its own items only
    for restored in ([], ["item-other"], "item-doubt", {"item-doubt": 1}, None):
        assert "client_restored" not in report(QUESTIONNAIRE, {**GOOD, "restored": restored}).detail
    assert "client_restored" not in report(TEXT, {**GOOD, "restored": ["item-doubt"]}).detail


def test_a_films_report_its_end_its_events_and_nothing_else():
    events = [["play", 100, 0], ["seek_blocked", 900, 2.7], ["launch", 1000, 1], ["ended", 3200.04, 3.0001]]
    events += [["pause", -1, 1], ["stall", 500, 60], [["play"], 1, 1], ["play", 1]]
    got = report(TEXT, {**GOOD, "media": {"ended": True, "error": None, "events": events}}, FILM)
    assert got.ended and got.error is None
    assert got.detail["media_ended"] is True and got.detail["media_error"] is None
    assert got.detail["media_events"] == [
        ["play", 100.0, 0.0],
        ["seek_blocked", 900.0, 2.7],
        ["ended", 3200.0, 3.0],
        ["stall", 500.0, None],  # a position beyond the film's end (+ 5 s) is null
    ]
    many = report(TEXT, {**GOOD, "media": {"ended": True, "events": [["play", 1, 0]] * 2000}}, FILM)
    assert len(many.detail["media_events"]) == 500


@pytest.mark.parametrize(
    ("media", "ended", "error", "stored"),
    [
        ({"ended": False}, False, None, False),
        ({"ended": "true"}, False, None, None),  # not a boolean: not believed, stored as null
        ({}, False, None, None),
        ({"ended": False, "error": 4}, False, "source not supported", False),
        ({"ended": False, "error": 9}, False, None, False),
        ({"ended": False, "error": True}, False, None, False),
    ],
)
def test_a_films_end_must_be_reported_as_true(media, ended, error, stored):
    got = report(TEXT, {**GOOD, "media": media}, FILM)
    assert (got.ended, got.error, got.detail["media_ended"], got.detail["media_error"]) == (ended, error, stored, error)
    assert got.detail["media_events"] == []


def test_a_picture_has_no_player_keys():
    picture = MediaShown(path=None, kind="image", duration=5.0, size=(40, 30))  # type: ignore[arg-type]
    assert not {"media_ended", "media_events", "media_error"} & set(report(TEXT, GOOD, picture).detail)


# --- through the app (Starlette's TestClient, a virtual clock) ------------------------------------------


def client_field(**media) -> dict[str, str]:
    return {"client": json.dumps({**GOOD, "media": media} if media else GOOD)}


def details(study, participant="web00001"):
    return {
        r["step_key"]: json.loads(r["detail"]) for r in study.store.rows("steps") if r["participant"] == participant
    }


def test_without_the_script_a_step_stores_only_when_the_server_received_it(online_study, client, links, clock):
    start(client, links[0])
    run(client, links[0], clock)
    for key, detail in details(online_study).items():
        assert set(detail) - {"late_s"} == {"server_received_at"}, key  # nothing measured, nothing faked
    (row,) = [r for r in online_study.store.rows("steps") if r["step_key"] == "welcome"]
    assert details(online_study)["welcome"]["server_received_at"] == pytest.approx(row["completed_at"])


def test_with_the_script_a_film_needs_its_reported_end(online_study, client, links, clock):
    start(client, links[0])
    run(client, links[0], clock, until="vignette")
    form = Page(client.get(f"/s/{links[0]}", follow_redirects=True).text).step_form
    clock.advance(30)  # long past the film's length: only the script's report is missing
    unfinished = checked(client.post(form.action, data={**form.fields, **client_field(ended=False, events=[])}))
    assert unfinished.status_code == 400 and "watch or listen to the end" in unfinished.text
    assert "vignette" not in online_study.store.completed_steps("web00001")
    events = [["play", 120.5, 0], ["ended", 2150, 2.0]]
    done = client.post(form.action, data={**form.fields, **client_field(ended=True, events=events)})
    assert done.status_code == 303
    stored = details(online_study)["vignette"]
    assert stored["media_ended"] is True and stored["media_events"] == [["play", 120.5, 0.0], ["ended", 2150.0, 2.0]]
    assert stored["client_rt_ms"] == 4021.1 and stored["server_received_at"] == pytest.approx(clock.now())


def test_a_film_the_browser_cannot_play_is_recorded_and_not_waited_for(online_study, client, links, clock):
    start(client, links[0])
    run(client, links[0], clock, until="vignette")
    form = Page(client.get(f"/s/{links[0]}", follow_redirects=True).text).step_form
    early = client.post(form.action, data={**form.fields, **client_field(ended=False)})  # no error: wait
    assert early.status_code == 400
    unplayable = client.post(form.action, data={**form.fields, **client_field(ended=False, error=4)})
    assert unplayable.status_code == 303
    assert details(online_study)["vignette"]["media_error"] == "source not supported"


def test_answers_and_their_times_are_stored_together(online_study, client, links, clock):
    start(client, links[0])
    run(client, links[0], clock, until="expectancy")
    form = Page(client.get(f"/s/{links[0]}").text).step_form
    names = list(form.radios)
    report = {**GOOD, "answer_ms": dict.fromkeys(names, 2500), "changes": dict.fromkeys(names, 1)}
    clock.advance(10)
    assert client.post(form.action, data={**answered(form), "client": json.dumps(report)}).status_code == 303
    stored = details(online_study)["expectancy"]
    assert stored["client_answer_ms"] == {"relief": 2500.0, "logical": 2500.0, "confident": 2500.0, "doubt": 2500.0}
    assert len(responses(online_study, "web00001", "expectancy")) == 4


def test_pages_load_only_the_studys_own_script(online_study, client, links, clock):
    served: list = []
    start(client, links[0])
    run(client, links[0], clock, served=served)
    pages = [html for _url, html in served if html]
    assert len(pages) > 10
    for html in pages:
        assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/placebolab.js" defer>']
        assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handler (the CSP refuses them)"
        assert "style=" not in html
    script = checked(client.get("/static/placebolab.js"))
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "http" not in script.text and "eval(" not in script.text and "innerHTML" not in script.text
    waiting = [html for html in pages if "data-refresh=" in html]
    assert waiting and all('<noscript><meta http-equiv="refresh"' in html for html in waiting)
    assert client.get("/favicon.ico").status_code == 204


def test_a_vas_without_the_script_is_typed_and_required(tmp_path, clock):
    Study.init(online_vas_protocol(tmp_path), tmp_path / "study", seed=7).close()
    with Study.open(tmp_path / "study", writing=True, any_thread=True) as study:  # as the web server opens it
        client = TestClient(create_app(study, secret=b"s" * 32, clock=clock), follow_redirects=False)
        ((token, person),) = study.new_links(1)
        start(client, token)
        run(client, token, clock, until="itch_baseline")
        form = Page(client.get(f"/s/{token}").text).step_form
        assert form.ranges == {"item-": (0.0, 100.0)} and "item-" not in form.fields  # no default value
        clock.advance(5)
        missing = client.post(form.action, data=form.fields)
        assert missing.status_code == 400 and "Please answer every question" in missing.text
        outside = client.post(form.action, data={**form.fields, "item-": "150"})
        assert outside.status_code == 400 and responses(study, person) == []
        assert client.post(form.action, data={**form.fields, "item-": "37.25"}).status_code == 303
        assert [r["value"] for r in responses(study, person)] == [37.25]
