"""Sessions kept open between a participant's requests, while the store says nobody else has written for them.

A page opens its participant's session from the store at every request (``Study.link``), so that whichever
worker, tab or device asks sees what the store holds. That read is most of what a page costs the store: the
session a link's last request opened is kept and used again until the store's watch (``Study.watch_changes``)
says another connection has committed something for that participant (a lab station, ``placebolab withdraw``,
another worker serving the same link in a second tab, another server). Every other write for them was then this
worker's own, and the routes make them so that the kept session still holds what the store holds: a step is
recorded through the kept session itself (the engine moves on only once the store has committed it), and a
request that fails along the way drops the session (``dropped_on_error``), so the next one reads the store
again. A link not enrolled yet is kept too, as having no session (its consent and start pages), until this
worker enrols it (the new session is kept instead) or logs its consent declined (``forget``, first).

The watch is asked before the store is read, so a commit after that read is heard at the next request. SQLite's
tells that someone else committed, not for whom: every kept session is forgotten then (one worker serves a
SQLite study, so that is rare). PostgreSQL's change notices name the participant (store/postgres_changes.sql),
so the workers writing beside one another keep each other's sessions; a notice arrives moments after its
commit, so a page may for that moment show what the store held just before, as it would have a moment earlier,
and a step recorded twice is refused by the store either way. A store that cannot tell (a PostgreSQL study made
before its notices, opened by a station) keeps nothing.
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
        self._watch = study.watch_changes()  # None: the store cannot tell what others write, nothing is kept
        self._sessions: dict[str, tuple[str, Session | None]] = {}  # by link token: (participant, session)
        self._tokens: dict[str, str] = {}  # the link token of each participant kept

    def get(self, token: str) -> tuple[str, Session | None] | None:
        """The participant and session (None: not enrolled, nor declined) kept for the link ``token``; None when
        nothing is (then read the store, and ``keep`` what it gives). Asks the store's watch, first, whom others
        have written for: their sessions are forgotten (all of them when the watch cannot tell whom)."""
        if self._watch is None:
            return None
        changed = self._watch.changed()
        if changed is None:
            self._forget_all()
            return None
        for participant in changed:
            self._forget(self._tokens.get(participant))
        return self._sessions.get(token)

    def keep(self, token: str, participant: str, session: Session | None) -> None:
        """Keep the session just read from the store for ``token`` (after ``get`` asked the watch), or just started;
        None: the link is not enrolled, and its participant did not decline the consent asked first."""
        if self._watch is None:
            return
        if len(self._sessions) >= LIMIT:
            self._forget_all()
        self._forget(self._tokens.get(participant))  # one link per participant: another token's is older
        self._sessions[token] = (participant, session)
        self._tokens[participant] = token

    @contextmanager
    def dropped_on_error(self, token: str) -> Iterator[None]:
        """Forget the link's session if the block raises: a refused or failed step may leave it unlike the store."""
        try:
            yield
        except BaseException:
            self._forget(token)
            raise

    def forget(self, token: str) -> None:
        """Forget what is kept for the link: this worker is about to change it (an enrolment, a decline)."""
        self._forget(token)

    def _forget(self, token: str | None) -> None:
        kept = self._sessions.pop(token, None) if token is not None else None
        if kept is not None:
            self._tokens.pop(kept[0], None)

    def _forget_all(self) -> None:
        self._sessions.clear()
        self._tokens.clear()
