"""The study store on SQLite (WAL): one file per study, every write one short transaction.

Durability: ``synchronous=FULL`` — a response acknowledged to the participant survives a power cut (a page
without answers commits without waiting for the disk: ``waits_for_disk``). A web server syncs instead, before it
answers, the commits of every participant waiting at once (``SQLiteStore.group_commit``).
Concurrency: writes take the lock up front (``BEGIN IMMEDIATE``) so two stations allocating at once
serialise instead of failing half-way.
Faults: a full disk, a read-only file, a damaged file or a lock held too long is one StoreError that
says what happened and what to do (``failure``); a damaged file is found (``PRAGMA quick_check``)
before anything is written into it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from importlib import resources
from json.encoder import encode_basestring_ascii as _json_string  # json.dumps's own (C) string writer
from pathlib import Path
from typing import TYPE_CHECKING, Any, final

from placebolab.errors import AllocationError, AlreadyEnrolled, StoreError
from placebolab.store.base import (
    DECLINED_CONSENT,
    GENESIS,
    TABLES,
    Row,
    Store,
    chain_hash,
    json_text,
    now_iso,
    participant_digest,
    record_digest,
    waits_for_disk,
)
from placebolab.store.records import Answer, Participant, Slot, StepRecord

if TYPE_CHECKING:
    from placebolab.allocation.minimization import Minimizer

DB_NAME = "study.db"
SYNCHRONOUS = "FULL"  # every commit waits for the disk, but those of ``_Transaction(wait_for_disk=False)``


@final  # a backend is complete: mypy names any abstract method of Store it lacks
class SQLiteStore(Store):
    #: ``rows``' order: as written. Steps and responses carry it in columns (schema.sql: WITHOUT ROWID);
    #: a store made before they did orders them by rowid (``_ROWID_ORDER``).
    _ORDER = dict.fromkeys(TABLES, "rowid") | {
        "events": "id",
        "steps": "event",
        "responses": "(SELECT event FROM steps s WHERE s.participant = responses.participant "
        "AND s.step_key = responses.step_key), position",
    }

    _db: _Connection

    def __init__(self, connection: _Connection, path: Path):
        self._db = connection
        self.path = path
        self._rows_carry_order = any(column[1] == "event" for column in connection.execute("PRAGMA table_info(steps)"))
        if not self._rows_carry_order:
            self._ORDER = _ROWID_ORDER
        self._insert_step, self._insert_answers = _INSERTS[self._rows_carry_order]
        self._tables_seen = set()
        self._enrolled: Participant | None = None  # ``enrol``'s participant, for ``enrolled``
        self._intact = False  # quick_check passed on this connection
        self._schema_complete = False  # schema.sql's tables and indexes are all there (_ensure_schema)
        # the chain head this store appended last (``_append``): kept after its transaction commits; a
        # transaction rolled back forgets it (what it appended is gone)
        self._logged: tuple[int, str] | None = None
        self._transaction = _Transaction(self)  # ``_write``: one object, entered once per transaction
        self._no_wait = _Transaction(self, wait_for_disk=False)
        self._group: _WalSync | None = None  # ``group_commit``'s: commits then return before they are on the disk

    # --- opening -----------------------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: Path, meta: dict[str, str], sealed: dict[str, str], files: dict[str, bytes], slots: list[Slot]
    ) -> None:
        """Write a new store at ``path``, in a folder no one else uses yet: ``Study.init`` builds the study
        folder under a unique temporary name and renames it into place whole, so a crash during init
        leaves either no study or a whole one."""
        path = Path(path)
        if path.exists():
            raise StoreError(f"{path} already exists: this study is already initialised; choose a new folder")
        db = _connect(path, journal="DELETE")
        db.executescript(resources.files("placebolab.store").joinpath("schema.sql").read_text())
        store = cls(db, path)
        with store._write():
            store._fill(meta, sealed, files, slots)
        db.close()

    @classmethod
    def open(cls, path: Path, writing: bool = False, any_thread: bool = False) -> SQLiteStore:
        """Open a study store; ``writing``: check now that it is intact (else at the first write).
        ``any_thread``: the connection may be used from another thread than this one (the web server's:
        an ASGI test client or server may run requests on another thread than the one that opened the
        study; it uses the connection one request at a time, as no store call awaits anything)."""
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"{path} not found; is this a study folder made by `placebolab init`?")
        store = cls(_connect(path, any_thread=any_thread), path)
        tables = {name for (name,) in store._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            store.close()
            raise StoreError(f"{path} is not a placebolab study store (it has no table meta)")
        if "sealed" not in tables:
            store.close()
            raise StoreError(
                f"{path} was made by a placebolab without sealed allocation lists and a hash-chained log; "
                "export its data with that version, then initialise a new study"
            )
        if writing:
            store._ensure_intact()
            store._ensure_schema()
        return store

    # --- reading -----------------------------------------------------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: in WAL mode it sees one committed state, whatever other stations write."""
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def describe(self) -> str:
        return str(self.path)

    def close(self) -> None:
        if self._group is not None:
            self._group.close()
        self._db.close()

    def watch_changes(self) -> _DataVersionWatch:
        return _DataVersionWatch(self._db)

    def group_commit(self) -> _WalSync:
        """Every commit from now on is ``synchronous=NORMAL``: the WAL written, not synced. ``_WalSync.sync`` then
        syncs the WAL, which is all a FULL commit syncs in WAL mode, once for every commit since the last sync."""
        if self._group is None:
            self._db.run("PRAGMA synchronous = NORMAL")
            self._group = _WalSync(self.path)
        return self._group

    def allocation_summary(self) -> dict[str, int]:
        used, total = self._db.execute("SELECT COUNT(participant), COUNT(*) FROM allocation").fetchone()
        return {"allocated": used, "slots": total}

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
        """Hand the next free slot of ``stratum`` to the participant, atomically; return the cell.

        With a ``minimizer`` (scheme: minimization) the slot comes from the one list of random numbers
        and the cell is decided now, from everyone allocated before, inside the same transaction.
        ``start=(at, frontend)``: ``start_session`` too, in the same transaction."""
        self._enrolled = None
        with self._write():
            slot = self._free_slot(participant_id, stratum, minimizer is not None)
            cell: str
            at, cell, decision, slot_stratum = now_iso(), slot["cell"], None, "" if minimizer else stratum
            if minimizer:
                history = [(c, json.loads(i)) for c, i in self._db.execute("SELECT cell, intake FROM participants")]
                candidates = minimizer.candidates(history, intake)
                cell, decision = minimizer.choose(candidates, slot["u"], slot["v"]), candidates.detail()
            intake_text = json_text(intake)
            started, status = (None, "allocated") if start is None else (start[0], "running")  # as ``_start`` sets them
            try:  # an ID enrolled before holds a slot (UNIQUE participant) and a row: refused, nothing stored
                self._db.run(
                    "UPDATE allocation SET participant = ?, allocated_at = ?, cell = ?, decision = ? "
                    "WHERE stratum = ? AND position = ?",
                    (participant_id, at, cell, decision, slot_stratum, slot["position"]),
                )
                self._db.run(
                    "INSERT INTO participants (id, cell, stratum, intake, simulated, pilot, enrolled_at, started_at, "
                    "status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (participant_id, cell, stratum, intake_text, int(simulated), int(pilot), at, started, status),
                )
            except sqlite3.IntegrityError:
                self._refuse_enrolled(participant_id)
                raise
            sealed = participant_digest(participant_id, stratum, cell, intake_text, simulated, pilot)
            detail = {"stratum": slot_stratum, "position": slot["position"], "participant_sha256": sealed}
            self._log("allocated", participant_id, detail)
            if start is not None:
                self._log("session_started", participant_id, {"frontend": start[1]})
        # as ``Participant.from_row`` reads the row back (REAL, INTEGER and JSON columns as stored)
        self._enrolled = Participant(
            participant_id, cell, stratum, json.loads(intake_text), bool(int(simulated)), bool(int(pilot)), at,
            None if start is None else float(start[0]), "allocated" if start is None else "running",
        )  # fmt: skip
        return cell

    def enrolled(self, participant_id: str) -> Participant | None:
        kept, self._enrolled = self._enrolled, None  # once: later the row may change (a step completes the session)
        return kept if kept is not None and kept.id == participant_id else self.participant(participant_id)

    def _free_slot(self, participant_id: str, stratum: str, minimized: bool) -> Row:
        """The first free slot of the stratum's list (of the one list, ``minimized``), else why there is none."""
        listed = "" if minimized else stratum  # a minimization study's one list is stratum ''
        # by free_slots: else the planner scans every free slot (UNIQUE participant)
        slot: Row | None = self._db.execute(
            "SELECT position, cell, u, v FROM allocation INDEXED BY free_slots "
            "WHERE stratum = ? AND participant IS NULL ORDER BY position LIMIT 1",
            (listed,),
        ).fetchone()
        if slot is None:
            self._refuse_enrolled(participant_id)
            if not self._db.execute("SELECT 1 FROM allocation WHERE stratum = ?", (listed,)).fetchone():
                raise AllocationError(f"stratum {stratum!r} is not in this study's allocation list")
            where = f" for stratum {listed}" if listed else ""
            raise AllocationError(f"the allocation list{where} is used up; the study has reached its planned size")
        return slot

    def _refuse_enrolled(self, participant_id: str) -> None:
        if self._db.execute("SELECT 1 FROM participants WHERE id = ?", (participant_id,)).fetchone():
            raise AlreadyEnrolled(f"participant {participant_id} already has an allocation; use another ID")

    def start_session(self, participant_id: str, at: float, frontend: str) -> float:
        with self._write():
            return self._start(participant_id, at, frontend)

    def record_step(self, participant_id: str, record: StepRecord, completes_session: bool = False) -> None:
        """Commit one completed step and its answers together: all of it is stored, or none.
        The session's last step marks it completed in the same transaction."""
        detail = json_text(record.detail) if record.detail else None
        digest = record_digest(participant_id, record, detail)
        with self._write() if waits_for_disk(record, completes_session) else self._no_wait:
            event = self._append(  # first: the step's row carries its entry's number (the order of recording)
                "step_recorded",
                participant_id,
                f'{{"step_key": {_json_string(record.step_key)}, "digest": "{digest}"}}',  # json.dumps's text
            )
            key = record.step_key
            step: tuple[Any, ...] = (participant_id, *record.columns, detail, event)
            answers: list[tuple[Any, ...]] = [
                (participant_id, key, a.item, a.value, a.rt, a.responded_at, position)
                for position, a in enumerate(record.answers)
            ]
            if not self._rows_carry_order:  # a store made before: rowid tables without event and position
                step, answers = step[:-1], [answer[:-1] for answer in answers]
            try:
                self._db.run(self._insert_step, step)
            except sqlite3.IntegrityError:
                raise StoreError(f"step {key} of {participant_id} is already recorded; nothing was changed") from None
            if answers:  # a text or pause step has none
                self._db.run_many(self._insert_answers, answers)
            if record.mark:
                self._db.run("INSERT INTO marks VALUES (?, ?, ?)", (participant_id, record.mark, record.completed_at))
            if completes_session:
                self._complete(participant_id)

    def complete(self, participant_id: str) -> None:
        with self._write():
            self._complete(participant_id)

    def claim_link(self, token_sha256: str, prefix: str) -> str:
        if not self._has_table("links"):
            return self.add_links([token_sha256], prefix)[0]  # refused: a study made before online sessions
        with self._write():  # BEGIN IMMEDIATE: a second claim of the same token waits, then finds the first's
            row = self._db.execute("SELECT participant FROM links WHERE token_sha256 = ?", (token_sha256,)).fetchone()
            if row is not None:
                return str(row["participant"])
            self._log("links_created", None, {"count": 1})
            (made,) = self._db.execute("SELECT COUNT(*) FROM links").fetchone()
            participant = f"{prefix}{made + 1:05d}"
            self._db.execute("INSERT INTO links VALUES (?, ?, ?)", (token_sha256, participant, now_iso()))
        return participant

    def decline_consent(self, participant_id: str, detail: dict[str, Any]) -> None:
        with self._write():
            if not self._has_table("links") or not self._rows(
                "SELECT 1 FROM links WHERE participant = ?", (participant_id,)
            ):
                raise StoreError(
                    f"participant {participant_id} has no link: only a link's participant declines before enrolment"
                )
            if self._rows("SELECT 1 FROM participants WHERE id = ?", (participant_id,)):
                raise AlreadyEnrolled(f"participant {participant_id} is enrolled: their consent step records a decline")
            if not self.consent_declined(participant_id):
                self._log(DECLINED_CONSENT, participant_id, detail)

    def save_drafts(self, participant_id: str, step_key: str, shown_at: float, answers: Sequence[Answer]) -> None:
        if not answers:
            return
        self._ensure_schema()
        with self._write():
            row = self._db.execute("SELECT status FROM participants WHERE id = ?", (participant_id,)).fetchone()
            if row is None or row["status"] != "running":
                state = "not enrolled" if row is None else f"{row['status']}, not running"
                raise StoreError(f"participant {participant_id} is {state}: no answer of step {step_key} kept")
            if self._db.execute(
                "SELECT 1 FROM steps WHERE participant = ? AND step_key = ?", (participant_id, step_key)
            ).fetchone():
                raise StoreError(f"step {step_key} of {participant_id} is already recorded; nothing was changed")
            at = now_iso()
            self._db.executemany(
                "INSERT OR REPLACE INTO drafts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(participant_id, step_key, a.item, a.value, a.rt, a.responded_at, shown_at, at) for a in answers],
            )

    def discard_drafts(self, participant_id: str, step_key: str) -> None:
        if not self._has_table("drafts"):
            return
        with self._write():
            self._db.execute(
                "DELETE FROM drafts WHERE participant = ? AND step_key = ? AND EXISTS "
                "(SELECT 1 FROM steps WHERE participant = ? AND step_key = ?)",
                (participant_id, step_key, participant_id, step_key),
            )

    # --- internals ---------------------------------------------------------------------------------

    def _start(self, participant_id: str, at: float, frontend: str) -> float:
        row = self._db.execute("SELECT started_at FROM participants WHERE id = ?", (participant_id,)).fetchone()
        earlier = row["started_at"]
        started = at if earlier is None else earlier
        self._db.run(
            "UPDATE participants SET started_at = ?, status = 'running' WHERE id = ?", (started, participant_id)
        )
        self._log("session_started" if earlier is None else "session_resumed", participant_id, {"frontend": frontend})
        return started

    def _complete(self, participant_id: str) -> None:
        self._db.run(
            "UPDATE participants SET status = 'completed', completed_at = ? WHERE id = ?", (now_iso(), participant_id)
        )
        self._log("session_completed", participant_id, None)

    def _ensure_schema(self) -> None:
        """A study made before the drafts table or the log's index of declines gets them now (the schema's
        ``CREATE … IF NOT EXISTS`` adds only what is missing), outside any transaction (``executescript``
        commits first)."""
        if self._schema_complete:
            return
        found = self._db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('drafts', 'declines')").fetchone()
        if found[0] < 2:
            self._ensure_intact()
            self._db.executescript(resources.files("placebolab.store").joinpath("schema.sql").read_text())
        self._schema_complete = True

    def _rows(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._db.execute(query, params).fetchall()

    def _insert(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        self._db.executemany(query, rows)

    def _owner_write(self, what: str) -> AbstractContextManager[None]:
        return self._write()

    def _table_exists(self, name: str) -> bool:
        return bool(
            self._rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        )  # one file, one owner: whoever may open it

    def _log(self, kind: str, participant_id: str | None, detail: dict[str, Any] | None) -> None:
        """Append one entry to the hash chain (inside the caller's write transaction, which holds the lock)."""
        self._append(kind, participant_id, json_text(detail) if detail is not None else None)

    def _append(self, kind: str, participant_id: str | None, text: str | None) -> int:
        """``_log`` with the detail's JSON text written already (``json.dumps(detail)``, as it is hashed);
        returns the entry's number.

        The entry chains to the head: the last entry this store appended, kept from its last transaction
        while no other station appended since, else the head as ``head`` reads it. Another station's entry
        would hold the next number (``events.id``, the primary key, counts without gaps), so that insert
        fails and the head is read again, in the same transaction: no extra query per step."""
        known = self._logged
        last_id, prev = known if known is not None else self._head()
        at = now_iso()
        while True:
            event_id = last_id + 1
            event_hash = chain_hash(prev, event_id, at, participant_id, kind, text)
            try:
                self._db.run(
                    "INSERT INTO events (id, at, participant, kind, detail, hash) VALUES (?, ?, ?, ?, ?, ?)",
                    (event_id, at, participant_id, kind, text, event_hash),
                )
            except sqlite3.IntegrityError:
                if known is None:  # chained to the head just read: not a stale one
                    raise
                known = None
                last_id, prev = self._head()  # another station appended since this one's last transaction
                continue
            break
        self._logged = (event_id, event_hash)
        return event_id

    def _head(self) -> tuple[int, str]:
        row = self._db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row is not None else (0, GENESIS)

    def _ensure_intact(self) -> None:
        """``PRAGMA quick_check`` once per opening, before the first write: never write into a damaged file."""
        if self._intact:
            return
        found = [line for (text,) in self._db.execute("PRAGMA quick_check(3)") for line in text.splitlines()]
        if found != ["ok"]:
            problem = next((line for line in found if not line.startswith("***")), "quick_check failed")
            raise _damaged(self.path, problem)
        self._intact = True

    def _write(self) -> _Transaction:
        """One write transaction, holding the lock from the start; on any failure nothing of it is stored."""
        return self._transaction


class _Transaction:
    """``SQLiteStore._write``'s context: BEGIN IMMEDIATE on entry; COMMIT on a clean exit, else ROLLBACK (what
    failed is raised: nothing of the transaction is stored). A class rather than a generator-based context
    manager: every step of every session passes here.

    ``wait_for_disk=False``: the COMMIT returns without an fsync (``synchronous=NORMAL`` for this transaction
    only; in WAL mode the file stays consistent, and the next FULL commit syncs this one's pages with its own).
    Under ``group_commit`` every COMMIT returns so, and one that waits for the disk leaves its ``_WalSync`` behind."""

    __slots__ = ("_store", "_wait")

    def __init__(self, store: SQLiteStore, wait_for_disk: bool = True):
        self._store, self._wait = store, wait_for_disk

    def __enter__(self) -> None:
        store = self._store
        store._ensure_intact()
        if self._switches():
            store._db.run("PRAGMA synchronous = NORMAL")
        store._db.run("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        store = self._store
        try:
            if exc_type is None:
                try:
                    store._db.run("COMMIT")
                except BaseException:
                    self._roll_back()
                    raise
                if self._wait and store._group is not None:
                    store._group.unsynced = True
            else:
                self._roll_back()  # and the body's exception propagates (__exit__ returns None)
        finally:
            if self._switches():
                store._db.run(f"PRAGMA synchronous = {SYNCHRONOUS}")

    def _switches(self) -> bool:
        """Whether this transaction turns the disk wait off for itself (it is off throughout under group_commit)."""
        return not self._wait and self._store._group is None

    def _roll_back(self) -> None:
        self._store._logged = None  # what the transaction appended is not stored: the head is read again
        db = self._store._db
        if db.in_transaction:  # SQLite itself rolls back after some failures (a full disk)
            with suppress(sqlite3.Error, StoreError):
                db.execute("ROLLBACK")


#: What a failure of the file or the disk under the store means, by SQLite's primary result code, and
#: what the experimenter can do. Other codes (a malformed statement, a constraint) are bugs or are
#: handled where they happen, so they are not mapped.
_FAILURES = {
    sqlite3.SQLITE_FULL: ("could not be written: the disk is full", "free some space, then try again"),
    sqlite3.SQLITE_READONLY: (
        "could not be written: the file or its folder is read-only",
        "give your login write permission on both (or copy the study folder somewhere writable), then try again",
    ),
    sqlite3.SQLITE_PERM: (
        "could not be written: permission denied",
        "check the permissions of the file and its folder",
    ),
    sqlite3.SQLITE_CANTOPEN: (
        "could not be opened",
        "check that the study folder exists and that your login may read and write the file and its folder",
    ),
    sqlite3.SQLITE_IOERR: (
        "could not be read or written: the disk reported an input/output error",
        "check the disk (or the network drive or USB stick the study is on) and copy study.db somewhere safe",
    ),
    sqlite3.SQLITE_BUSY: (
        "stayed locked by another station or program for over 30 s",
        "close any other program that has study.db open (e.g. DB Browser for SQLite), then try again",
    ),
}
_FAILURES[sqlite3.SQLITE_LOCKED] = _FAILURES[sqlite3.SQLITE_BUSY]
_DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


def failure(exc: sqlite3.Error, path: Path | str) -> StoreError | None:
    """The StoreError for a failure of the store's file or disk (see ``_FAILURES``); None for other errors."""
    code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
    if code in _DAMAGED:
        return _damaged(path, str(exc))
    if code not in _FAILURES:
        return None
    what, todo = _FAILURES[code]
    return StoreError(
        f"the study store {path} {what} ({exc}); {todo}; nothing stored before was lost "
        "(an interrupted session continues with `placebolab run STUDY -p ID --resume`)"
    )


def _damaged(path: Path | str, problem: str) -> StoreError:
    return StoreError(
        f"the study store {path} is damaged ({problem}); nothing more was written to it: "
        "stop, keep a copy of it, restore study.db from your last backup and run `placebolab audit`"
    )


class _DataVersionWatch:
    """SQLite's own counter of commits by other connections to the file (WAL included), one cheap statement: it
    tells that someone else wrote, not for whom (``ChangeWatch``)."""

    def __init__(self, db: sqlite3.Connection):
        self._db, self._seen = db, None

    def changed(self) -> frozenset[str] | None:
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        moved, self._seen = version != self._seen, version
        return None if moved else frozenset()


class _WalSync:
    """``SQLiteStore.group_commit``'s ``DiskSync``. In WAL mode a FULL commit syncs the WAL file and nothing else
    (the database file is synced at each checkpoint, a restarted WAL's header at once, whatever ``synchronous``
    says; with powersafe overwrite, SQLite's default, nothing is padded): this syncs the same file, through a
    descriptor of its own, once for every commit the connection has made since. The WAL stays in place
    while the connection is open (SQLite deletes it when the last connection closes): it is opened again only if
    it was replaced. A sync that fails leaves no way to tell which commits reached the disk, so every later one
    fails too (as PostgreSQL stops at a failed fsync): a restart, and ``placebolab audit``, decide."""

    def __init__(self, database: Path):
        self.database, self.path = database, Path(f"{database}-wal")
        self.unsynced = False  # set by ``_Transaction``: a commit that waits for the disk has returned since
        self._descriptor: int | None = None
        self._failed: StoreError | None = None

    def behind(self) -> bool:
        return self.unsynced or self._failed is not None

    def sync(self) -> None:
        if self._failed is not None:
            raise self._failed
        if not self.unsynced:
            return
        self.unsynced = False  # this sync covers every commit so far (commits and syncs come from one thread)
        try:
            _fdatasync(self._wal())
        except OSError as exc:
            self._failed = StoreError(
                f"the study store {self.database} could not be put on the disk ({exc}): answers committed since "
                "the last sync may be lost at a power cut, and none is confirmed to a participant any more; stop "
                "the server, check the disk, run `placebolab audit`, then serve again"
            )
            raise self._failed from None

    def _wal(self) -> int:
        found = os.stat(self.path)
        if self._descriptor is not None:
            kept = os.fstat(self._descriptor)
            if (kept.st_dev, kept.st_ino) == (found.st_dev, found.st_ino):
                return self._descriptor
            os.close(self._descriptor)
        # for writing: Windows flushes only a file opened so (nothing is written through it)
        self._descriptor = os.open(self.path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
        return self._descriptor

    def close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


#: SQLite's own sync of the WAL at a FULL commit on Linux (data and size, not the times); macOS has only fsync
_fdatasync = getattr(os, "fdatasync", os.fsync)


@contextmanager
def _failures(path: Path | str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        mapped = failure(exc, path)
        if mapped is None:
            raise
        raise mapped from None


class _Connection(sqlite3.Connection):
    """A connection whose file and disk failures are StoreErrors (``failure``), wherever they happen."""

    def __init__(self, database: Path | str, *args: Any, **kwargs: Any):
        super().__init__(database, *args, **kwargs)
        self.path = database  # for messages; _connect sets the study's path when ``database`` is a URI
        self._writes = self.cursor()  # ``run``'s

    # execute and executemany do what ``_failures`` does, inline: every statement passes here, and a
    # generator-based context manager per statement was a tenth of a simulated session's CPU time (so
    # is sqlite3.Connection's method called directly, not through a ``super()`` object made per call).
    def execute(self, *args: Any) -> sqlite3.Cursor:
        try:
            return _execute(self, *args)
        except sqlite3.Error as exc:
            mapped = failure(exc, self.path)
            if mapped is None:
                raise
            raise mapped from None

    def executemany(self, *args: Any) -> sqlite3.Cursor:
        try:
            return _executemany(self, *args)
        except sqlite3.Error as exc:
            mapped = failure(exc, self.path)
            if mapped is None:
                raise
            raise mapped from None

    # run and run_many: execute and executemany for a statement whose rows are not read (a write, BEGIN, COMMIT, a
    # PRAGMA that sets), on one cursor kept for them: making a cursor per statement cost a step's several.
    def run(self, *args: Any) -> None:
        try:
            self._writes.execute(*args)
        except sqlite3.Error as exc:
            mapped = failure(exc, self.path)
            if mapped is None:
                raise
            raise mapped from None

    def run_many(self, *args: Any) -> None:
        try:
            self._writes.executemany(*args)
        except sqlite3.Error as exc:
            mapped = failure(exc, self.path)
            if mapped is None:
                raise
            raise mapped from None

    def executescript(self, *args: Any) -> sqlite3.Cursor:
        with _failures(self.path):
            return super().executescript(*args)


_execute, _executemany = sqlite3.Connection.execute, sqlite3.Connection.executemany


#: ``rows``' order in a store made before steps and responses carried theirs: the order written (rowid).
_ROWID_ORDER = dict.fromkeys(TABLES, "rowid") | {"events": "id"}


#: A step's and its answers' INSERTs, with and without ``steps.event`` and ``responses.position``.
_INSERTS = {
    True: (
        "INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    False: ("INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?)"),
}


def _connect(path: Path, journal: str = "WAL", any_thread: bool = False) -> _Connection:
    """``any_thread``: sqlite3's same-thread check off (only the web server asks: ``SQLiteStore.open``)."""
    with _failures(path):
        db = sqlite3.connect(
            path, isolation_level=None, timeout=30, factory=_Connection, check_same_thread=not any_thread
        )
    db.path = path
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA journal_mode = {journal}")
    db.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
    db.execute("PRAGMA foreign_keys = ON")
    return db
