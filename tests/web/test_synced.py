"""Group commit (frontends/web/synced.py): a SQLite study's server commits without waiting for the disk, and no
response leaves before one sync has put every such commit on it; the answers of participants posting at once share
that sync. A sync the disk refuses fails every response from then on: none claims an answer is saved."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from starlette.testclient import TestClient

from placebolab.store import sqlite

from .conftest import Page, answered
from .test_flow import responses, run, start


@pytest.fixture
def syncs(monkeypatch):
    """Every sync of the WAL, in order with the responses an ``observed`` app sends (``events``)."""
    events: list[tuple] = []
    real = sqlite._fdatasync

    def recorded(descriptor: int) -> None:
        real(descriptor)
        events.append(("sync",))

    monkeypatch.setattr(sqlite, "_fdatasync", recorded)
    return events


def observed(app, events: list[tuple]):
    """The app, each response's status appended to ``events`` as it leaves."""

    async def wrapper(scope, receive, send):
        async def sent(message):
            if message["type"] == "http.response.start":
                events.append(("response", message["status"]))
            await send(message)

        await app(scope, receive, sent)

    return wrapper


def test_answers_posted_at_once_reach_the_disk_in_one_sync_before_any_response(online_study, app, client, clock, syncs):
    tokens = [token for token, _ in online_study.new_links(4)]
    forms = []
    for token in tokens:
        start(client, token)
        run(client, token, clock, until="itch_baseline")
        forms.append(Page(client.get(f"/s/{token}").text).step_form)
    assert online_study.store._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: the server syncs
    syncs.clear()

    async def post_all():
        transport = httpx.ASGITransport(app=observed(app, syncs))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as browser:
            return await asyncio.gather(*(browser.post(form.action, data=answered(form)) for form in forms))

    posted = asyncio.run(post_all())
    assert [r.status_code for r in posted] == [303] * 4
    assert syncs == [("sync",)] + [("response", 303)] * 4  # one sync, before every response
    for n in range(1, 5):
        assert len(responses(online_study, f"web0000{n}", "itch_baseline")) == 1


def test_a_page_without_answers_waits_for_no_sync(online_study, client, links, clock, syncs):
    start(client, links[0])
    assert syncs == [("sync",), ("sync",)]  # the links made, before the start page; the enrolment
    syncs.clear()
    form = Page(client.get(f"/s/{links[0]}").text).step_form
    assert form.fields["key"] == "welcome" and not form.radios  # a text: nothing to put on the disk
    assert client.post(form.action, data=answered(form)).status_code == 303
    assert client.get(f"/s/{links[0]}").status_code == 200
    assert syncs == []


def test_a_sync_the_disk_refuses_fails_that_response_and_every_later_one(
    online_study, app, links, clock, monkeypatch, caplog
):
    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    start(client, links[0])
    run(client, links[0], clock, until="itch_baseline")
    form = Page(client.get(f"/s/{links[0]}").text).step_form

    def refused(descriptor: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(sqlite, "_fdatasync", refused)
    with caplog.at_level(logging.ERROR, logger="placebolab.frontends.web.synced"):
        answer = client.post(form.action, data=answered(form))
        later = client.get(f"/s/{links[0]}")
    assert answer.status_code == 500 and later.status_code == 500  # not the 303 that moves the participant on
    logged = [r.getMessage() for r in caplog.records if "could not be put on the disk" in r.getMessage()]
    assert len(logged) == 1 and "Input/output error" in logged[0] and "placebolab audit" in logged[0]
    monkeypatch.undo()  # the disk answers again: the server still refuses (which commits reached it is unknown)
    assert client.get(f"/s/{links[0]}").status_code == 500
