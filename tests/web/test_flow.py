"""Online sessions through Starlette's TestClient on a real SQLite study: enrolment only on POST, every step
type answered, stale and double submits recorded once, resume, refused links, one participant's link never
reaching another's page, no cell names served, and the security headers on every response."""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from placebolab.allocation.audit import audit_study
from placebolab.cli import main
from placebolab.errors import ProtocolError, StoreError
from placebolab.export import export_study
from placebolab.frontends.web.app import create_app
from placebolab.session import plan
from placebolab.study import Study
from tests.conftest import FLAGSHIP, ROOT
from tests.protocol.bad import replace_once

from .conftest import INTAKE, SECURITY_HEADERS, Page, answered, online_protocol, step_key

DONE = "You have completed the study"


def checked(response):
    for name, value in SECURITY_HEADERS.items():
        assert value in response.headers.get(name, ""), (name, response.request.url)
    return response


def start(client, token, intake=INTAKE):
    page = Page(checked(client.get(f"/s/{token}")).text)
    (form,) = page.forms
    response = checked(client.post(form.action, data={**form.fields, **intake}))
    assert response.status_code == 303 and response.headers["location"] == f"/s/{token}", response.text
    return response


def run(client, token, clock, *, until: str | None = None, served: list | None = None):
    """Answer every step shown at ``token`` (waiting when asked to) until the completion page, or until the
    step ``until`` is shown; returns the keys answered. ``served`` collects (url, html) of every response."""
    url, keys, redirected = f"/s/{token}", [], False
    for _ in range(200):
        response = checked(client.get(url))
        if response.status_code == 303:  # a timed step's first showing: to its address with its onset, once
            location = response.headers["location"]
            assert not redirected and location.startswith(f"/s/{token}?onset="), (url, location)
            url, redirected = location, True
            continue
        redirected = False
        assert response.status_code == 200, response.text
        if served is not None:
            served.append((url, response.text))
        if DONE in response.text:
            return keys
        page = Page(response.text)
        form = page.step_form
        if until is not None and step_key(response.text) == until:
            return keys
        if form is None:  # a waiting page, a timed pause or picture, or a text's next page
            if page.refresh:
                clock.advance(page.refresh[0])
                url = page.refresh[1] or f"/s/{token}"
            else:
                (url,) = page.hrefs
            continue
        for source in page.sources:
            media = checked(client.get(source))
            assert media.status_code == 200 and media.content, source
            if served is not None:
                served.append((source, ""))
        clock.advance(30)  # the participant reads, watches, answers
        posted = checked(client.post(form.action, data=answered(form)))
        assert posted.status_code == 303, posted.text
        keys.append(form.fields["key"])
        url = posted.headers["location"]
    raise AssertionError("the session did not end")


def responses(study, participant, key=None):
    return [
        r for r in study.store.rows("responses") if r["participant"] == participant and key in (None, r["step_key"])
    ]


def test_a_participant_answers_every_step_type_in_the_browser(online_study, client, links, clock):
    start(client, links[0])
    keys = run(client, links[0], clock)
    person = online_study.store.participant("web00001")
    assert person.status == "completed" and person.intake == {"sex": "female", "age": 34, "name": "Robin"}
    assert keys == [o.key for o in plan(online_study.protocol, person.cell)]  # each step once, in order
    shown = {online_study.protocol.step(key.split("@")[0]).type for key in keys}
    assert shown == {"text", "script", "rating", "questionnaire", "pause", "image", "audio", "video"}
    steps = [s for s in online_study.store.rows("steps") if s["participant"] == "web00001"]
    assert {s["frontend"] for s in steps} == {"web"}
    assert len(responses(online_study, "web00001", "itch_baseline")) == 1
    assert len(responses(online_study, "web00001", "expectancy")) == 4  # every item of the questionnaire
    late = [s for s in steps if s["step_key"].startswith("itch_post@")]
    assert len(late) == 3 and all('"late_s"' in s["detail"] for s in late)  # shown only once due
    assert audit_study(online_study).problems == []
    long = pd.read_csv(export_study(online_study) / "long.csv")
    mine = long[long["participant"] == "web00001"]
    assert len(mine) == len(responses(online_study, "web00001"))
    # what the browser entered: the second option (0-10: 1; the 1-7 check: 2), a 0-100 slider's middle
    by_step = mine.groupby("step")["value"].agg(set).to_dict()
    assert by_step == {"itch_baseline": {50.0}, "expectancy": {1.0}, "check": {2.0}, "itch_post": {50.0}}


def test_a_get_enrols_nobody_and_a_post_enrols_once(online_study, client, links):
    for _ in range(2):
        page = checked(client.get(f"/s/{links[0]}"))
        assert page.status_code == 200 and 'action="/s/' in page.text
    checked(client.head(f"/s/{links[0]}"))
    assert online_study.store.participants() == []
    form = Page(client.get(f"/s/{links[0]}").text).forms[0]
    for _ in range(2):  # a double click on Start
        response = client.post(form.action, data={**form.fields, **INTAKE})
        assert response.status_code == 303
    assert [p.id for p in online_study.store.participants()] == ["web00001"]
    assert online_study.store.allocation_summary()["allocated"] == 1
    assert [e["kind"] for e in online_study.store.rows("events")].count("allocated") == 1


def test_a_wrong_intake_is_asked_again_and_enrols_nobody(online_study, client, links):
    form = Page(client.get(f"/s/{links[0]}").text).forms[0]
    response = checked(client.post(form.action, data={**form.fields, **INTAKE, "age": "12"}))
    assert response.status_code == 400
    assert "Age in years: 12 is outside 18–99" in response.text and 'value="Robin"' in response.text
    missing = client.post(form.action, data={**form.fields, "age": "40"})
    assert missing.status_code == 400 and "Sex: an answer is needed" in missing.text
    forged = client.post(form.action, data={**INTAKE, "csrf": "0" * 64})
    assert forged.status_code == 403
    assert online_study.store.participants() == []


def test_stale_double_and_forged_submits_record_nothing_twice(online_study, client, links, clock):
    start(client, links[0])
    (welcome,) = run(client, links[0], clock, until="itch_baseline")
    page = client.get(f"/s/{links[0]}").text
    form = Page(page).step_form
    unanswered = client.post(form.action, data=form.fields)  # no answer chosen
    assert unanswered.status_code == 400 and "Please answer every question" in unanswered.text
    forged = client.post(form.action, data={**answered(form), "csrf": "f" * 64})
    assert forged.status_code == 403 and "Nothing was saved" in forged.text
    assert responses(online_study, "web00001", "itch_baseline") == []
    for _ in range(2):  # a double submit: the second names a step no longer current
        assert client.post(form.action, data=answered(form)).status_code == 303
    assert len(responses(online_study, "web00001", "itch_baseline")) == 1
    before = online_study.store.rows("steps")
    back = client.post(form.action, data={**answered(form), "item-": "77"})  # the back button, another answer
    assert back.status_code == 303 and back.headers["location"] == f"/s/{links[0]}"
    assert online_study.store.rows("steps") == before
    assert responses(online_study, "web00001", "itch_baseline")[0]["value"] == 50.0  # the first answer stands
    assert welcome == "welcome"


def test_a_closed_tab_or_another_device_resumes_at_the_first_unanswered_step(online_study, app, client, links, clock):
    start(client, links[0])
    run(client, links[0], clock, until="expectancy")
    other_device = TestClient(app, follow_redirects=False)
    resumed = checked(other_device.get(f"/s/{links[0]}"))
    assert step_key(resumed.text) == "expectancy"
    assert online_study.store.completed_steps("web00001") == {
        "welcome",
        "itch_baseline",
        "portrait",
        "voice",
        "vignette",
        "clinician",
    }
    run(other_device, links[0], clock)
    assert online_study.store.participant("web00001").status == "completed"
    again = checked(client.get(f"/s/{links[0]}"))  # a completed link shows the completion page again
    assert again.status_code == 200 and DONE in again.text
    assert client.post(f"/s/{links[0]}/start", data=INTAKE).status_code == 403  # no form token: nothing
    assert len(online_study.store.participants()) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/s/h7aE5osCtEUaxZAP9EQw3kBujB5GUeRRUCU0MOV5XN0",  # well formed (a random token), no such link
        "/s/abc",
        "/s/" + "A" * 44,
        "/s/%2e%2e%2fstudy.db",
        "/s/aBOzYN7BNP7jlngpMT_4a_7Wv-LYGcfBub9EpP9zPkU/media/x.mp4",  # fixed: parallel workers collect alike
        "/",
        "/static/../study.db",
    ],
)
def test_unknown_and_malformed_links_are_a_plain_404(client, links, path):
    response = checked(client.get(path))
    assert response.status_code == 404 and "This link is not valid" in response.text
    assert "Traceback" not in response.text and "web0" not in response.text
    posted = checked(client.post(path + "/step", data={"key": "welcome"}))
    assert posted.status_code == 404


def test_one_participants_link_never_reads_anothers_page(online_study, client, links, clock):
    start(client, links[0])
    start(client, links[1], {**INTAKE, "name": "Sasha"})
    run(client, links[0], clock, until="vignette")
    run(client, links[1], clock, until="vignette")
    first, second = (client.get(f"/s/{token}", follow_redirects=True).text for token in links[:2])
    assert "Sasha" not in first and "Robin" not in second
    form, media = Page(first).step_form, Page(first).sources[0]
    clock.advance(30)
    assert client.post(f"/s/{links[1]}/step", data=answered(form)).status_code == 403  # A's form at B's link
    assert client.get(media.replace(links[0], links[1])).status_code == 404  # A's film at B's link
    assert Page(second).sources[0] != media.replace(links[0], links[1])
    assert online_study.store.completed_steps("web00002") == {"welcome", "itch_baseline", "portrait", "voice"}


def test_no_cell_or_level_name_in_any_page_url_or_file_name(online_study, client, links, clock):
    served = []
    for token in links:
        start(client, token)
        run(client, token, clock, served=served)
    cells = {p.cell for p in online_study.store.participants()}
    assert len(cells) > 1, "the check needs participants in more than one cell"
    forbidden = set()
    for cell in online_study.protocol.cells:
        forbidden |= {cell.id, cell.id.replace("/", "-"), cell.id.replace("/", "_")}
    forbidden |= {"clinician-warm", "clinician-neutral", "vignette-", "voice.wav", "neutral"}
    for url, html in served:
        for name in forbidden:
            assert name not in url and name not in html, (name, url)
    media = [url for url, html in served if "/media/" in url]
    assert len(media) == 3 * len(links) and len(set(media)) == len(media)  # a name per participant and step


def test_media_are_served_only_as_the_current_step(online_study, client, links, clock):
    start(client, links[0])
    run(client, links[0], clock, until="vignette")
    page = Page(client.get(f"/s/{links[0]}", follow_redirects=True).text)
    (film,) = page.sources
    response = client.get(film)
    assert response.headers["content-type"] == "video/mp4" and "content-disposition" not in response.headers
    cell = online_study.store.participant("web00001").cell
    (frozen,) = [
        c for name, c in online_study.store.files().items() if name.endswith(f"vignette-{cell.replace('/', '-')}.mp4")
    ]
    assert response.content == frozen
    early = client.post(page.step_form.action, data=page.step_form.fields)  # before the film could have ended
    assert early.status_code == 400 and "watch or listen to the end" in early.text
    clock.advance(30)
    assert client.post(page.step_form.action, data=page.step_form.fields).status_code == 303
    assert client.get(film).status_code == 404  # no longer the current step


def test_the_stylesheet_is_served_by_the_study_itself(client):
    css = checked(client.get("/static/style.css"))
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and "main {" in css.text
    assert "http" not in css.text  # nothing fetched from elsewhere


def test_an_experimenter_pause_is_refused_before_anyone_enrols(tmp_path):
    with Study.init(FLAGSHIP, tmp_path / "flagship", seed=1) as study:
        with pytest.raises(ProtocolError, match=r"step cream \(pause\): an online session has no experimenter"):
            create_app(study)
    served = CliRunner().invoke(main, ["serve", str(tmp_path / "flagship"), "--port", "1"])
    assert served.exit_code == 3 and "step cream (pause)" in served.output
    made = CliRunner().invoke(main, ["links", str(tmp_path / "flagship"), "-n", "2"])
    assert made.exit_code == 3
    validated = CliRunner().invoke(main, ["validate", str(FLAGSHIP), "--frontend", "web"])
    assert validated.exit_code == 3 and "warmth-competence-itch.yaml:" in validated.output
    video = CliRunner().invoke(
        main, ["validate", str(ROOT / "protocols" / "video-vignette-anxiety.yaml"), "--frontend", "web"]
    )
    assert video.exit_code == 0 and "web can show every step" in video.output
    with Study.open(tmp_path / "flagship") as study:
        assert study.store.participants() == [] and study.link_participant("x" * 43) is None


def test_links_print_tokens_the_store_keeps_only_hashes_of(online_study, tmp_path):
    folder = online_study.folder
    online_study.close()
    result = CliRunner().invoke(main, ["links", str(folder), "-n", "3", "--base-url", "https://study.example.org/"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "participant,token,url"
    rows = [line.split(",") for line in lines[1:]]
    assert [r[0] for r in rows] == ["web00001", "web00002", "web00003"]
    database = (folder / "study.db").read_bytes()
    for _participant, token, url in rows:
        assert len(token) == 43 and url == f"https://study.example.org/s/{token}"
        assert token.encode() not in database
        assert hashlib.sha256(token.encode()).hexdigest().encode() in database
    with Study.open(folder) as study:
        assert [study.link_participant(r[1]) for r in rows] == ["web00001", "web00002", "web00003"]


def test_a_timed_pause_shows_no_button_until_its_time_and_cannot_be_cut_short(online_study, client, links, clock):
    start(client, links[0])
    run(client, links[0], clock, until="cream")  # returns at its page once the button shows; begin it afresh
    clock.advance(60)
    page = Page(client.get(f"/s/{links[0]}", follow_redirects=True).text)
    assert page.step_form is None and page.refresh[0] == 20  # no button: the page reloads when the pause ends
    signed = dict(part.split("=") for part in page.refresh[1].split("?")[1].split("&"))
    early = {"key": "cream", "onset": signed["onset"], "csrf": signed["sig"]}
    clock.advance(10)
    response = client.post(f"/s/{links[0]}/step", data=early)
    assert response.status_code == 303 and "onset=" in response.headers["location"]
    assert "cream" not in online_study.store.completed_steps("web00001")
    clock.advance(10)
    after = Page(client.get(page.refresh[1]).text)
    assert after.step_form is not None and after.step_form.fields["onset"] == signed["onset"]
    assert client.post(f"/s/{links[0]}/step", data=after.step_form.fields).status_code == 303
    assert "cream" in online_study.store.completed_steps("web00001")


def test_a_reload_during_a_timed_step_neither_starts_its_wait_over_nor_moves_its_onset(
    online_study, app, client, links, clock
):
    """F5 reloads the address the browser shows: once a timed step (a pause, a picture, a sound, a film) is shown,
    that address carries its first onset, so the wait goes on where it was and the onset stored is the first
    showing's. Another device opening the link shows the same step, its wait from then on."""
    start(client, links[0])
    run(client, links[0], clock, until="cream")
    clock.advance(60)  # begun afresh: the link opened again
    first = clock.now()
    shown = client.get(f"/s/{links[0]}", follow_redirects=True)  # as a browser opens the link
    address = str(shown.url)  # what its address bar then shows, and F5 reloads
    assert Page(shown.text).refresh[0] == 20
    clock.advance(15)
    reloaded = Page(checked(client.get(address)).text)
    assert reloaded.step_form is None and reloaded.refresh[0] == 5  # the wait goes on; it did not start over
    other_device = Page(TestClient(app).get(f"/s/{links[0]}").text)
    assert other_device.step_form is None and other_device.refresh[0] == 20  # the pause, its own wait
    clock.advance(5)
    after = Page(checked(client.get(address)).text)
    assert after.step_form is not None and after.step_form.fields["onset"] == f"{first:.3f}"
    assert client.post(after.step_form.action, data=after.step_form.fields).status_code == 303
    (row,) = [r for r in online_study.store.rows("steps") if r["step_key"] == "cream"]
    assert row["shown_at"] == first and row["completed_at"] == first + 20
    start(client, links[1])
    assert client.get(f"/s/{links[1]}").status_code == 200  # an untimed step: its address is the link, no detour


def test_the_same_session_on_a_postgresql_store(tmp_path, pg_url, clock):
    with Study.init(online_protocol(tmp_path), tmp_path / "study", seed=7, store_url=pg_url) as study:
        ((token, participant),) = study.new_links(1)
        client = TestClient(create_app(study, secret=b"p" * 32, clock=clock), follow_redirects=False)
        start(client, token)
        keys = run(client, token, clock)
        assert study.store.participant(participant).status == "completed"
        assert keys == [o.key for o in plan(study.protocol, study.store.participant(participant).cell)]
        assert audit_study(study).problems == []


def test_a_step_the_store_cannot_save_now_is_shown_again_with_its_answers(
    online_study, client, links, clock, monkeypatch, caplog
):
    """The store refuses for a moment (PostgreSQL's log locked by another station, a full disk): the participant
    is told that nothing was saved and gets the page again with their answers, not a bare error page; pressing
    Continue again saves them once."""
    start(client, links[0])
    run(client, links[0], clock, until="itch_baseline")
    form = Page(client.get(f"/s/{links[0]}").text).step_form
    data = answered(form, pick=3)

    def locked(*args, **kwargs):
        raise StoreError("the study's log is locked by another station for more than 5 s; nothing was recorded")

    with monkeypatch.context() as patched:
        patched.setattr(online_study.store, "record_step", locked)
        refused = checked(client.post(form.action, data=data))
    assert refused.status_code == 503 and "could not be saved just now, so nothing was saved" in refused.text
    given = {name: value for name, value in data.items() if name.startswith("item-")}
    assert given and shown_answers(refused.text) == given
    assert "itch_baseline of web00001 was not recorded: the study's log is locked" in caplog.text
    assert responses(online_study, "web00001", "itch_baseline") == []
    assert checked(client.post(form.action, data=data)).status_code == 303  # Continue again: saved once
    assert [r["value"] for r in responses(online_study, "web00001", "itch_baseline")] == [
        float(v) for v in given.values()
    ]


def shown_answers(html: str) -> dict[str, str]:
    """The answers a page shows filled in: its radio options checked, its sliders' typed fields with a value."""
    inputs = [dict(re.findall(r'([\w-]+)(?:="([^"]*)")?', tag)) for tag in re.findall(r"<input ([^>]*)>", html)]
    return {
        a["name"]: a["value"]
        for a in inputs
        if a.get("name", "").startswith("item-") and a.get("value") and (a["type"] != "radio" or "checked" in a)
    }


def test_a_step_another_tab_recorded_meanwhile_is_stale_not_an_error(online_study, client, links, clock, monkeypatch):
    """Two tabs send the session's last step to two workers: one records it and completes the session; the
    other's store refuses ("completed, not running" on PostgreSQL, "already recorded" on SQLite). That tab is
    sent on to the completion page, as for any stale form: no error page, the step stored once."""
    start(client, links[0])
    run(client, links[0], clock, until="debrief")
    form = Page(client.get(f"/s/{links[0]}").text).step_form
    record_step = online_study.store.record_step

    def other_worker_first(participant, record, completes_session=False):
        record_step(participant, record, completes_session)  # the other tab's worker, a moment earlier
        raise StoreError(f"refused: participant {participant}'s session is completed, not running")

    with monkeypatch.context() as patched:
        patched.setattr(online_study.store, "record_step", other_worker_first)
        posted = checked(client.post(form.action, data=answered(form)))
    assert posted.status_code == 303 and posted.headers["location"] == f"/s/{links[0]}"
    assert DONE in client.get(posted.headers["location"]).text
    assert [s["step_key"] for s in online_study.store.rows("steps")].count("debrief") == 1


def test_an_enrolment_the_store_cannot_save_now_shows_the_start_page_again_with_what_was_typed(
    online_study, client, links, monkeypatch, caplog
):
    """The store refuses the enrolment for a moment (the log locked, a full disk): the start page again with the
    intake typed and "press Start again" (503), logged on the server's console, nobody enrolled; Start again
    enrols once."""
    (form,) = Page(client.get(f"/s/{links[0]}").text).forms

    def locked(*args, **kwargs):
        raise StoreError("the study's log is locked by another station for more than 5 s; nothing was recorded")

    with monkeypatch.context() as patched:
        patched.setattr(online_study.store, "enrol", locked)
        refused = checked(client.post(form.action, data={**form.fields, **INTAKE}))
    assert (
        refused.status_code == 503 and "nothing was saved. Please wait a moment and press “Start” again" in refused.text
    )
    assert 'value="female" required checked' in refused.text and 'value="34"' in refused.text
    assert 'value="Robin"' in refused.text
    assert "web00001 was not enrolled: the study's log is locked" in caplog.text
    assert online_study.store.participants() == []
    (again,) = Page(refused.text).forms
    assert (again.action, again.fields["csrf"]) == (form.action, form.fields["csrf"])
    assert checked(client.post(again.action, data={**again.fields, **INTAKE})).status_code == 303
    assert [p.id for p in online_study.store.participants()] == ["web00001"]


def test_a_waiting_page_names_what_comes_by_its_title_as_text_never_by_its_key(tmp_path, clock):
    """The waiting page before a scheduled step says what comes, as the terminal and the lab window do (it said
    "the next part of the study"): the step's title, escaped like every protocol text (it is untrusted)."""
    protocol = online_protocol(tmp_path)
    rating = "  - id: itch_post\n    type: rating\n"
    replace_once(protocol, rating, rating + '    title: "Your <b>itch</b> now"\n')
    Study.init(protocol, tmp_path / "study", seed=7).close()
    with Study.open(tmp_path / "study", writing=True, any_thread=True) as study:
        client = TestClient(create_app(study, secret=b"s" * 32, clock=clock), follow_redirects=False)
        (token,) = [token for token, _ in study.new_links(1)]
        start(client, token)
        served: list = []
        run(client, token, clock, served=served)
    waiting = [html for _, html in served if "<h1>Please wait</h1>" in html]
    assert len(waiting) >= 3  # before each of itch_post's three occasions (again where its refresh came early)
    for html in waiting:
        assert "</span>: Your &lt;b&gt;itch&lt;/b&gt; now." in html and "itch_post" not in html
