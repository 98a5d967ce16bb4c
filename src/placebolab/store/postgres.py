"""The study store on PostgreSQL: one central list for several rooms and sites.

The study lives in the schema ``placebolab`` of the database named by the URL
(``postgresql://user@host:5432/database``). ``create`` (run by the study's owner) makes the tables,
the functions experimenters allocate and log through, and the role ``<database>_experimenter``,
which cannot read the allocation list or the seed. Grant that role to each experimenter's login
(``GRANT mystudy_experimenter TO alice``) and give their study folder a ``study.toml`` with their URL.

Passwords belong in ``~/.pgpass`` or ``PGPASSWORD``, not in the URL: the URL is written to the
study folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextlib import contextmanager
from importlib import resources
from urllib.parse import urlsplit, urlunsplit

from placebolab.errors import AllocationError, AlreadyEnrolled, StoreError
from placebolab.store.base import TABLES, record_digest
from placebolab.store.records import Participant, Slot, StepRecord

#: SQLSTATEs raised by the functions in postgres.sql
_ALREADY_ALLOCATED, _NO_SLOT = "PL001", "PL002"
_INSUFFICIENT_PRIVILEGE = "42501"


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def safe_url(url: str) -> str:
    """The URL without its password, for messages and files."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def without_password(url: str) -> str:
    """The URL to write into a study folder: the password stays in ~/.pgpass or PGPASSWORD."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", "@")))


def experimenter_role(url: str) -> str:
    """``<database>_experimenter``, the role stations log in as (through a member login)."""
    database = urlsplit(url).path.lstrip("/") or "postgres"
    return re.sub(r"[^a-z0-9_]", "_", database.lower()) + "_experimenter"


class PostgresStore:
    def __init__(self, connection, url: str):
        self._db = connection
        self.url = url

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
            with db.cursor() as cur:
                cur.executemany("INSERT INTO meta VALUES (%s, %s)", list(meta.items()))
                cur.executemany("INSERT INTO sealed VALUES (%s, %s)", list(sealed.items()))
                cur.executemany(
                    "INSERT INTO files VALUES (%s, %s, %s)",
                    [(name, content, _sha256(content)) for name, content in files.items()],
                )
                cur.executemany(
                    "INSERT INTO allocation (stratum, position, block, block_size, cell, u, v) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [(s.stratum, s.position, s.block, s.block_size, s.cell, s.u, s.v) for s in slots],
                )
            db.execute("SELECT append_event(NULL, 'initialised', %s)", (json.dumps({"slots": len(slots)}),))
        return store

    @classmethod
    def open(cls, url: str) -> PostgresStore:
        store = cls(_connect(url), url)
        if not store._db.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'placebolab'").fetchone():
            store.close()
            raise StoreError(f"{safe_url(url)} holds no placebolab study; create one with `placebolab init --store`")
        return store

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def snapshot(self):
        """One REPEATABLE READ transaction: every read sees the same committed state."""
        with self._db.transaction():
            self._db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def describe(self) -> str:
        return safe_url(self.url)

    # --- reading -----------------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def sealed(self) -> dict[str, str]:
        with self._concealed("the seed and the commitment's salt"):
            return dict(self._db.execute("SELECT key, value FROM sealed").fetchall())

    def files(self) -> dict[str, bytes]:
        return {name: bytes(content) for name, content in self._db.execute("SELECT path, content FROM files")}

    def participant(self, participant_id: str) -> Participant | None:
        row = self._rows("SELECT * FROM participants WHERE id = %s", (participant_id,))
        return Participant.from_row(row[0]) if row else None

    def participants(self) -> list[Participant]:
        return [Participant.from_row(r) for r in self._rows("SELECT * FROM participants ORDER BY enrolled_at, id")]

    def completed_steps(self, participant_id: str) -> set[str]:
        rows = self._db.execute("SELECT step_key FROM steps WHERE participant = %s", (participant_id,))
        return {key for (key,) in rows}

    def marks(self, participant_id: str) -> dict[str, float]:
        return dict(self._db.execute("SELECT mark, at FROM marks WHERE participant = %s", (participant_id,)).fetchall())

    def rows(self, table: str) -> list[Mapping]:
        if table not in TABLES:
            raise StoreError(f"unknown table {table}")
        order = {"events": "id", "allocation": "stratum, position"}.get(table, "1")
        with self._concealed("the allocation list"):
            return self._rows(f"SELECT * FROM {table} ORDER BY {order}")  # noqa: S608 - names checked above

    def allocation_summary(self) -> dict[str, int]:
        allocated, total = self._db.execute("SELECT * FROM allocation_summary()").fetchone()
        return {"allocated": allocated, "slots": total}

    # --- writing -----------------------------------------------------------------------------------

    def enrol(
        self, participant_id: str, stratum: str, intake: dict, *, simulated=False, pilot=False, minimizer=None
    ) -> str:
        """Hand the next free slot of ``stratum`` to the participant through ``placebolab.allocate``.

        With a ``minimizer``: under the list's lock, score the cells from everyone allocated so far
        (readable: past allocations are not secret) and let ``placebolab.allocate_minimized`` apply the
        slot's concealed random numbers. The audit replays the scores, so a station cannot bend them."""
        import psycopg

        args = (participant_id, stratum, json.dumps(intake), bool(simulated), bool(pilot))
        try:
            with self._db.transaction():
                if minimizer is None:
                    (cell,) = self._db.execute("SELECT allocate(%s, %s, %s, %s, %s)", args).fetchone()
                else:
                    self._db.execute("SELECT pg_advisory_xact_lock(hashtext('placebolab.allocation'), hashtext(''))")
                    history = [(c, json.loads(i)) for c, i in self._db.execute("SELECT cell, intake FROM participants")]
                    found = minimizer.candidates(history, intake)
                    (cell,) = self._db.execute(
                        "SELECT allocate_minimized(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (*args, found.preferred, found.others, minimizer.p_preferred, found.detail()),
                    ).fetchone()
        except psycopg.errors.UniqueViolation:  # the same ID enrolled at once in another stratum
            raise AlreadyEnrolled(f"participant {participant_id} already has an allocation; use another ID") from None
        except psycopg.Error as exc:
            if exc.sqlstate in (_ALREADY_ALLOCATED, _NO_SLOT):
                error = AlreadyEnrolled if exc.sqlstate == _ALREADY_ALLOCATED else AllocationError
                raise error(exc.diag.message_primary) from None
            raise
        return cell

    def start_session(self, participant_id: str, at: float, frontend: str) -> float:
        with self._db.transaction():
            (started,) = self._db.execute(
                "SELECT started_at FROM participants WHERE id = %s FOR UPDATE", (participant_id,)
            ).fetchone()
            resumed = started is not None
            started = started if resumed else at
            self._db.execute(
                "UPDATE participants SET started_at = %s, status = 'running' WHERE id = %s", (started, participant_id)
            )
            self._log("session_resumed" if resumed else "session_started", participant_id, {"frontend": frontend})
        return started

    def record_step(self, participant_id: str, record: StepRecord, completes_session: bool = False) -> None:
        import psycopg

        try:
            with self._db.transaction():
                self._db.execute(
                    "INSERT INTO steps VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        participant_id,
                        record.step_key,
                        record.step,
                        record.occasion,
                        record.shown_at,
                        record.completed_at,
                        record.frontend,
                        json.dumps(record.detail) if record.detail else None,
                    ),
                )
                with self._db.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO responses VALUES (%s, %s, %s, %s, %s, %s)",
                        [
                            (participant_id, record.step_key, a.item, a.value, a.rt, a.responded_at)
                            for a in record.answers
                        ],
                    )
                if record.mark:
                    self._db.execute(
                        "INSERT INTO marks VALUES (%s, %s, %s)", (participant_id, record.mark, record.completed_at)
                    )
                digest = record_digest(participant_id, record)
                self._log("step_recorded", participant_id, {"step_key": record.step_key, "digest": digest})
                if completes_session:
                    self._complete(participant_id)
        except psycopg.errors.UniqueViolation:
            raise StoreError(
                f"step {record.step_key} of {participant_id} is already recorded; nothing was changed"
            ) from None

    def complete(self, participant_id: str) -> None:
        with self._db.transaction():
            self._complete(participant_id)

    def correct(self, participant_id: str, kind: str, reason: str, by: str) -> None:
        with self._db.transaction():
            if not self._db.execute("SELECT 1 FROM participants WHERE id = %s", (participant_id,)).fetchone():
                raise AllocationError(f"participant {participant_id} is not enrolled; nothing to correct")
            self._log(kind, participant_id, {"reason": reason, "by": by})

    def log(self, kind: str, participant_id: str | None = None, detail: dict | None = None) -> None:
        with self._db.transaction():
            self._log(kind, participant_id, detail)

    # --- internals ---------------------------------------------------------------------------------

    def _complete(self, participant_id: str) -> None:
        self._db.execute(
            "UPDATE participants SET status = 'completed', completed_at = now_iso() WHERE id = %s", (participant_id,)
        )
        self._log("session_completed", participant_id, None)

    def _log(self, kind, participant_id, detail) -> None:
        text = json.dumps(detail) if detail is not None else None
        self._db.execute("SELECT append_event(%s, %s, %s)", (participant_id, kind, text))

    def _rows(self, query: str, params=()) -> list[dict]:
        from psycopg.rows import dict_row

        with self._db.cursor(row_factory=dict_row) as cur:
            return cur.execute(query, params).fetchall()

    @contextmanager
    def _concealed(self, what: str):
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


@contextmanager
def _refused_if_made_meanwhile(store: PostgresStore):
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


def _connect(url: str):
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


def _sha256(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()
