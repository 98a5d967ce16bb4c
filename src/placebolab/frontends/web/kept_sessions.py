"""Sessions kept open between a participant's requests, while the store says nobody else has written to it.

A page opens its participant's session from the store at every request (``Study.link``), so that whichever
worker, tab or device asks sees what the store holds. With one worker on SQLite, that read is most of what a
page costs the store: the session a link's last request opened is kept and used again as long as the study's
``changes_elsewhere`` has not moved, i.e. no other connection has committed anything since it was read (a lab
station, ``placebolab withdraw``, another server). Every write since was then this worker's own, and the
routes make them so that the kept session still holds what the store holds: a step is recorded through the
kept session itself (the engine moves on only once the store has committed it), and a request that fails
along the way drops the session (``dropped_on_error``), so the next one reads the store again. Nothing else
this worker writes concerns an enrolled participant's session (an enrolment or a consent declined before it
concerns a link with no session, and nothing is kept for those).

PostgreSQL's workers write beside one another, and its store says None: nothing is kept there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from placebolab.session import Session

if TYPE_CHECKING:
    from placebolab.study import Study

#: At most this many sessions are kept (all are forgotten at once when there are more: they are read again).
LIMIT = 10_000


class KeptSessions:
    def __init__(self, study: Study):
        self._study = study
        self._version: int | None = None  # the store's ``changes_elsewhere`` when the kept sessions were read
        self._sessions: dict[str, tuple[str, Session]] = {}  # by link token: (participant, session)

    def get(self, token: str) -> tuple[str, Session] | None:
        """The participant and session kept for the link ``token``; None when none is (then read the store, and
        ``keep`` what it gives). Asks the store, first, whether anyone else has written since: if so, every kept
        session is forgotten."""
        version = self._study.changes_elsewhere()
        if version != self._version or version is None:
            self._sessions.clear()
            self._version = version  # read before the store is: a write after this read moves it again
            return None
        return self._sessions.get(token)

    def keep(self, token: str, participant: str, session: Session) -> None:
        """Keep the session just read from the store for ``token`` (after ``get`` asked: the store's version is
        the one from before that read)."""
        if self._version is None:
            return
        if len(self._sessions) >= LIMIT:
            self._sessions.clear()
        self._sessions[token] = (participant, session)

    @contextmanager
    def dropped_on_error(self, token: str) -> Iterator[None]:
        """Forget the link's session if the block raises: a refused or failed step may leave it unlike the store."""
        try:
            yield
        except BaseException:
            self._sessions.pop(token, None)
            raise
