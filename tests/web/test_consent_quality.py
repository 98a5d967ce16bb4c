"""Consent, attention checks, the honeypot and the too-fast flag online, through Starlette's TestClient on a real
SQLite study: a consent step after a first page is asked in the session (a consent step first is asked before
enrolment: test_consent_first.py); agreeing needs every statement ticked, declining ends the session (recorded,
shown, counted in CONSORT and `placebolab status`, never analysed), and each data-quality flag reaches the
export as a column."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from placebolab.allocation.audit import audit_study
from placebolab.allocation.consort import consort_counts
from placebolab.cli import main
from placebolab.components.catalogue import catalogue
from placebolab.export import export_study
from placebolab.frontends.web.app import create_app
from placebolab.frontends.web.screens import HONEYPOT
from placebolab.session import VirtualClock
from placebolab.study import Study
from tests.consent.protocols import PROTOCOL, consent_sha256, write_consent_protocol

from .conftest import Page, step_key

SAY = catalogue("en")
#: the consent after a first page: asked in the session, after enrolment
INTRO_FIRST = PROTOCOL.replace("timeline:\n", "timeline:\n  - {id: intro, type: text, text: Welcome.}\n")


@pytest.fixture
def study(tmp_path):
    Study.init(write_consent_protocol(tmp_path / "protocol", INTRO_FIRST), tmp_path / "study", seed=11).close()
    opened = Study.open(tmp_path / "study", writing=True, any_thread=True)  # as the web server opens it
    yield opened
    opened.close()


@pytest.fixture
def clock():
    return VirtualClock(1_800_000_000.0)


@pytest.fixture
def client(study, clock):
    return TestClient(create_app(study, secret=b"k" * 32, clock=clock), follow_redirects=False)


@pytest.fixture
def links(study):
    return [token for token, _participant in study.new_links(4)]


def enrol(client, token):
    """Enrolled on the start page, then past the first page (to the consent step)."""
    (form,) = Page(client.get(f"/s/{token}").text).forms
    assert form.action.endswith("/start")
    assert client.post(form.action, data=form.fields).status_code == 303
    _, intro = current_form(client, token)
    assert intro.fields["key"] == "intro" and post(client, intro).status_code == 303


def current_form(client, token):
    response = client.get(f"/s/{token}")
    assert response.status_code == 200, response.text
    return response, Page(response.text).step_form


def post(client, form, **data):
    return client.post(form.action, data={**form.fields, **data})


def statements_unticked(form):
    return {k: v for k, v in form.fields.items() if not k.startswith("statement-")}


def test_the_consent_page_needs_every_statement_ticked_to_agree_and_stores_the_texts_hash(study, client, links, clock):
    enrol(client, links[0])
    page, form = current_form(client, links[0])
    assert step_key(page.text) == "consent"
    assert "You will rate an itch" in page.text and "I have read the information above." in page.text
    assert page.text.count('type="checkbox"') == 2 and page.text.count("required") == 2
    assert 'value="agree"' in page.text and 'value="decline"' in page.text and "formnovalidate" in page.text
    assert set(form.fields) >= {"statement-read", "statement-data", HONEYPOT}

    unticked = client.post(form.action, data={**statements_unticked(form), "consent": "agree"})
    assert (
        unticked.status_code == 400 and SAY("web.consent_tick_every", decline=SAY("consent.decline")) in unticked.text
    )
    one = client.post(form.action, data={**statements_unticked(form), "statement-read": "1", "consent": "agree"})
    assert one.status_code == 400 and 'name="statement-read" value="1" required checked' in one.text
    no_choice = client.post(form.action, data=form.fields)  # Enter in a field submits no button
    assert no_choice.status_code == 400 and SAY("web.consent_choose") in no_choice.text
    assert study.store.completed_steps("web00001") == {"intro"}

    clock.advance(40)
    assert post(client, form, consent="agree").status_code == 303
    (row,) = [r for r in study.store.rows("steps") if r["participant"] == "web00001" and r["step"] == "consent"]
    detail = json.loads(row["detail"])
    assert detail.pop("server_received_at") == 1800000040.0
    assert detail == {"consent_checked": ["read", "data"], "consent_sha256": consent_sha256()}
    assert study.store.step_values("web00001", "consent") == {"": 1.0}
    assert step_key(client.get(f"/s/{links[0]}").text) == "itch"


def test_declining_ends_the_session_records_it_and_uses_no_later_step(study, client, links, clock):
    enrol(client, links[0])
    _, form = current_form(client, links[0])
    clock.advance(20)
    declined = client.post(form.action, data={**statements_unticked(form), "consent": "decline"})
    assert declined.status_code == 303
    for _ in range(2):  # the link shows the thank-you page again, and never a later step
        page = client.get(f"/s/{links[0]}")
        assert page.status_code == 200 and SAY("web.declined_text") in page.text and 'name="key"' not in page.text
    again = client.post(form.action, data={**form.fields, "consent": "agree"})  # the back button: nothing
    assert again.status_code == 303
    assert study.store.step_values("web00001", "consent") == {"": 0.0}
    assert study.store.completed_steps("web00001") == {"intro", "consent"}
    (row,) = [r for r in study.store.rows("steps") if r["participant"] == "web00001" and r["step"] == "consent"]
    detail = json.loads(row["detail"])
    assert detail.pop("server_received_at") == 1800000020.0
    assert detail == {"consent_checked": [], "consent_sha256": consent_sha256()}
    person = study.store.participant("web00001")
    assert person.status != "completed"
    assert audit_study(study).problems == []

    counts = consort_counts(study)
    assert counts["declined_consent"] == 1
    cell = counts["cells"][person.cell]
    assert (cell["allocated"], cell["declined_consent"], cell["incomplete"], cell["received"]) == (1, 1, 0, 0)
    assert cell["analysed"] == 0
    wide = pd.read_csv(export_study(study) / "wide.csv")
    assert wide.set_index("participant").loc["web00001", "status"] == "declined"
    status = CliRunner().invoke(main, ["status", str(study.folder)], terminal_width=200)
    assert status.exit_code == 0, status.output
    assert "1 enrolled (0 simulated, 0 pilot, 1 declined consent)" in status.output
    (line,) = [line for line in status.output.splitlines() if "│ declined consent" in line]
    assert [c for c in line if c.isdigit()] == (["1", "0"] if person.cell == "warm" else ["0", "1"])


def test_attention_checks_the_honeypot_and_answers_too_fast_are_flagged_in_the_export(study, client, links, clock):
    enrol(client, links[0])
    _, form = current_form(client, links[0])
    clock.advance(30)
    post(client, form, consent="agree")
    _, form = current_form(client, links[0])  # itch: answered 0.5 s after its onset, and a bot filled the field
    clock.advance(0.5)
    assert post(client, form, **{"item-": "3", HONEYPOT: "http://spam.example"}).status_code == 303
    _, form = current_form(client, links[0])  # expectancy: the check answered 4, not the instructed 2
    clock.advance(30)
    assert post(client, form, **{"item-relief": "3", "item-attend": "4"}).status_code == 303
    _, form = current_form(client, links[0])  # the rating check answered as instructed
    clock.advance(30)
    assert post(client, form, **{"item-": "7"}).status_code == 303
    _, form = current_form(client, links[0])
    assert post(client, form).status_code == 303
    assert study.store.participant("web00001").status == "completed"

    out = export_study(study)
    steps = pd.read_csv(out / "steps.csv").set_index("step")
    assert steps.loc["itch", "too_fast"] == True  # noqa: E712 - 0.5 s < 2 s per item (data_quality)
    assert steps.loc["expectancy", "too_fast"] == False  # noqa: E712 - 30 s ≥ 2 × 2 s
    assert pd.isna(steps.loc["bye", "too_fast"])  # a page has no items to be fast on
    assert steps.loc["itch", "honeypot"] == True  # noqa: E712
    assert steps.loc["expectancy", "honeypot"] == False  # noqa: E712
    detail = json.loads(steps.loc["itch", "detail"])
    assert detail["honeypot"] is True and set(detail) == {"honeypot", "server_received_at"}
    long = pd.read_csv(out / "long.csv")
    check = long.set_index(["step", "item"], drop=False)
    assert check.loc[("expectancy", "attend"), "attention_expect"] == 2
    assert check.loc[("expectancy", "attend"), "attention_passed"] == False  # noqa: E712
    assert long.loc[long["step"] == "attend_rating", "attention_passed"].tolist() == [True]
    assert long.loc[long["step"] == "itch", "attention_passed"].isna().all()
    wide = pd.read_csv(out / "wide.csv").set_index("participant")
    assert (wide.loc["web00001", "attention_failed"], wide.loc["web00001", "too_fast_steps"]) == (1, 1)
    assert wide.loc["web00001", "honeypot"] == True  # noqa: E712
    assert wide.loc["web00001", "status"] == "completed" and wide.loc["web00001", "disposition"] == "included"
    assert "attend" not in " ".join(wide.columns) and "attend_rating" not in wide.columns  # checks are no measures
    book = {c["name"]: c for c in json.loads((out / "codebook.json").read_text())["columns"]}
    assert {"attention_failed", "too_fast_steps", "honeypot"} <= set(book)


def test_the_honeypot_is_hidden_from_people_and_out_of_the_tab_order(study, client, links, clock):
    enrol(client, links[0])
    page, _ = current_form(client, links[0])
    assert '<div class="hp" aria-hidden="true">' in page.text
    assert f'name="{HONEYPOT}" value="" tabindex="-1" autocomplete="off"' in page.text
    css = client.get("/static/style.css").text
    assert ".hp { position: absolute; left: -10000px" in css


def test_a_prolific_participant_who_declines_is_not_sent_to_the_completion_url(study, clock):
    """Declining is no completion: no redirect to Prolific's completion code (which would credit them), and the
    thank-you page asks them to return the submission on Prolific."""
    code, pid = "C0DE1234", "5f" * 12
    prolific = TestClient(create_app(study, secret=b"k" * 32, clock=clock, prolific=code), follow_redirects=False)
    general = "/prolific?PROLIFIC_PID=" + pid + "&STUDY_ID=" + "a" * 24 + "&SESSION_ID=" + "b" * 24
    (start,) = Page(prolific.get(general).text).forms
    enrolled = prolific.post(start.action, data=start.fields)
    assert enrolled.status_code == 303
    link = enrolled.headers["location"]
    _, intro = current_form(prolific, link.removeprefix("/s/"))
    assert post(prolific, intro).status_code == 303
    _, form = current_form(prolific, link.removeprefix("/s/"))
    clock.advance(20)
    assert prolific.post(form.action, data={**statements_unticked(form), "consent": "decline"}).status_code == 303
    for url in (link, general):  # the link itself, and Prolific's general link opened again
        page = prolific.get(url, follow_redirects=True)
        assert page.status_code == 200 and "app.prolific.com" not in str(page.url) and code not in page.text
        assert SAY("web.declined_text") in page.text and SAY("web.declined_prolific") in page.text
