"""A web worker keeps each link's session between its requests until the store says someone else wrote for its
participant (frontends/web/kept_sessions.py): what it shows and records is still what the store holds, whoever
else writes."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from placebolab.errors import StoreError
from placebolab.frontends.web.app import create_app
from placebolab.session import Session
from placebolab.study import Study

from .conftest import Page, answered, online_protocol, step_key
from .test_flow import checked, responses, run, start


@pytest.fixture
def station(online_study):
    """Another connection to the same study: a lab station, or `placebolab withdraw` in a terminal."""
    other = Study.open(online_study.folder, writing=True)
    yield other
    other.close()


def test_a_session_is_read_from_the_store_once_while_nobody_else_writes(
    online_study, client, links, clock, monkeypatch
):
    reads = []
    link = online_study.link
    monkeypatch.setattr(online_study, "link", lambda token: reads.append(token) or link(token))
    start(client, links[0])
    keys = run(client, links[0], clock)
    assert keys and reads == [links[0]]  # the start page read it; its enrolment kept the session it started
    recorded = [s["step_key"] for s in online_study.store.rows("steps") if s["participant"] == "web00001"]
    assert recorded == keys  # each step stored once, in order


def test_a_step_another_station_records_moves_the_page_on(online_study, station, client, links, clock):
    start(client, links[0])
    run(client, links[0], clock, until="itch_baseline")
    form = Page(client.get(f"/s/{links[0]}").text).step_form  # the kept session: itch_baseline is current
    session = Session.open(station, "web00001", "lab", clock)
    session.submit("itch_baseline", {"": 12}, clock.now())  # the same step recorded at a station meanwhile
    page = checked(client.get(f"/s/{links[0]}", follow_redirects=True))  # (a timed picture: to its onset first)
    assert session.current().key == "portrait" and Page(page.text).sources  # the picture after it, not the rating
    assert 'value="itch_baseline"' not in page.text
    assert checked(client.post(form.action, data=answered(form))).status_code == 303  # the old form: stale
    assert [r["value"] for r in responses(online_study, "web00001", "itch_baseline")] == [12.0]


def test_a_withdrawal_made_elsewhere_closes_the_link_at_once(online_study, station, client, links, clock):
    start(client, links[0])
    run(client, links[0], clock, until="itch_baseline")
    assert client.get(f"/s/{links[0]}").status_code == 200
    station.store.correct("web00001", "withdrawn", "asked to stop", "test")
    assert checked(client.get(f"/s/{links[0]}")).status_code == 410


def test_a_refused_step_is_read_again_and_recorded_once(online_study, client, links, clock, monkeypatch):
    """The store refuses a step after the engine's checks (here: once, as a full disk would): the session kept
    for the link is dropped, so the page again and the next Continue come from what the store holds."""
    start(client, links[0])
    run(client, links[0], clock, until="itch_baseline")
    form = Page(client.get(f"/s/{links[0]}").text).step_form
    record_step = online_study.store.record_step
    calls = []

    def refused_once(participant, record, completes_session=False):
        calls.append(record.step_key)
        if len(calls) == 1:
            raise StoreError("the disk is full; nothing was recorded")
        record_step(participant, record, completes_session)

    monkeypatch.setattr(online_study.store, "record_step", refused_once)
    assert checked(client.post(form.action, data=answered(form))).status_code == 503
    assert step_key(client.get(f"/s/{links[0]}").text) == "itch_baseline"
    assert checked(client.post(form.action, data=answered(form))).status_code == 303
    assert (
        calls == ["itch_baseline", "itch_baseline"] and len(responses(online_study, "web00001", "itch_baseline")) == 1
    )


def test_a_step_stored_by_a_commit_that_then_failed_is_not_shown_again(online_study, client, links, clock, monkeypatch):
    """The store raises although the step is stored (another tab's worker won, a connection lost after COMMIT):
    the kept session, which did not move on, is dropped, so the link's next page is the step after it."""
    start(client, links[0])
    run(client, links[0], clock, until="itch_baseline")
    form = Page(client.get(f"/s/{links[0]}").text).step_form
    record_step = online_study.store.record_step

    def stored_then_failed(participant, record, completes_session=False):
        record_step(participant, record, completes_session)
        raise StoreError("the connection was lost after COMMIT")

    with monkeypatch.context() as patched:
        patched.setattr(online_study.store, "record_step", stored_then_failed)
        assert checked(client.post(form.action, data=answered(form))).status_code == 303
    assert 'value="itch_baseline"' not in client.get(f"/s/{links[0]}", follow_redirects=True).text
    assert len(responses(online_study, "web00001", "itch_baseline")) == 1


def test_postgresql_workers_keep_each_others_sessions_and_drop_one_when_another_connection_writes_for_it(
    tmp_path, pg_url, clock, monkeypatch
):
    """On PostgreSQL, where workers write beside one another, a session is kept until a change notice names its
    participant (store/postgres_changes.sql): another worker's or station's commit for someone else keeps it, one
    for them drops it. A notice comes moments after its commit: the page moves on by then."""
    with Study.init(online_protocol(tmp_path), tmp_path / "study", seed=7, store_url=pg_url) as made:
        tokens = [token for token, _ in made.new_links(2)]
    worker = Study.open(tmp_path / "study", writing=True, any_thread=True)  # the web server's opening
    station = Study.open(tmp_path / "study", writing=True)
    try:
        reads = []
        link = worker.link
        monkeypatch.setattr(worker, "link", lambda token: reads.append(token) or link(token))
        client = TestClient(create_app(worker, secret=b"p" * 32, clock=clock), follow_redirects=False)
        for token in tokens:
            start(client, token)
            run(client, token, clock, until="itch_baseline")
        session = Session.open(station, "web00001", "lab", clock)
        session.submit("itch_baseline", {"": 12}, clock.now())  # web00001's step, recorded at a station
        reads.clear()
        deadline = time.monotonic() + 5
        while step_key(client.get(f"/s/{tokens[0]}", follow_redirects=True).text) == "itch_baseline":
            assert time.monotonic() < deadline, "the page did not move on within 5 s of the station's commit"
            time.sleep(0.01)
        assert reads.count(tokens[0]) == 1  # read again once, when the notice came
        assert step_key(client.get(f"/s/{tokens[1]}").text) == "itch_baseline" and tokens[1] not in reads  # kept
        station.store.correct("web00002", "withdrawn", "asked to stop", "test")
        deadline = time.monotonic() + 5
        while client.get(f"/s/{tokens[1]}").status_code != 410:
            assert time.monotonic() < deadline, "the link stayed open 5 s after the withdrawal"
            time.sleep(0.01)
    finally:
        station.close()
        worker.close()
