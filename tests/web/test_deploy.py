"""Running online for real: Prolific's general link (one participant per Prolific ID, enrolled only by a POST,
sent to the completion URL only once the last answer is stored, IDs kept out of the export unless declared),
the enrolment rate limit, withdrawn participants' links, the signing secret kept across restarts, and the
SQLite connection shared across threads only for the web server."""

from __future__ import annotations

import sqlite3
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pandas as pd
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from placebolab.allocation.audit import audit_study
from placebolab.cli import main
from placebolab.errors import AlreadyEnrolled
from placebolab.export import export_study
from placebolab.frontends.web.app import (
    PROLIFIC_COMPLETE,
    SECRET_NAME,
    RateLimit,
    create_app,
    prolific_token,
    study_secret,
)
from placebolab.session import RealClock, Session, plan
from placebolab.study import Study, link_hash
from tests.conftest import FLAGSHIP
from tests.protocol.bad import replace_once

from .conftest import INTAKE, Page, answered, online_protocol, step_key
from .test_flow import checked, run

PID, STUDY_ID, SESSION_ID = "5f0a1b2c3d4e5f6a7b8c9d0e", "60aa11bb22cc33dd44ee55ff", "6123456789abcdef01234567"
GENERAL = "/prolific?" + urlencode({"PROLIFIC_PID": PID, "STUDY_ID": STUDY_ID, "SESSION_ID": SESSION_ID})
CODE = "C1A2B3C4"


@pytest.fixture
def prolific_client(online_study, clock):
    return TestClient(create_app(online_study, secret=b"s" * 32, clock=clock, prolific=CODE), follow_redirects=False)


def enrol_through_prolific(client, general=GENERAL, intake=INTAKE):
    page = Page(checked(client.get(general)).text)
    (form,) = page.forms
    assert form.action == "/prolific/start"
    response = checked(client.post(form.action, data={**form.fields, **intake}))
    assert response.status_code == 303, response.text
    return response.headers["location"].removeprefix("/s/")


def test_prolific_general_link_enrols_once_per_id_and_completes_on_prolific(online_study, prolific_client, clock):
    page = checked(prolific_client.get(GENERAL))
    assert (
        page.status_code == 200
        and "form-action 'self' https://app.prolific.com" in page.headers["content-security-policy"]
    )
    assert PID not in page.text.replace(f'value="{PID}"', "")  # only in the form's hidden field
    assert online_study.store.participants() == [] and online_study.link_participant(prolific_token(PID)) is None
    stale_form = Page(page.text).forms[0]  # a second tab's start page, sent after the first enrolled
    token = enrol_through_prolific(prolific_client)
    assert token == prolific_token(PID) and online_study.link_participant(token) == "pro00001"
    person = online_study.store.participant("pro00001")
    assert person.intake == {
        **{"sex": "female", "age": 34, "name": "Robin"},
        "prolific_pid": PID,
        "prolific_study_id": STUDY_ID,
        "prolific_session_id": SESSION_ID,
    }
    assert checked(prolific_client.post(stale_form.action, data={**stale_form.fields, **INTAKE})).status_code == 303
    again = prolific_client.get("/prolific?" + urlencode({"PROLIFIC_PID": PID.upper(), "SESSION_ID": "f" * 24}))
    assert again.status_code == 303 and again.headers["location"] == f"/s/{token}"  # the same session, resumed
    assert [p.id for p in online_study.store.participants()] == ["pro00001"]
    assert online_study.store.allocation_summary()["allocated"] == 1

    keys = [o.key for o in plan(online_study.protocol, person.cell)]
    run(prolific_client, token, clock, until=keys[-1])
    last = Page(prolific_client.get(f"/s/{token}").text).step_form
    assert last.fields["key"] == keys[-1]  # the last step is shown, not yet the completion: nothing sent away
    clock.advance(30)
    posted = prolific_client.post(last.action, data=answered(last))
    assert posted.status_code == 303 and posted.headers["location"] == f"/s/{token}"
    assert online_study.store.participant("pro00001").status == "completed"
    done = checked(prolific_client.get(f"/s/{token}"))
    assert done.status_code == 303 and done.headers["location"] == f"{PROLIFIC_COMPLETE}?cc={CODE}"
    assert prolific_client.get(GENERAL).headers["location"] == f"/s/{token}"  # and from the general link too

    folder = export_study(online_study)
    for path in folder.iterdir():  # the Prolific IDs are not declared in the protocol: never exported
        if path.is_file():
            text = path.read_bytes()
            assert PID.encode() not in text and STUDY_ID.encode() not in text and b"prolific" not in text, path.name
    wide = pd.read_csv(folder / "wide.csv")
    assert list(wide["participant"]) == ["pro00001"]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"PROLIFIC_PID": ""},
        {"PROLIFIC_PID": "{{%PROLIFIC_PID%}}"},  # a link tried out before Prolific filled it in
        {"PROLIFIC_PID": PID[:-1]},
        {"PROLIFIC_PID": PID[:-1] + "g"},
        {"PROLIFIC_PID": PID, "STUDY_ID": "not-an-id"},
    ],
)
def test_a_malformed_prolific_id_is_a_clear_page_and_enrols_nobody(online_study, prolific_client, query):
    page = checked(prolific_client.get("/prolific?" + urlencode(query)))
    assert page.status_code == 400 and "This study link is incomplete" in page.text and "Prolific" in page.text
    assert "Traceback" not in page.text and "<form" not in page.text
    posted = checked(prolific_client.post("/prolific/start", data={**query, "csrf": "x", **INTAKE}))
    assert posted.status_code == 400 and "This study link is incomplete" in posted.text
    assert online_study.store.participants() == []


def test_the_general_link_is_closed_without_prolific_and_its_form_must_be_signed(online_study, client, clock):
    assert client.get(GENERAL).status_code == 404  # serve without --prolific
    with_prolific = TestClient(create_app(online_study, secret=b"s" * 32, clock=clock, prolific=CODE))
    forged = with_prolific.post(
        "/prolific/start", data={"PROLIFIC_PID": PID, "csrf": "0" * 64, **INTAKE}, follow_redirects=False
    )
    assert forged.status_code == 403 and "expired" in forged.text
    assert online_study.store.participants() == [] and online_study.link_participant(prolific_token(PID)) is None
    with pytest.raises(ValueError, match="not a Prolific completion code"):
        create_app(online_study, secret=b"s" * 32, prolific="https://evil.example/")
    served = CliRunner().invoke(main, ["serve", str(online_study.folder), "--prolific", "a b"])
    assert served.exit_code == 2 and "not a completion code" in served.output


def test_a_prolific_id_declared_as_intake_is_not_asked_and_is_exported(tmp_path, clock):
    protocol = online_protocol(tmp_path)
    replace_once(
        protocol,
        "intake:\n",
        "intake:\n  - {id: prolific_pid, type: text, label: Prolific ID, example: 5f0a1b2c3d4e5f6a7b8c9d0e}\n",
    )
    Study.init(protocol, tmp_path / "declared", seed=7).close()
    with Study.open(tmp_path / "declared", writing=True, any_thread=True) as study:
        client = TestClient(create_app(study, secret=b"s" * 32, clock=clock, prolific=CODE), follow_redirects=False)
        start_page = client.get(GENERAL).text
        assert 'name="prolific_pid"' not in start_page  # filled from the link, not asked
        enrol_through_prolific(client)
        wide = pd.read_csv(export_study(study) / "wide.csv", dtype=str)
        assert list(wide["prolific_pid"]) == [PID]
        assert "prolific_study_id" not in wide.columns  # not declared: stored, not exported


def test_one_participant_per_prolific_id_when_many_claim_at_once(tmp_path, backend):
    """The store's guarantee, whatever the web server does: eight threads (each its own connection, as
    several workers have) claim one Prolific ID and enrol it at once: one link, one participant, one slot."""
    Study.init(online_protocol(tmp_path), tmp_path / "race", seed=7, store_url=backend).close()
    token_hash = link_hash(prolific_token(PID))
    barrier = threading.Barrier(8)

    def claim_and_enrol(_):
        with Study.open(tmp_path / "race", writing=True) as study:
            barrier.wait()
            participant = study.store.claim_link(token_hash, "pro")
            try:
                Session.start(study, participant, INTAKE, "web", RealClock(), external={"prolific_pid": PID})
                return participant, "enrolled"
            except AlreadyEnrolled:
                return participant, "already"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(claim_and_enrol, range(8)))
    assert {p for p, _ in outcomes} == {"pro00001"}
    assert sorted(o for _, o in outcomes) == ["already"] * 7 + ["enrolled"]
    with Study.open(tmp_path / "race") as study:
        assert [p.id for p in study.store.participants()] == ["pro00001"]
        assert study.store.allocation_summary()["allocated"] == 1
        assert study.store.claim_link(link_hash(prolific_token("a" * 24)), "pro") == "pro00002"
        created = [e for e in study.store.rows("events") if e["kind"] == "links_created"]
        assert len(created) == 2  # one log entry per link made, none for the claims that found it
        assert audit_study(study).problems == []


def test_enrolment_is_rate_limited_per_client_address(online_study, clock):
    links = [token for token, _ in online_study.new_links(4)]
    app = create_app(online_study, secret=b"s" * 32, clock=clock, rate_limit=RateLimit(2, 60, now=clock.now))
    client = TestClient(app, follow_redirects=False, client=("203.0.113.7", 4000))
    for token in links[:2]:
        form = Page(client.get(f"/s/{token}").text).forms[0]
        assert client.post(form.action, data={**form.fields, **INTAKE}).status_code == 303
    form = Page(client.get(f"/s/{links[2]}").text).forms[0]
    refused = checked(client.post(form.action, data={**form.fields, **INTAKE}))
    assert refused.status_code == 429 and "Too many attempts" in refused.text and refused.headers["retry-after"] == "60"
    assert online_study.store.participant("web00003") is None
    elsewhere = TestClient(app, follow_redirects=False, client=("198.51.100.9", 4000))  # another address
    assert elsewhere.post(form.action, data={**form.fields, **INTAKE}).status_code == 303
    form = Page(client.get(f"/s/{links[3]}").text).forms[0]
    clock.advance(61)  # the window has passed
    assert client.post(form.action, data={**form.fields, **INTAKE}).status_code == 303
    assert [p.id for p in online_study.store.participants()] == ["web00001", "web00002", "web00003", "web00004"]
    unlimited = RateLimit(0)
    assert all(unlimited.allows("a") == 0 for _ in range(1000))


def test_a_withdrawn_participants_link_is_no_longer_active(online_study, prolific_client, links, clock):
    form = Page(prolific_client.get(f"/s/{links[0]}").text).forms[0]
    prolific_client.post(form.action, data={**form.fields, **INTAKE})
    step = Page(prolific_client.get(f"/s/{links[0]}").text).step_form
    token = enrol_through_prolific(prolific_client)
    folder = online_study.folder
    assert online_study.link_participant(token) == "pro00004"  # numbered on after the three personal links
    for participant in ("web00001", "pro00004"):
        result = CliRunner().invoke(main, ["withdraw", str(folder), "-p", participant, "--reason", "asked to stop"])
        assert result.exit_code == 0, result.output
    for response in (
        prolific_client.get(f"/s/{links[0]}"),
        prolific_client.post(step.action, data=answered(step)),
        prolific_client.post(f"/s/{links[0]}/start", data={**form.fields, **INTAKE}),
        prolific_client.get(f"/s/{token}"),
        prolific_client.get(GENERAL),
    ):
        checked(response)
        assert response.status_code == 410 and "This link is no longer active" in response.text
        assert "withdr" not in response.text  # neutral: it says nothing about why
    assert online_study.store.completed_steps("web00001") == set()
    assert prolific_client.get(f"/s/{links[1]}").status_code == 200  # everyone else's still works


def test_the_signing_secret_is_kept_in_the_study_folder_so_a_restart_breaks_no_page(online_study, links, clock):
    first = TestClient(create_app(online_study, clock=clock), follow_redirects=False)
    path = online_study.folder / SECRET_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(study_secret(online_study.folder)) == 32
    form = Page(first.get(f"/s/{links[0]}").text).forms[0]
    first.post(form.action, data={**form.fields, **INTAKE})
    page = Page(first.get(f"/s/{links[0]}").text)
    restarted = TestClient(create_app(online_study, clock=clock), follow_redirects=False)  # a new server process
    clock.advance(30)
    posted = restarted.post(page.step_form.action, data=answered(page.step_form))
    assert posted.status_code == 303 and online_study.store.completed_steps("web00001") == {step_key(page_html(page))}
    path.chmod(0o644)  # copied with the study folder with looser permissions: tightened again
    study_secret(online_study.folder)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("not a secret\n")
    with pytest.raises(Exception, match="does not hold the web server's secret"):
        study_secret(online_study.folder)


def page_html(page: Page) -> str:
    return f'name="key" value="{page.step_form.fields["key"]}"'


def test_only_the_web_servers_sqlite_connection_may_be_used_from_another_thread(tmp_path):
    Study.init(FLAGSHIP, tmp_path / "s", seed=1).close()

    def count(study):
        return len(study.store.participants())

    with Study.open(tmp_path / "s") as study, ThreadPoolExecutor(1) as pool:
        with pytest.raises(sqlite3.ProgrammingError, match="thread"):
            pool.submit(count, study).result()
    with Study.open(tmp_path / "s", any_thread=True) as study, ThreadPoolExecutor(1) as pool:
        assert pool.submit(count, study).result() == 0
