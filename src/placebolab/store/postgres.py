"""The study store on PostgreSQL: one central list for several rooms and sites.

The study lives in the schema ``placebolab`` of the database named by the URL
(``postgresql://user@host:5432/database``). ``create`` (run by the study's owner) makes the tables,
the station functions (postgres.sql) and the role ``<database>_experimenter``, which cannot read the
allocation list or the seed and writes only through those functions. Grant that role to each experimenter's login
(``GRANT mystudy_experimenter TO alice``) and give their study folder a ``study.toml`` with their URL.

Passwords belong in ``~/.pgpass`` or ``PGPASSWORD``, not in the URL: the URL is written to the
study folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any, final
from urllib.parse import urlsplit, urlunsplit

from placebolab.errors import AllocationError, AlreadyEnrolled, InternalError, StoreError
from placebolab.store.base import TABLES, Row, Store, record_digest, waits_for_disk
from placebolab.store.records import Answer, Slot, StepRecord

if TYPE_CHECKING:
    import psycopg

    from placebolab.allocation.minimization import Minimizer

#: SQLSTATEs raised by the functions in postgres.sql: allocation refused; input or state refused
_ALREADY_ALLOCATED, _NO_SLOT = "PL001", "PL002"
_BAD_INPUT, _BAD_STATE = "PL003", "PL004"
_INSUFFICIENT_PRIVILEGE, _LOCK_NOT_AVAILABLE, _UNDEFINED_FUNCTION = "42501", "55P03", "42883"
#: The tables whose writes send change notices, and their channel (postgres_changes.sql).
_NOTIFYING = ("events", "drafts")
_CHANNEL = "placebolab_changes"
#: What an opening asks of a study made before declines could be logged (postgres_consent.sql: the function and the
#: log's index) and before its change notices (postgres_changes.sql: the triggers), in one query.
_ADDED_LATER = (
    "SELECT to_regprocedure('placebolab.decline_consent(text, text)') IS NOT NULL AS function, "
    "to_regclass('placebolab.declines') IS NOT NULL AS index, "
    "(SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "WHERE c.relnamespace = 'placebolab'::regnamespace AND t.tgname = 'notify_change') AS notices"
)
#: How long a station function waits for the log's lock (``lock_timeout`` in postgres.sql).
LOCK_TIMEOUT_S = 5


def safe_url(url: str) -> str:
    """The URL with its password masked, for messages."""
    return _password_replaced(url, ":***@")


def without_password(url: str) -> str:
    """The URL to write into a study folder: the password stays in ~/.pgpass or PGPASSWORD."""
    return _password_replaced(url, "@")


def _password_replaced(url: str, by: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", by)))


def experimenter_role(url: str) -> str:
    """``<database>_experimenter``, the role stations log in as (through a member login)."""
    database = urlsplit(url).path.lstrip("/") or "postgres"
    return re.sub(r"[^a-z0-9_]", "_", database.lower()) + "_experimenter"


@final  # a backend is complete: mypy names any abstract method of Store it lacks
class PostgresStore(Store):
    #: ``rows``' order: each participant's rows as they were written (``xmin``, the transaction that wrote a row:
    #: these rows are never updated), then by their keys, so that two exports of the same data are the same
    #: files. By the first column alone, a sort left a participant's rows in any order; by the times the
    #: frontends report, a session resumed on a clock set back came before what it resumed.
    _ORDER = dict.fromkeys(TABLES, "1") | {
        "events": "id",
        "allocation": "stratum, position",
        "steps": "participant, xmin::text::bigint, step_key",
        "responses": "participant, xmin::text::bigint, step_key, responded_at, item",
        "marks": "participant, xmin::text::bigint, mark",
    }

    _db: psycopg.Connection[Any]
    #: Whether its writes send change notices (``_add_change_notices``).
    notices = True

    def __init__(self, connection: psycopg.Connection[Any], url: str):
        self._db = connection
        self.url = url
        self._tables_seen = set()

    # --- opening -----------------------------------------------------------------------------------

    @classmethod
    def create(
        cls, url: str, meta: dict[str, str], sealed: dict[str, str], files: dict[str, bytes], slots: list[Slot]
    ) -> PostgresStore:
        """Make the study in the database of ``url``: all of it in one transaction, or nothing."""
        store = cls(_connect(url), url)
        db = store._db
        with _refused_if_made_meanwhile(store), db.transaction():
            exists = db.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'placebolab'").fetchone()
            if exists:
                store.close()
                raise StoreError(
                    f"{safe_url(url)} already holds a placebolab study; initialise the new study in another database"
                )
            role = experimenter_role(url)
            if not db.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                db.execute(f'CREATE ROLE "{role}" NOLOGIN')
            script = resources.files("placebolab.store").joinpath("postgres.sql").read_text()
            db.execute(script.replace("EXPERIMENTER", f'"{role}"'))
            db.execute(_drafts_script(role))
            db.execute(_script("postgres_consent.sql", role))
            db.execute(_script("postgres_changes.sql", role))
            store._fill(meta, sealed, files, slots)
        return store

    @classmethod
    def open(cls, url: str) -> PostgresStore:
        store = cls(_connect(url), url)
        if not store._db.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'placebolab'").fetchone():
            store.close()
            raise StoreError(f"{safe_url(url)} holds no placebolab study; create one with `placebolab init --store`")
        store._add_drafts()
        found = store._rows(_ADDED_LATER)[0]  # one read of the catalogue for what studies made before lack
        store._add_declines(found)
        store._add_change_notices(found)
        return store

    def _add_drafts(self) -> None:
        """A study made before drafts existed: the owner's opening adds their table and station functions
        (``postgres_drafts.sql``, in one transaction). A station may not; its store then keeps no drafts
        (``keeps_drafts``), and the frontends say which answers a stop would lose, until the owner opens it."""
        import psycopg

        if self._has_table("drafts"):
            return
        try:
            with self._db.transaction():
                self._db.execute(_drafts_script(experimenter_role(self.url)))
        except psycopg.errors.InsufficientPrivilege:
            self.keeps_drafts = False

    def _add_declines(self, found: Row) -> None:
        """A study made before declines could be logged before enrolment: the owner's opening adds the station
        function and the log's index of declines (``postgres_consent.sql``). A station may not: without the
        function its store cannot log such a decline (``logs_declines``), and ``serve`` refuses a protocol that
        needs it, until the owner opens the study; without the index a link's first pages read the whole log."""
        import psycopg

        if found["function"] and found["index"]:
            return
        try:
            with self._db.transaction():
                self._db.execute(_script("postgres_consent.sql", experimenter_role(self.url)))
        except psycopg.errors.InsufficientPrivilege:
            self.logs_declines = bool(found["function"])

    def _add_change_notices(self, found: Row) -> None:
        """A study made before its writes sent change notices: the owner's opening adds their triggers
        (``postgres_changes.sql``). A station may not; its store then cannot tell what others write
        (``watch_changes`` is None: a web server it runs reads every session at every request), until the owner
        opens the study."""
        import psycopg

        if found["notices"] == len(_NOTIFYING):
            return
        try:
            with self._db.transaction():
                self._db.execute(_script("postgres_changes.sql", experimenter_role(self.url)))
        except psycopg.errors.InsufficientPrivilege:
            self.notices = False

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One REPEATABLE READ transaction: every read sees the same committed state."""
        with self._db.transaction():
            self._db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def describe(self) -> str:
        return safe_url(self.url)

    # --- reading (the rest is shared: Store) -------------------------------------------------------

    def allocation_summary(self) -> dict[str, int]:
        allocated, total = _one(self._db.execute("SELECT * FROM allocation_summary()"))
        return {"allocated": allocated, "slots": total}

    def watch_changes(self) -> _NoticeWatch | None:
        return _NoticeWatch(self._db) if self.notices else None

    # --- writing -----------------------------------------------------------------------------------

    def enrol(
        self,
        participant_id: str,
        stratum: str,
        intake: dict[str, Any],
        *,
        simulated: bool = False,
        pilot: bool = False,
        minimizer: Minimizer | None = None,
        start: tuple[float, str] | None = None,
    ) -> str:
        """Hand the next free slot of ``stratum`` to the participant through ``placebolab.allocate``
        (and, with ``start=(at, frontend)``, start the session in the same transaction).

        With a ``minimizer``, ``placebolab.allocate_minimized`` scores the cells on the server from
        everyone allocated so far (the rule frozen at init) and applies the slot's concealed random
        numbers: a station names only whom it enrols. The audit replays the scores."""
        import psycopg

        function = "allocate" if minimizer is None else "allocate_minimized"
        args: tuple[Any, ...] = (participant_id, stratum, json.dumps(intake), bool(simulated), bool(pilot))
        query = f"SELECT {function}(%s, %s, %s, %s, %s)"
        if start is not None:  # one statement, one transaction: start_session runs on the row allocate gave
            query = f"WITH allocated AS ({query} AS cell) SELECT cell, start_session(%s, %s, %s) "  # noqa: S608
            query += "FROM allocated"
            args += (participant_id, *start)
        cell: str
        try:
            with self._station():
                cell = _one(self._db.execute(query, args))[0]
        except psycopg.errors.UniqueViolation:  # the same ID enrolled at once in another stratum
            raise AlreadyEnrolled(f"participant {participant_id} already has an allocation; use another ID") from None
        return cell

    def start_session(self, participant_id: str, at: float, frontend: str) -> float:
        started: float
        with self._station():
            (started,) = _one(self._db.execute("SELECT start_session(%s, %s, %s)", (participant_id, at, frontend)))
        return started

    def record_step(self, participant_id: str, record: StepRecord, completes_session: bool = False) -> None:
        import psycopg

        answers = record.answers
        detail = json.dumps(record.detail) if record.detail else None
        try:
            with self._station():
                self._db.execute(
                    # a page without answers: synchronous_commit off for this transaction only (waits_for_disk)
                    "SELECT set_config('synchronous_commit', "
                    "CASE WHEN %s THEN current_setting('synchronous_commit') ELSE 'off' END, true), "
                    "record_step(%s, %s, %s, %s, %s, %s, %s, %s, %s::text[], %s::float8[], %s::float8[], "
                    "%s::float8[], %s, %s, %s)",
                    (
                        waits_for_disk(record, completes_session),
                        participant_id,
                        *record.columns,
                        detail,
                        [a.item for a in answers],
                        [a.value for a in answers],
                        [a.rt for a in answers],
                        [a.responded_at for a in answers],
                        record.mark,
                        record_digest(participant_id, record, detail),
                        completes_session,
                    ),
                )
        except psycopg.errors.UniqueViolation:
            raise StoreError(
                f"step {record.step_key} of {participant_id} is already recorded; nothing was changed"
            ) from None

    def complete(self, participant_id: str) -> None:
        with self._station():
            self._db.execute("SELECT complete_session(%s)", (participant_id,))

    def claim_link(self, token_sha256: str, prefix: str) -> str:
        participant: str
        with self._station():
            (participant,) = _one(self._db.execute("SELECT claim_link(%s, %s)", (token_sha256, prefix)))
        return participant

    def decline_consent(self, participant_id: str, detail: dict[str, Any]) -> None:
        if not self.logs_declines:
            raise StoreError(
                f"{safe_url(self.url)} was made before a decline could be logged before enrolment, and this login "
                "may not add it; the study's owner adds it by opening the study once (e.g. `placebolab status`)"
            )
        with self._station():
            self._db.execute("SELECT decline_consent(%s, %s)", (participant_id, json.dumps(detail)))

    def save_drafts(self, participant_id: str, step_key: str, shown_at: float, answers: Sequence[Answer]) -> None:
        if not answers:
            return
        if not self.keeps_drafts:
            raise StoreError(
                f"{safe_url(self.url)} was made before drafts existed and this login may not add them; "
                "the study's owner adds them by opening the study once (e.g. `placebolab status`)"
            )
        with self._station():
            self._db.execute(
                "SELECT save_drafts(%s, %s, %s, %s::text[], %s::float8[], %s::float8[], %s::float8[])",
                (
                    participant_id,
                    step_key,
                    shown_at,
                    [a.item for a in answers],
                    [a.value for a in answers],
                    [a.rt for a in answers],
                    [a.responded_at for a in answers],
                ),
            )

    def discard_drafts(self, participant_id: str, step_key: str) -> None:
        if not self.keeps_drafts:
            return
        with self._station():
            self._db.execute("SELECT discard_drafts(%s, %s)", (participant_id, step_key))

    # --- internals ---------------------------------------------------------------------------------

    def _rows(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        from psycopg.rows import dict_row

        with self._db.cursor(row_factory=dict_row) as cur:
            return list(cur.execute(query.replace("?", "%s"), params).fetchall())

    def _insert(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._db.cursor() as cur:
            cur.executemany(query.replace("?", "%s"), rows)

    def _table_exists(self, name: str) -> bool:
        return bool(self._rows("SELECT to_regclass(?) IS NOT NULL AS found", (f"placebolab.{name}",))[0]["found"])

    def _log(self, kind: str, participant_id: str | None, detail: dict[str, Any] | None) -> None:
        text = json.dumps(detail) if detail is not None else None
        self._db.execute("SELECT append_event(%s, %s, %s)", (participant_id, kind, text))

    @contextmanager
    def _station(self) -> Iterator[None]:
        """One statement calling a station function, a transaction of its own (the connection autocommits: no
        BEGIN and COMMIT round trips); its refusals become one clear error each."""
        import psycopg

        try:
            yield
        except psycopg.errors.UniqueViolation:
            raise
        except psycopg.Error as exc:
            message = exc.diag.message_primary
            if exc.sqlstate in (_ALREADY_ALLOCATED, _NO_SLOT):
                raise (AlreadyEnrolled if exc.sqlstate == _ALREADY_ALLOCATED else AllocationError)(message) from None
            if exc.sqlstate in (_BAD_INPUT, _BAD_STATE):
                raise StoreError(f"{safe_url(self.url)} refused: {message}") from None
            if exc.sqlstate == _LOCK_NOT_AVAILABLE:
                raise self._locked() from None
            if exc.sqlstate == _UNDEFINED_FUNCTION:
                raise StoreError(
                    f"{safe_url(self.url)} was made by an older placebolab, without the station functions this "
                    "version writes through; finish the study with that version"
                ) from None
            raise

    @contextmanager
    def _owner_write(self, what: str) -> Iterator[None]:
        """Withdrawals, corrections and unblinding: the owner's login only (stations log through their functions)."""
        import psycopg

        try:
            with self._db.transaction():
                yield
        except psycopg.Error as exc:
            if exc.sqlstate == _INSUFFICIENT_PRIVILEGE:
                raise StoreError(
                    f"only the study's owner records '{what}' in the log ({exc.diag.message_primary}); "
                    "run this command with the owner's login"
                ) from None
            if exc.sqlstate == _LOCK_NOT_AVAILABLE:
                raise self._locked() from None
            raise

    def _locked(self) -> StoreError:
        """A station or the owner waited longer than ``lock_timeout`` for the log (postgres.sql)."""
        return StoreError(
            f"the study's log is locked by another station for more than {LOCK_TIMEOUT_S} s "
            f"({safe_url(self.url)}); nothing was recorded. Try again; if it persists, the owner can end "
            "the session holding it (pg_stat_activity)"
        )

    @contextmanager
    def _concealed(self, what: str) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.Error as exc:
            if exc.sqlstate == _INSUFFICIENT_PRIVILEGE:
                raise StoreError(
                    f"{what} is concealed from this login ({exc.diag.message_primary}); "
                    "connect as the study's owner to audit or unblind"
                ) from None
            raise


class _NoticeWatch:
    """The change notices of postgres_changes.sql, heard on the store's own connection (``ChangeWatch``): LISTEN at
    the first call (a process that never asks, such as the parent of `serve --workers N`, never holds the notice
    queue back), then each commit elsewhere that wrote for a participant names them. A notice comes at that
    commit, not with it: read without a round trip (whatever the socket holds), it may come moments after a
    page of this connection read the store, and then reaches the next one. What a kept session records is
    checked by the store either way (a step recorded twice is refused, a session no longer running too)."""

    def __init__(self, db: psycopg.Connection[Any]):
        self._db, self._own, self._listening = db, db.info.backend_pid, False

    def changed(self) -> frozenset[str] | None:
        if not self._listening:  # what was read before the LISTEN may be anything's
            self._db.execute(f"LISTEN {_CHANNEL}")
            self._listening = True
            return None
        return frozenset(n.payload for n in self._db.notifies(timeout=0) if n.pid != self._own)


@contextmanager
def _refused_if_made_meanwhile(store: PostgresStore) -> Iterator[None]:
    """Two inits into one database at once: the second waits for the first, then is told it is taken."""
    import psycopg

    try:
        yield
    except (psycopg.errors.DuplicateSchema, psycopg.errors.UniqueViolation):  # the schema, or the role
        store.close()
        raise StoreError(
            f"{safe_url(store.url)} already holds a placebolab study (made while this init ran); "
            "initialise the new study in another database"
        ) from None


def _drafts_script(role: str) -> str:
    """``postgres_drafts.sql`` for the study's experimenter role."""
    return _script("postgres_drafts.sql", role)


def _script(name: str, role: str) -> str:
    """One of the package's SQL scripts for the study's experimenter role."""
    script = resources.files("placebolab.store").joinpath(name).read_text()
    return script.replace("EXPERIMENTER", f'"{role}"')


def _one(cursor: psycopg.Cursor[Any]) -> Any:
    """The row of a query that always returns one (a count, a station function's result)."""
    row = cursor.fetchone()
    if row is None:
        raise InternalError("the query returned no row")
    return row


def _connect(url: str) -> psycopg.Connection[Any]:
    """Connect, in autocommit mode (each write opens its own transaction), to the study's schema."""
    import psycopg

    try:
        db = psycopg.connect(url, autocommit=True, connect_timeout=10, options="-c search_path=placebolab")
    except psycopg.OperationalError as exc:
        detail = " ".join(str(exc).split())
        raise StoreError(f"cannot connect to the study store {safe_url(url)}: {detail}") from None
    except psycopg.ProgrammingError as exc:  # a malformed URL
        raise StoreError(
            f"{safe_url(url)} is not a usable PostgreSQL URL ({exc}); e.g. postgresql://user@host/db"
        ) from None
    return db
