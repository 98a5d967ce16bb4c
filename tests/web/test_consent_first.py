"""A consent step that every plan begins with is a link's first page, before enrolment (Starlette's TestClient, on
SQLite and PostgreSQL): a GET stores nothing; agreeing leads to the intake, whose POST enrols and records the
consent as the session's first step (its answer, text hash, statements and timing); declining allocates
nothing, is logged, counted before randomisation and shown again as the thank-you page; a start form without a
valid agreement enrols no one; a Prolific decliner is never sent to the completion URL nor enrolled later; a
crash between enrolment and the consent's record asks the consent again in the session."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pandas as pd
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from placebolab.allocation.audit import audit_study
from placebolab.allocation.consort import consort_counts
from placebolab.cli import main
from placebolab.components.catalogue import catalogue
from placebolab.errors import StoreError
from placebolab.export import export_study
from placebolab.frontends.web.app import WebSessions, create_app, first_consent, prolific_token
from placebolab.session import VirtualClock
from placebolab.study import Study
from tests.conftest import station_folder
from tests.consent.protocols import PROTOCOL, consent_sha256, write_consent_protocol

from .conftest import Page

SAY = catalogue("en")
START = 1_800_000_000.0
WITH_INTAKE = PROTOCOL.replace(
    "timeline:\n",
    "intake:\n  - {id: sex, type: choice, label: Sex, choices: [female, male]}\n"
    "  - {id: age, type: integer, label: Age, min: 18, max: 99}\ntimeline:\n",
)
INTAKE = {"sex": "female", "age": "34"}
#: the page script's report, as placebolab.js posts it with a form
REPORT = json.dumps(
    {
        "onset_ms": 120.5,
        "rt_ms": 11800.0,
        "hidden_count": 0,
        "hidden_ms": 0,
        "window": [1000, 720],
        "pixel_ratio": 2,
        "refresh_hz": 60,
        "user_agent": "Mozilla/5.0 Chrome/130",
    }
)
CLIENT_KEYS = {f"client_{key}" for key in json.loads(REPORT)}


def open_study(tmp_path, backend, text=WITH_INTAKE):
    Study.init(write_consent_protocol(tmp_path / "protocol", text), tmp_path / "study", seed=11, store_url=backend)
    return Study.open(tmp_path / "study", writing=True, any_thread=True)  # as the web server opens it


@pytest.fixture
def study(tmp_path, backend):
    opened = open_study(tmp_path, backend)
    yield opened
    opened.close()


@pytest.fixture
def clock():
    return VirtualClock(START)


@pytest.fixture
def client(study, clock):
    return TestClient(create_app(study, secret=b"k" * 32, clock=clock), follow_redirects=False)


@pytest.fixture
def token(study):
    ((token, _participant),) = study.new_links(1)
    return token


def consent_form(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.text
    (form,) = Page(response.text).forms
    return response, form


def agree(web, form, **extra):
    return web.post(form.action, data={**form.fields, "consent": "agree", **extra})


def start_form(web, form, **extra):
    """Agreed on the consent page: it redirects to the start page, whose address carries the agreement; its form."""
    agreed = agree(web, form, **extra)
    assert agreed.status_code == 303 and "agreement=" in agreed.headers["location"], agreed.text
    page = web.get(agreed.headers["location"])
    assert page.status_code == 200, page.text
    (start,) = Page(page.text).forms
    return start


def decline(client, form):
    unticked = {k: v for k, v in form.fields.items() if not k.startswith("statement-")}
    return client.post(form.action, data={**unticked, "consent": "decline"})


def stored(study):
    """What the store holds that a visit could have changed: the log's head, participants, slots used."""
    return study.store.head(), study.store.participants(), study.store.allocation_summary()


def test_the_consent_is_a_links_first_page_and_a_get_stores_nothing(study, client, token):
    before = stored(study)
    for _ in range(2):
        page, form = consent_form(client, f"/s/{token}")
        assert form.action == f"/s/{token}/consent" and form.fields["key"] == "consent"
        assert "You will rate an itch" in page.text and "<h1>Taking part</h1>" in page.text
        assert page.text.count('type="checkbox"') == 2 and form.buttons == {"consent": ["agree", "decline"]}
        assert "formnovalidate" in page.text and SAY("web.welcome") not in page.text  # the consent page's own look
    assert stored(study) == before
    assert study.store.participant("web00001") is None


def test_agreeing_then_the_intake_enrols_and_records_the_consent_as_the_first_step(study, client, token, clock):
    _, form = consent_form(client, f"/s/{token}")
    unticked = {k: v for k, v in form.fields.items() if k != "statement-data"}
    refused = client.post(form.action, data={**unticked, "consent": "agree"})
    assert refused.status_code == 400 and SAY("web.consent_tick_every", decline=SAY("consent.decline")) in refused.text
    before = stored(study)
    clock.advance(12)
    agreed = agree(client, form, client=REPORT)  # answered by a redirect: a reload of the intake posts nothing
    address = agreed.headers["location"]
    assert agreed.status_code == 303 and address.startswith(f"/s/{token}?agreement=") and len(address) < 2000
    intake = client.get(address)
    assert intake.status_code == 200 and SAY("web.welcome") in intake.text
    assert client.get(address).text == intake.text  # reloaded: the same start page
    (start,) = Page(intake.text).forms
    assert start.action == f"/s/{token}/start" and {"agreement", "agreement_sig"} <= set(start.fields)
    carried = json.loads(base64.urlsafe_b64decode(start.fields["agreement"]))
    assert set(carried) == {"key", "shown_at", "answered_at", "detail"} and "cell" not in address
    assert stored(study) == before  # agreed, nothing stored: the intake is asked first
    assert SAY("web.welcome") not in client.get(f"/s/{token}").text  # the link without it: the consent again
    clock.advance(5)
    wrong = client.post(start.action, data={**start.fields, **INTAKE, "age": "12"})
    assert wrong.status_code == 400 and stored(study) == before
    (again,) = Page(wrong.text).forms  # the agreement is carried again
    assert again.fields["agreement"] == start.fields["agreement"]
    enrolled = client.post(again.action, data={**again.fields, **INTAKE})
    assert enrolled.status_code == 303 and enrolled.headers["location"] == f"/s/{token}"

    person = study.store.participant("web00001")
    assert person.intake == {"sex": "female", "age": 34} and person.started_at == START + 17
    assert study.store.allocation_summary()["allocated"] == 1
    (row,) = [r for r in study.store.rows("steps") if r["participant"] == "web00001"]
    assert (row["step_key"], row["shown_at"], row["completed_at"], row["frontend"]) == (
        "consent",
        START,
        START + 12,
        "web",
    )
    detail = json.loads(row["detail"])
    assert detail["consent_sha256"] == consent_sha256() and detail["consent_checked"] == ["read", "data"]
    assert detail["server_received_at"] == START + 12 and detail["client_rt_ms"] == 11800.0
    assert CLIENT_KEYS <= set(detail)
    (answer,) = [r for r in study.store.rows("responses") if r["participant"] == "web00001"]
    assert (answer["value"], answer["rt"], answer["responded_at"]) == (1.0, 12.0, START + 12)
    page = client.get(f"/s/{token}")
    assert 'name="key" value="itch"' in page.text  # the consent is done: the session's next step
    assert client.post(again.action, data={**again.fields, **INTAKE}).status_code == 303  # a double click: nothing
    assert study.store.allocation_summary()["allocated"] == 1

    out = export_study(study)
    long = pd.read_csv(out / "long.csv", keep_default_na=False)
    (consent,) = long[(long["participant"] == "web00001") & (long["step"] == "consent")].itertuples()
    assert float(consent.value) == 1.0
    steps = pd.read_csv(out / "steps.csv").set_index("step")
    assert {"consent_sha256", "consent_checked", "client_rt_ms"} <= set(json.loads(steps.loc["consent", "detail"]))
    assert audit_study(study).problems == []


def test_agreeing_enrols_at_once_when_the_protocol_asks_no_intake(tmp_path, backend, clock):
    study = open_study(tmp_path, backend, PROTOCOL)
    try:
        ((token, participant),) = study.new_links(1)
        client = TestClient(create_app(study, secret=b"k" * 32, clock=clock), follow_redirects=False)
        _, form = consent_form(client, f"/s/{token}")
        clock.advance(3)
        enrolled = agree(client, form)
        assert enrolled.status_code == 303 and enrolled.headers["location"] == f"/s/{token}"
        assert study.store.step_values(participant, "consent") == {"": 1.0}
        assert 'name="key" value="itch"' in client.get(f"/s/{token}").text
        assert agree(client, form).status_code == 303  # the back button: nothing more
        assert study.store.allocation_summary()["allocated"] == 1
        assert audit_study(study).problems == []
    finally:
        study.close()


def test_declining_before_enrolment_allocates_nothing_is_logged_and_counted(study, client, token, clock):
    _, form = consent_form(client, f"/s/{token}")
    _, other_tab = consent_form(client, f"/s/{token}")
    start = start_form(client, other_tab)  # agreed in another tab, before the decline
    slots = study.store.allocation_summary()
    clock.advance(20)
    assert decline(client, form).status_code == 303
    assert study.store.participant("web00001") is None and study.store.allocation_summary() == slots
    last = study.store.rows("events")[-1]
    assert (last["kind"], last["participant"]) == ("declined_consent", "web00001")
    assert json.loads(last["detail"]) == {
        "step": "consent",
        "consent_sha256": consent_sha256(),
        "shown_at": START,
        "answered_at": START + 20,
    }
    for _ in range(2):  # the thank-you page again, never the consent
        page = client.get(f"/s/{token}")
        assert page.status_code == 200 and SAY("web.declined_text") in page.text and "<form" not in page.text
    head = study.store.head()
    assert decline(client, form).status_code == 303 and agree(client, form).status_code == 303  # the back button
    assert client.post(start.action, data={**start.fields, **INTAKE}).status_code == 303  # the other tab's intake
    assert study.store.head() == head and study.store.participant("web00001") is None
    assert audit_study(study).problems == []

    counts = consort_counts(study)
    assert (counts["enrolled"], counts["declined_before_enrolment"], counts["declined_consent"]) == (0, 1, 0)
    assert all(c["allocated"] == 0 for c in counts["cells"].values())
    flow = json.loads((export_study(study) / "consort.json").read_text())
    assert flow["declined_before_enrolment"] == 1
    status = CliRunner().invoke(main, ["status", str(study.folder)], terminal_width=200)
    assert status.exit_code == 0, status.output
    assert "0 enrolled (0 simulated, 0 pilot); 1 declined consent before enrolment (not allocated);" in status.output


def test_a_links_consent_start_and_first_step_pages_read_the_store_once(study, client, token, monkeypatch):
    """The link's state is kept from its first page (frontends/web/kept_sessions.py): not enrolled through the
    consent and start pages, then the session the enrolment started."""
    reads = []
    link = study.link
    monkeypatch.setattr(study, "link", lambda t: reads.append(t) or link(t))
    _, form = consent_form(client, f"/s/{token}")
    start = start_form(client, form)
    assert client.post(start.action, data={**start.fields, **INTAKE}).status_code == 303
    assert 'name="key" value="itch"' in client.get(f"/s/{token}").text
    assert reads == [token]


class Deaf:
    """A store's watch that hears nothing: another worker's change notice not come yet."""

    def changed(self):
        return frozenset()


def test_a_link_kept_as_not_enrolled_that_another_worker_enrolled_is_enrolled_once(
    study, client, token, clock, monkeypatch
):
    """Worker A kept the link as not enrolled; worker B enrols it, and A hears nothing of it yet: A's start form
    enrols no one a second time, and its next page is the session B started."""
    other = Study.open(study.folder, writing=True, any_thread=True)
    try:
        worker_b = TestClient(create_app(other, secret=b"k" * 32, clock=clock), follow_redirects=False)
        monkeypatch.setattr(study, "watch_changes", lambda: Deaf())
        worker_a = TestClient(create_app(study, secret=b"k" * 32, clock=clock), follow_redirects=False)
        _, form = consent_form(worker_a, f"/s/{token}")
        start = start_form(worker_a, form)  # kept: not enrolled
        _, form_b = consent_form(worker_b, f"/s/{token}")
        start_b = start_form(worker_b, form_b)
        assert worker_b.post(start_b.action, data={**start_b.fields, **INTAKE}).status_code == 303
        assert worker_a.post(start.action, data={**start.fields, **INTAKE}).status_code == 303
        assert 'name="key" value="itch"' in worker_a.get(f"/s/{token}").text  # B's session: the step after consent
        assert study.store.allocation_summary()["allocated"] == 1
        assert [s["step_key"] for s in study.store.rows("steps")] == ["consent"]
    finally:
        other.close()


def test_an_enrolment_without_a_valid_agreement_is_refused(study, client, token):
    ((other, _),) = study.new_links(1)
    _, form = consent_form(client, f"/s/{token}")
    start = start_form(client, form)
    _, form = consent_form(client, f"/s/{other}")
    elsewhere = start_form(client, form)
    text = json.loads(base64.urlsafe_b64decode(start.fields["agreement"]))
    forged = base64.urlsafe_b64encode(json.dumps({**text, "shown_at": 0}, sort_keys=True).encode()).decode()
    missing = {k: v for k, v in start.fields.items() if not k.startswith("agreement")}
    for fields in (
        missing,  # an old start page, or a form made up
        {**start.fields, "agreement_sig": "0" * 64},
        {**start.fields, "agreement": forged},
        {**missing, "agreement": elsewhere.fields["agreement"], "agreement_sig": elsewhere.fields["agreement_sig"]},
    ):
        refused = client.post(start.action, data={**fields, **INTAKE})
        assert refused.status_code == 403 and SAY("web.expired_heading") in refused.text
        carried = {name: value for name, value in fields.items() if name.startswith("agreement")}
        (asked,) = Page(client.get(f"/s/{token}?" + urlencode(carried)).text).forms  # in the start page's address
        assert asked.action == f"/s/{token}/consent"  # no start page: the consent is asked
    assert study.store.participants() == [] and study.store.allocation_summary()["allocated"] == 0
    forged_consent = client.post(form.action, data={**form.fields, "consent": "agree", "csrf": "0" * 64})
    assert forged_consent.status_code == 403
    assert client.post(start.action, data={**start.fields, **INTAKE}).status_code == 303
    assert study.store.step_values("web00001", "consent") == {"": 1.0}


def test_a_prolific_participant_who_declines_first_is_not_sent_on_nor_enrolled_later(study, clock):
    code, pid = "C0DE1234", "5f" * 12
    prolific = TestClient(create_app(study, secret=b"k" * 32, clock=clock, prolific=code), follow_redirects=False)
    general = "/prolific?PROLIFIC_PID=" + pid + "&STUDY_ID=" + "a" * 24 + "&SESSION_ID=" + "b" * 24
    before = stored(study)
    _, form = consent_form(prolific, general)
    assert form.action == "/prolific/consent" and form.fields["PROLIFIC_PID"] == pid
    assert stored(study) == before
    _, other_tab = consent_form(prolific, general)
    start = start_form(prolific, other_tab)
    assert start.action == "/prolific/start" and stored(study) == before
    declined = decline(prolific, form)
    assert declined.status_code == 303 and declined.headers["location"].startswith("/prolific?")
    participant = study.link_participant(prolific_token(pid))
    assert participant == "pro00001" and study.store.participant(participant) is None
    for url in (general, f"/s/{prolific_token(pid)}"):  # Prolific's general link again, and the link itself
        page = prolific.get(url, follow_redirects=True)
        assert page.status_code == 200 and "app.prolific.com" not in str(page.url) and code not in page.text
        assert SAY("web.declined_text") in page.text and SAY("web.declined_prolific") in page.text
        assert "<form" not in page.text
    assert prolific.post(start.action, data={**start.fields, **INTAKE}).status_code == 303  # the other tab's intake
    assert agree(prolific, form).status_code == 303  # the consent page's back button
    assert study.store.participants() == [] and study.store.allocation_summary() == before[2]
    assert consort_counts(study)["declined_before_enrolment"] == 1
    assert audit_study(study).problems == []


def test_a_prolific_participant_agrees_then_reloads_the_intake_and_enrols_once(study, clock):
    pid = "6a" * 12
    prolific = TestClient(create_app(study, secret=b"k" * 32, clock=clock, prolific="C0DE1234"), follow_redirects=False)
    general = "/prolific?" + urlencode({"PROLIFIC_PID": pid, "STUDY_ID": "a" * 24, "SESSION_ID": "b" * 24})
    _, form = consent_form(prolific, general)
    clock.advance(7)
    agreed = agree(prolific, form)
    assert agreed.status_code == 303 and agreed.headers["location"].startswith(general + "&agreement=")
    pages = [prolific.get(agreed.headers["location"]) for _ in range(2)]  # shown, then reloaded
    assert pages[0].status_code == 200 and pages[1].text == pages[0].text
    (start,) = Page(pages[0].text).forms
    assert start.action == "/prolific/start" and start.fields["PROLIFIC_PID"] == pid
    assert study.store.participants() == []
    assert prolific.post(start.action, data={**start.fields, **INTAKE}).status_code == 303
    participant = study.link_participant(prolific_token(pid))
    assert study.store.step_values(participant, "consent") == {"": 1.0}
    again = prolific.get(agreed.headers["location"])  # the intake's address once enrolled: their session
    assert again.status_code == 303 and again.headers["location"] == f"/s/{prolific_token(pid)}"


def test_a_crash_between_enrolment_and_the_consents_record_asks_the_consent_again(study, token, clock, monkeypatch):
    app = create_app(study, secret=b"k" * 32, clock=clock)
    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    _, form = consent_form(client, f"/s/{token}")
    start = start_form(client, form)

    def crash(self, session, agreement):
        raise RuntimeError("the server died here")

    with monkeypatch.context() as patched:
        patched.setattr(WebSessions, "_record_consent", crash)
        assert client.post(start.action, data={**start.fields, **INTAKE}).status_code == 500
    assert study.store.participant("web00001") is not None and study.store.completed_steps("web00001") == set()
    assert client.post(start.action, data={**start.fields, **INTAKE}).status_code == 303  # sent again: enrolled
    assert study.store.completed_steps("web00001") == set()
    page = client.get(f"/s/{token}")  # the session's first step: the consent, asked again
    (step,) = Page(page.text).forms
    assert step.action == f"/s/{token}/step" and step.fields["key"] == "consent"
    clock.advance(4)
    assert agree(client, step).status_code == 303
    assert study.store.step_values("web00001", "consent") == {"": 1.0}
    assert 'name="key" value="itch"' in client.get(f"/s/{token}").text
    assert audit_study(study).problems == []


def locked(*args, **kwargs):
    raise StoreError("the study's log is locked by another station for more than 5 s; nothing was recorded")


def ticked(html):
    return html.count('value="1" required checked>')


def test_a_decline_or_an_enrolment_the_store_cannot_save_now_shows_its_page_again_as_sent(
    study, client, token, clock, monkeypatch, caplog
):
    """The store refuses for a moment (the log locked, a full disk): a decline shows the consent page again, and
    the start page after agreeing shows itself again, each as it was sent (statements ticked, the onset, the
    intake typed, the agreement carried), with "press … again" (503), logged; nothing is stored, and the same
    button again stores it once."""
    ((declining, decliner),) = study.new_links(1)
    _, form = consent_form(client, f"/s/{declining}")
    clock.advance(20)
    with monkeypatch.context() as patched:
        patched.setattr(study.store, "decline_consent", locked)
        refused = client.post(form.action, data={**form.fields, "consent": "decline"})
    assert refused.status_code == 503 and SAY("web.not_saved_press", button=SAY("consent.decline")) in refused.text
    (again,) = Page(refused.text).forms
    assert again.action == form.action and again.fields == form.fields and ticked(refused.text) == 2
    assert f"the consent {decliner} declined was not recorded: the study's log is locked" in caplog.text
    assert not study.consent_declined(decliner)
    clock.advance(5)
    assert decline(client, again).status_code == 303 and study.consent_declined(decliner)
    last = json.loads(study.store.rows("events")[-1]["detail"])
    assert (last["shown_at"], last["answered_at"]) == (START, START + 25)

    _, form = consent_form(client, f"/s/{token}")
    start = start_form(client, form)
    with monkeypatch.context() as patched:
        patched.setattr(study.store, "enrol", locked)
        refused = client.post(start.action, data={**start.fields, **INTAKE})
    assert refused.status_code == 503 and SAY("web.not_saved_press", button=SAY("web.start")) in refused.text
    (again,) = Page(refused.text).forms
    assert again.fields == {**start.fields, "age": "34"} and 'value="female" required checked' in refused.text
    assert "web00001 was not enrolled: the study's log is locked" in caplog.text
    assert study.store.participants() == []
    assert client.post(again.action, data={**again.fields, **INTAKE}).status_code == 303
    assert study.store.step_values("web00001", "consent") == {"": 1.0}
    assert study.store.allocation_summary()["allocated"] == 1


def test_agreeing_without_intake_the_store_cannot_save_now_shows_the_consent_again(
    tmp_path, clock, monkeypatch, caplog
):
    """Without intake fields, *I agree* enrols: refused by the store, the consent page again as it was sent (503);
    enrolled but its consent's record refused, the session asks the consent as its first step (logged)."""
    study = open_study(tmp_path, None, PROTOCOL)
    try:
        (token, participant), (second, other) = study.new_links(2)
        client = TestClient(create_app(study, secret=b"k" * 32, clock=clock), follow_redirects=False)
        _, form = consent_form(client, f"/s/{token}")
        with monkeypatch.context() as patched:
            patched.setattr(study.store, "enrol", locked)
            refused = agree(client, form)
        assert refused.status_code == 503 and SAY("web.not_saved_press", button=SAY("consent.agree")) in refused.text
        assert ticked(refused.text) == 2 and Page(refused.text).forms[0].fields == form.fields
        assert f"the consent {participant} gave was not recorded" in caplog.text and study.store.participants() == []
        assert agree(client, form).status_code == 303 and study.store.step_values(participant, "consent") == {"": 1.0}

        _, form = consent_form(client, f"/s/{second}")
        with monkeypatch.context() as patched:
            patched.setattr(study.store, "record_step", locked)
            enrolled = agree(client, form)
        assert enrolled.status_code == 303 and enrolled.headers["location"] == f"/s/{second}"
        assert f"the consent {other} gave before enrolment was not recorded (asked again)" in caplog.text
        (step,) = Page(client.get(f"/s/{second}").text).forms
        assert step.action == f"/s/{second}/step" and step.fields["key"] == "consent"
    finally:
        study.close()


def test_a_prolific_link_the_store_cannot_claim_now_shows_its_page_again(study, clock, monkeypatch, caplog):
    pid = "7b" * 12
    prolific = TestClient(create_app(study, secret=b"k" * 32, clock=clock, prolific="C0DE1234"), follow_redirects=False)
    general = "/prolific?" + urlencode({"PROLIFIC_PID": pid, "STUDY_ID": "a" * 24})
    _, form = consent_form(prolific, general)
    start = start_form(prolific, form)
    with monkeypatch.context() as patched:
        patched.setattr(study.store, "claim_link", locked)
        declined = decline(prolific, form)
        enrolled = prolific.post(start.action, data={**start.fields, **INTAKE})
    assert declined.status_code == 503 and Page(declined.text).forms[0].fields["PROLIFIC_PID"] == pid
    assert enrolled.status_code == 503 and SAY("web.not_saved_press", button=SAY("web.start")) in enrolled.text
    assert Page(enrolled.text).forms[0].fields == {**start.fields, "age": "34"}
    assert "a participant of Prolific's general link was not enrolled" in caplog.text
    assert study.link_participant(prolific_token(pid)) is None and study.store.participants() == []
    assert prolific.post(start.action, data={**start.fields, **INTAKE}).status_code == 303
    assert study.store.step_values(study.link_participant(prolific_token(pid)), "consent") == {"": 1.0}


def test_a_consent_after_a_first_page_of_some_cells_is_asked_in_the_session(tmp_path):
    cells_first = PROTOCOL.replace("timeline:\n", "timeline:\n  - {id: hello, type: text, text: Hi., cells: [warm]}\n")
    study = open_study(tmp_path, None, cells_first)
    try:
        assert first_consent(study.protocol) is None  # the neutral cell's plan begins with it, the warm one's not
        ((token, _),) = study.new_links(1)
        client = TestClient(create_app(study, secret=b"k" * 32), follow_redirects=False)
        (form,) = Page(client.get(f"/s/{token}").text).forms
        assert form.action == f"/s/{token}/start"  # the start page first, as before
    finally:
        study.close()
    with Study.init(write_consent_protocol(tmp_path / "p2", PROTOCOL), tmp_path / "s2", seed=1) as plain:
        assert first_consent(plain.protocol).key == "consent"


def test_a_station_serving_an_older_postgresql_study_is_refused_until_its_owner_opens_it(tmp_path, pg_url):
    owner = open_study(tmp_path, pg_url)
    ((token, participant),) = owner.new_links(1)
    owner.store._db.execute("DROP FUNCTION decline_consent(TEXT, TEXT)")  # a study made before it existed
    owner.close()
    folder = station_folder(tmp_path, pg_url, "web")
    station = Study.open(folder, writing=True, any_thread=True)
    try:
        assert not station.store.logs_declines
        with pytest.raises(StoreError, match="the study's owner adds it by opening the study once"):
            create_app(station, secret=b"k" * 32)
    finally:
        station.close()
    Study.open(tmp_path / "study").close()  # the owner's opening adds it
    station = Study.open(folder, writing=True, any_thread=True)
    try:
        assert station.store.logs_declines
        client = TestClient(create_app(station, secret=b"k" * 32, clock=VirtualClock(START)), follow_redirects=False)
        _, form = consent_form(client, f"/s/{token}")
        assert decline(client, form).status_code == 303  # the station logs it through the owner's function
        assert station.consent_declined(participant) and station.store.participant(participant) is None
        assert SAY("web.declined_text") in client.get(f"/s/{token}").text
    finally:
        station.close()
