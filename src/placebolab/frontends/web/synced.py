"""Group commit: no response leaves before what the store holds is on the disk, and one sync serves every
response waiting at once.

A SQLite store's commit waits for the disk (an fsync of its WAL) before it returns, and the server's one worker
waits with it: participants answering at once are synced one after another. Under ``Store.group_commit`` the
commits return at once, and a response about to leave waits for a sync of every commit made so far. That sync is
scheduled behind the requests already read, so the answers of everyone who posted meanwhile reach the disk
together. What a participant is told is as before: no page is sent while an answer the store holds could still be
taken back by a power cut. A store whose commits are durable when they return (PostgreSQL) has no group commit,
and nothing waits.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from placebolab.errors import StoreError

if TYPE_CHECKING:
    from placebolab.store.base import DiskSync

_log = logging.getLogger(__name__)  # the server's console, as app.py's


class SyncedResponses:
    """ASGI wrapper: a response's first message waits until every commit that waits for the disk is on it."""

    def __init__(self, app, disk: DiskSync):
        self.app, self.disk = app, disk
        self._next: asyncio.Future[None] | None = None  # the sync scheduled for the responses waiting now
        self._reported = False

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def synced_send(message):
            if message["type"] == "http.response.start" and self.disk.behind():
                await self._synced()
            await send(message)

        await self.app(scope, receive, synced_send)

    async def _synced(self) -> None:
        while self.disk.behind():
            if self._next is None:
                loop = asyncio.get_running_loop()
                self._next = loop.create_future()
                loop.call_soon(self._sync, self._next)  # after the requests already read: their commits join it
            await asyncio.shield(self._next)  # one response given up (a closed tab) cancels no other's wait

    def _sync(self, done: asyncio.Future[None]) -> None:
        self._next = None  # a commit from now on waits for the next sync
        try:
            self.disk.sync()
        except StoreError as exc:  # every waiting response fails (a 500 page): none claims an answer is saved
            if not self._reported:
                _log.error("%s", exc)
                self._reported = True
            done.set_exception(exc)
        else:
            done.set_result(None)
