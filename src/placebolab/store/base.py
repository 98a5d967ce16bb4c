"""The store interface every backend implements (SQLite, PostgreSQL), with the queries they share.

A study's engine, export, status and audit talk only to this interface, so a study behaves the same
whether its store is an embedded SQLite file or a central PostgreSQL database used by several rooms.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
import time
from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii as _json_string  # json.dumps's own (C) string writer
from typing import TYPE_CHECKING, Any, Protocol

from placebolab.errors import AllocationError, StoreError
from placebolab.store.records import Answer, Draft, Link, Participant, SessionState, Slot, StepRecord

if TYPE_CHECKING:
    from placebolab.allocation.minimization import Minimizer

#: A row as a query returns it: a mapping by column name (sqlite3.Row, or psycopg's dict_row).
Row = Mapping[str, Any]

#: The tables ``Store.rows`` returns. ``allocation`` and ``sealed`` are concealed on PostgreSQL.
TABLES = frozenset({"participants", "steps", "responses", "marks", "events", "allocation"})

#: The hash the first log entry chains to.
GENESIS = "0" * 64

#: The log's kind of a consent declined before enrolment (online, where a link's first page is the consent):
#: the link's participant, never enrolled nor allocated (``Store.decline_consent``).
DECLINED_CONSENT = "declined_consent"


class DiskSync(Protocol):
    """``Store.group_commit``: the store's commits return before they are on the disk, and ``sync`` puts all of
    them there at once (one fsync for the answers of every participant whose response is waiting)."""

    def behind(self) -> bool:
        """Whether a commit that waits for the disk (``waits_for_disk``) has returned since the last ``sync``."""
        ...

    def sync(self) -> None:
        """Put every commit made so far on the disk; StoreError when the disk refuses (then every later call)."""
        ...


class ChangeWatch(Protocol):
    """``Store.watch_changes``: asked before each read whose result may be kept."""

    def changed(self) -> frozenset[str] | None:
        """The participants for whom another connection has committed since the last call (this connection's own
        commits are not counted); None when anything may have changed (the first call, or a store that cannot tell
        whom a commit concerns): then forget everything kept."""
        ...


class Store(ABC):
    """A study store: the interface every backend implements, with the queries they share written once.

    Every write is one transaction: all of it is stored, or none. Queries use ``?`` placeholders
    (PostgreSQL's ``_rows`` turns them into ``%s``). A backend supplies the abstract methods: what
    truly differs (opening and creating, allocation, sessions and steps, through PostgreSQL's station
    functions there), its transactions and its error mapping."""

    _db: Any
    #: How ``rows`` orders each table: SQLite in the order written (rowid); PostgreSQL has no such order.
    _ORDER: Mapping[str, str]
    _tables_seen: set[str]  # tables this store has seen exist (``_has_table``); each backend starts it empty

    # --- what each backend does its own way --------------------------------------------------------

    @abstractmethod
    def describe(self) -> str:
        """Where the store is, for messages (a path, or a URL without its password)."""

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """A context in which every read sees the same committed state (for audit and counts while stations run)."""

    @abstractmethod
    def allocation_summary(self) -> dict[str, int]:
        """Slots used and left (counts only: the list itself stays concealed)."""

    @abstractmethod
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
        """Allocate: the next slot of ``stratum``, or a minimization decision with ``minimizer``; return the cell.
        ``start=(at, frontend)`` also starts the session (``start_session``) in the same transaction."""

    @abstractmethod
    def start_session(self, participant_id: str, at: float, frontend: str) -> float:
        """Mark the session as running; the first start is the participant's 'start' mark. Returns it."""

    @abstractmethod
    def record_step(self, participant_id: str, record: StepRecord, completes_session: bool = False) -> None:
        """Commit one completed step and its answers together (the session's last one also completes it);
        durable before it returns unless ``waits_for_disk`` says the step need not be."""

    @abstractmethod
    def complete(self, participant_id: str) -> None:
        """Mark the session completed (PostgreSQL refuses it while a step of the cell is not recorded)."""

    @abstractmethod
    def claim_link(self, token_sha256: str, prefix: str) -> str:
        """The participant ID of the link whose token has this SHA-256, made now (numbered on like
        ``add_links``, and logged) if no link has it yet: one ID per token however many ask at once (a
        general link's participant, e.g. one per Prolific ID). Stations may call it (PostgreSQL: a station function)."""

    @abstractmethod
    def decline_consent(self, participant_id: str, detail: dict[str, Any]) -> None:
        """Log that a link's participant declined consent before enrolment (``DECLINED_CONSENT``): nothing is
        allocated and nothing of theirs is stored but this entry. Logged once (a second decline adds nothing);
        refused (AlreadyEnrolled) once they are enrolled, whose consent step then records a decline.
        Stations may call it (PostgreSQL: a station function)."""

    #: Whether this store can log a decline before enrolment (a PostgreSQL study made before it existed,
    #: opened by a station that may not add its function, cannot; its owner's next opening adds it).
    logs_declines = True

    @abstractmethod
    def save_drafts(self, participant_id: str, step_key: str, shown_at: float, answers: Sequence[Answer]) -> None:
        """Keep answers given on a step not yet recorded (``shown_at``: the onset of the showing they were given
        in), replacing an earlier draft of the same item. Refused (StoreError) once the step is recorded or while
        the session is not running. Drafts are not data: no export reads them and no log entry seals them; the
        step's commit, which the log seals, holds them (see ``drafts``)."""

    @abstractmethod
    def discard_drafts(self, participant_id: str, step_key: str) -> None:
        """Remove the drafts of a step once it is recorded (its commit holds them now); a step not yet
        recorded keeps its drafts."""

    #: Whether this store can keep drafts (a PostgreSQL study made before drafts, opened by a station that
    #: may not add the table, cannot; its owner's next opening adds it).
    keeps_drafts = True

    @abstractmethod
    def _rows(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        """The query's rows, each a mapping by column name."""

    @abstractmethod
    def _insert(self, query: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def _log(self, kind: str, participant_id: str | None, detail: dict[str, Any] | None) -> None:
        """Append one entry to the hash chain, inside the caller's write transaction."""

    @abstractmethod
    def _owner_write(self, what: str) -> AbstractContextManager[None]:
        """One write transaction of the study's owner (``what``: for the message when a station tries)."""

    def _has_table(self, name: str) -> bool:
        """Whether the store has table ``name`` (a study made by an older placebolab may lack a newer one).
        No table is ever dropped, so one seen is not asked for again (a web page asks at every request)."""
        if name in self._tables_seen:
            return True
        if self._table_exists(name):
            self._tables_seen.add(name)
            return True
        return False

    @abstractmethod
    def _table_exists(self, name: str) -> bool:
        """``_has_table``'s question, asked of the database."""

    def _concealed(self, what: str) -> AbstractContextManager[None]:
        """A read of what PostgreSQL conceals from stations (the list, the seed); nothing to hide on SQLite."""
        return nullcontext()

    # --- shared ------------------------------------------------------------------------------------

    def _fill(
        self, meta: Mapping[str, str], sealed: Mapping[str, str], files: Mapping[str, bytes], slots: Sequence[Slot]
    ) -> None:
        """A new study's rows and its first log entry (inside the backend's creating transaction)."""
        self._insert("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
        self._insert("INSERT INTO sealed VALUES (?, ?)", list(sealed.items()))
        self._insert(
            "INSERT INTO files VALUES (?, ?, ?)",
            [(name, content, hashlib.sha256(content).hexdigest()) for name, content in files.items()],
        )
        self._insert(
            "INSERT INTO allocation (stratum, position, block, block_size, cell, u, v) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(s.stratum, s.position, s.block, s.block_size, s.cell, s.u, s.v) for s in slots],
        )
        self._log("initialised", None, init_detail(meta, len(slots)))

    def close(self) -> None:
        self._db.close()

    def watch_changes(self) -> ChangeWatch | None:
        """A watch on what other connections (stations, processes, workers) commit to the store, for keeping what
        was read from it between requests (``frontends.web.kept_sessions``); None when this store cannot tell
        cheaply: then nothing read from it may be kept for a later request."""
        return None

    def group_commit(self) -> DiskSync | None:
        """From now on, a commit returns before it is on the disk, and whoever answers the participant calls the
        returned ``DiskSync`` first: one server answering many participants at once then syncs their answers
        together (``frontends.web.synced``). None when the store has no use for it: PostgreSQL's commits are
        durable when they return, and its server groups the syncs of concurrent commits itself."""
        return None

    def meta(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self._rows("SELECT key, value FROM meta")}

    def sealed(self) -> dict[str, str]:
        """The seed and the commitment's salt: concealed from experimenters on PostgreSQL."""
        with self._concealed("the seed and the commitment's salt"):
            return {r["key"]: r["value"] for r in self._rows("SELECT key, value FROM sealed")}

    def files(self) -> dict[str, bytes]:
        return {r["path"]: bytes(r["content"]) for r in self._rows("SELECT path, content FROM files")}

    def file(self, path: str) -> bytes | None:
        """One frozen file's content (a media file, without loading every other one), or None."""
        rows = self._rows("SELECT content FROM files WHERE path = ?", (path,))
        return bytes(rows[0]["content"]) if rows else None

    def participant(self, participant_id: str) -> Participant | None:
        rows = self._rows("SELECT * FROM participants WHERE id = ?", (participant_id,))
        return Participant.from_row(rows[0]) if rows else None

    def enrolled(self, participant_id: str) -> Participant | None:
        """The participant this store's last ``enrol`` stored, as ``participant`` reads them (a session starts
        from it). SQLite keeps what it inserted rather than reading it back; PostgreSQL reads it back."""
        return self.participant(participant_id)

    def participants(self) -> list[Participant]:
        return [Participant.from_row(r) for r in self._rows("SELECT * FROM participants ORDER BY enrolled_at, id")]

    def completed_steps(self, participant_id: str) -> set[str]:
        return {
            r["step_key"] for r in self._rows("SELECT step_key FROM steps WHERE participant = ?", (participant_id,))
        }

    def step_values(self, participant_id: str, step_key: str) -> dict[str, float | None]:
        """The answers stored for one step occurrence of a participant: item id → value."""
        rows = self._rows(
            "SELECT item, value FROM responses WHERE participant = ? AND step_key = ?", (participant_id, step_key)
        )
        return {r["item"]: r["value"] for r in rows}

    def session_state(self, participant_id: str, decline_keys: Collection[str]) -> SessionState | None:
        """``participant``, ``completed_steps`` and the ``step_values`` of each step of ``decline_keys`` (those whose
        answer may end the session) the participant recorded, in one query: what opening a session reads (a web
        page opens it at every request); one consistent state, however many stations write. None for a
        participant not enrolled."""
        query = _SESSION_STATE.format(asked=_placeholders(decline_keys))
        return _session_state(self._rows(query, (participant_id, *decline_keys, participant_id)))[1]

    def drafts(self, participant_id: str) -> dict[str, list[Draft]]:
        """The participant's drafts by step key (answers given on steps not recorded yet), in item order of
        saving; {} for a store made before drafts existed."""
        if not self._has_table("drafts"):
            return {}
        rows = self._rows(
            "SELECT step_key, item, value, rt, responded_at, shown_at FROM drafts WHERE participant = ? "
            "AND step_key NOT IN (SELECT step_key FROM steps WHERE participant = ?)",  # _by_step orders them
            (participant_id, participant_id),
        )
        return _by_step(
            [
                Draft(r["step_key"], Answer(r["item"], r["value"], r["rt"], r["responded_at"]), r["shown_at"])
                for r in rows
            ]
        )

    def marks(self, participant_id: str) -> dict[str, float]:
        rows = self._rows("SELECT mark, at FROM marks WHERE participant = ?", (participant_id,))
        return {r["mark"]: r["at"] for r in rows}

    def rows(self, table: str) -> list[Row]:
        """Every row of a table (one of ``TABLES``), for export and audit."""
        if table not in TABLES:
            raise StoreError(f"unknown table {table}")
        with self._concealed("the allocation list"):
            return self._rows(f"SELECT * FROM {table} ORDER BY {self._ORDER[table]}")  # noqa: S608 - names checked

    def head(self) -> tuple[int, str]:
        """The chain head: the number and hash of the log's last entry (keep it to detect a cut log)."""
        rows = self._rows("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1")
        return (rows[0]["id"], rows[0]["hash"]) if rows else (0, GENESIS)

    def correct(self, participant_id: str, kind: str, reason: str, by: str) -> None:
        """Record a withdrawal, exclusion or allocation in error as a new log entry: added, never deleted."""
        with self._owner_write(kind.replace("_", " ")):
            if not self._rows("SELECT 1 FROM participants WHERE id = ?", (participant_id,)):
                raise AllocationError(f"participant {participant_id} is not enrolled; nothing to correct")
            self._log(kind, participant_id, {"reason": reason, "by": by})

    def add_links(self, token_hashes: Sequence[str], prefix: str = "web") -> list[str]:
        """Keep the SHA-256 of new personal link tokens (never a token), each with a new participant ID
        (``web00001``, numbered on from the links made before); log how many. Returns the IDs, in order."""
        if not self._has_table("links"):
            raise StoreError(
                f"{self.describe()} was made by a placebolab without online sessions (no table links); "
                "run the study's online part in a study made by this version"
            )
        with self._owner_write("personal links"):
            self._log("links_created", None, {"count": len(token_hashes)})  # first: it holds the log's lock
            made = self._rows("SELECT COUNT(*) AS n FROM links")[0]["n"]
            ids = [f"{prefix}{made + i:05d}" for i in range(1, len(token_hashes) + 1)]
            at = now_iso()
            self._insert(
                "INSERT INTO links VALUES (?, ?, ?)", [(h, p, at) for h, p in zip(token_hashes, ids, strict=True)]
            )
        return ids

    def link_participant(self, token_sha256: str) -> str | None:
        """The participant ID of the personal link whose token has this SHA-256; None for no such link."""
        if not self._has_table("links"):
            return None
        rows = self._rows("SELECT participant FROM links WHERE token_sha256 = ?", (token_sha256,))
        return str(rows[0]["participant"]) if rows else None

    def latest_correction(self, participant_id: str) -> str | None:
        """The log's kind of the participant's latest correction (``withdrawn``, ``excluded``,
        ``allocated_in_error``), or None (index ``corrections``)."""
        rows = self._rows(_LATEST_CORRECTION.format(participant="?"), (participant_id,))
        return str(rows[0]["kind"]) if rows else None

    def link(self, token_sha256: str, decline_keys: Collection[str] = ()) -> Link | None:
        """``link_participant``, that participant's ``latest_correction``, their ``session_state`` with their
        ``drafts`` and, before enrolment, whether they ``consent_declined``, in one query (a web page asks all of
        these at every request); None for no such link."""
        if not self._has_table("links"):
            return None
        drafts = self._has_table("drafts")
        query = (_LINK_STATE + (_LINK_DRAFTS if drafts else "")).format(asked=_placeholders(decline_keys))
        params = (token_sha256, *decline_keys, token_sha256, *((token_sha256,) if drafts else ()))
        first, state = _session_state(self._rows(query, params), with_drafts=drafts)
        if first is None:
            return None
        return Link(str(first["link"]), first["correction"], state, bool(first["declined"]))

    def consent_declined(self, participant_id: str) -> bool:
        """Whether the link's participant declined consent before enrolment (``decline_consent``)."""
        # DECLINED_CONSENT written out: a partial index (``declines``) serves only a query that states its condition
        rows = self._rows(
            "SELECT 1 FROM events WHERE participant = ? AND kind = 'declined_consent' LIMIT 1", (participant_id,)
        )
        return bool(rows)

    def log(self, kind: str, participant_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
        """An owner's log entry (e.g. unblinding); a session's entries are written with its steps."""
        with self._owner_write(kind):
            self._log(kind, participant_id, detail)


#: The kind of a participant's latest correction (``Store.latest_correction``); ``participant``: what names them.
#: The kinds are named twice, as each form of the index ``corrections`` names them (a query uses a partial index
#: only if it states the index's condition): SQLite's (schema.sql) since its log entries stopped building a
#: temporary table for the condition, and that of PostgreSQL and of a SQLite study made before.
_LATEST_CORRECTION = (
    "SELECT kind FROM events WHERE participant = {participant} "
    "AND kind IN ('withdrawn', 'excluded', 'allocated_in_error') "
    "AND (kind IN ('withdrawn', 'excluded') OR kind = 'allocated_in_error') ORDER BY id DESC LIMIT 1"
)


#: ``Store.session_state``: the participant's row (what ``Participant.from_row`` reads; its step_key NULL), then a
#: row per recorded step (the participant's columns NULL), one per answer for a step of ``{asked}`` (placeholders
#: of the keys whose answers are read). One statement: one snapshot, and on PostgreSQL one round trip (the
#: experimenter role may read these tables: postgres.sql).
_SESSION_STATE = (
    "SELECT id, cell, stratum, intake, simulated, pilot, enrolled_at, started_at, status, completed_at, "
    "NULL AS step_key, NULL AS item, NULL AS value FROM participants WHERE id = ? "
    "UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s.step_key, r.item, r.value "
    "FROM steps s LEFT JOIN responses r "
    "ON s.step_key IN ({asked}) AND r.participant = s.participant AND r.step_key = s.step_key "
    "WHERE s.participant = ?"
)
#: ``Store.link``: ``_SESSION_STATE`` of the link's participant, its first row the link's, with their latest
#: correction (``_LATEST_CORRECTION``) and, before enrolment, the participant's columns NULL and ``declined``
#: (``consent_declined``: a log entry of kind ``DECLINED_CONSENT``, written out); the step rows' ``shown_at`` NULL;
#: then, where the store keeps drafts, ``_LINK_DRAFTS``: a row per draft (``drafts``), its ``shown_at`` set.
_LINK_STATE = (
    "SELECT l.participant AS link, ({correction}) AS correction, CASE WHEN p.id IS NULL THEN EXISTS (SELECT 1 "
    "FROM events WHERE participant = l.participant AND kind = 'declined_consent') END AS declined, "
    "p.id, p.cell, p.stratum, p.intake, p.simulated, p.pilot, p.enrolled_at, p.started_at, p.status, "
    "p.completed_at, NULL AS step_key, NULL AS item, NULL AS value, CAST(NULL AS DOUBLE PRECISION) AS rt, "
    "CAST(NULL AS DOUBLE PRECISION) AS responded_at, CAST(NULL AS DOUBLE PRECISION) AS shown_at "
    "FROM links l LEFT JOIN participants p ON p.id = l.participant WHERE l.token_sha256 = ? "
    "UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s.step_key, "
    "r.item, r.value, NULL, NULL, NULL FROM links l JOIN steps s ON s.participant = l.participant "
    "LEFT JOIN responses r ON s.step_key IN ({asked}) AND r.participant = s.participant AND r.step_key = s.step_key "
    "WHERE l.token_sha256 = ?"
).replace("{correction}", _LATEST_CORRECTION.format(participant="l.participant"))
_LINK_DRAFTS = (
    " UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, d.step_key, "
    "d.item, d.value, d.rt, d.responded_at, d.shown_at FROM links l JOIN drafts d ON d.participant = l.participant "
    "WHERE l.token_sha256 = ? AND d.step_key NOT IN (SELECT step_key FROM steps WHERE participant = l.participant)"
)


def _placeholders(values: Collection[str]) -> str:
    return ", ".join("?" * len(values)) or "NULL"  # IN (NULL): none


def _session_state(rows: Sequence[Row], with_drafts: bool = False) -> tuple[Row | None, SessionState | None]:
    """The first row of a ``_SESSION_STATE`` or ``_LINK_STATE`` query (None: no such participant, or link) and the
    session state its rows give (None: not enrolled); ``with_drafts``: the query read the drafts too."""
    first: Row | None = None
    participant: Participant | None = None
    completed: set[str] = set()
    answers: dict[str, dict[str, float | None]] = {}
    drafts: list[Draft] = []
    for row in rows:
        key = row["step_key"]
        if key is None:  # the participant's (or link's) own row
            first = row
            participant = Participant.from_row(row) if row["id"] is not None else None
        elif with_drafts and row["shown_at"] is not None:
            drafts.append(
                Draft(key, Answer(row["item"], row["value"], row["rt"], row["responded_at"]), row["shown_at"])
            )
        else:
            completed.add(key)
            if row["item"] is not None:
                answers.setdefault(key, {})[row["item"]] = row["value"]
    if participant is None:
        return first, None
    return first, SessionState(participant, frozenset(completed), answers, _by_step(drafts) if with_drafts else None)


def _by_step(drafts: list[Draft]) -> dict[str, list[Draft]]:
    """Drafts by step key, each step's in the order they were given (``Store.drafts``'s order)."""
    found: dict[str, list[Draft]] = {}
    for draft in sorted(drafts, key=lambda d: (d.answer.responded_at, d.answer.item)):
        found.setdefault(draft.step_key, []).append(draft)
    return found


def now_iso() -> str:
    """Now in UTC as ISO 8601 to the millisecond, as ``datetime.now(UTC).isoformat(timespec="milliseconds")``
    writes it; the date and time of the second are formatted once per second (every log entry asks)."""
    global _second
    second, milliseconds = divmod(int(time.time() * 1000), 1000)
    known = _second  # one tuple, replaced whole: a thread never pairs one second's text with another's
    if known[0] != second:
        known = _second = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    return f"{known[1]}.{_MILLISECONDS[milliseconds]}+00:00"


_second: tuple[int, str] = (-1, "")  # now_iso's last second and its text
_MILLISECONDS = [f"{ms:03d}" for ms in range(1000)]  # written once, not formatted at every entry


def waits_for_disk(record: StepRecord, completes_session: bool) -> bool:
    """Whether a step's commit waits until it is on the disk (fsync) before the session moves on. A step that
    records no answer and no mark and does not end the session (a text or script page, a picture, a video
    watched) does not: it is stored and seen by every station at once, and the next commit that waits (the
    next answer) puts it on the disk with itself, so only a power cut or a crash of the machine in between
    loses it, and the resumed session then shows that page again. Every answer, mark, enrolment and
    completion waits: a participant never moves on from an answer that a power cut could take back."""
    return bool(record.answers) or record.mark is not None or completes_session


def json_text(value: Any) -> str:
    """``json.dumps(value)``, the same text from the same C encoder, made here with ``json.dumps``'s defaults:
    ``json.dumps`` reaches it through several Python calls, and a participant's intake and each log entry's
    detail are written with it. tests/store/test_digest.py compares the two."""
    if _c_make_encoder is None:  # a Python without json's C speedups
        return json.dumps(value)
    encode = _c_make_encoder({}, _JSON_DEFAULT, _json_string, None, ": ", ", ", False, False, True)
    return "".join(encode(value, 0))


_JSON_DEFAULT = json.JSONEncoder().default  # what json.dumps says of a value it cannot write
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)  # json.dumps's own (C) encoder (typeshed omits it)


def chain_hash(prev: str, event_id: int, at: str, participant: str | None, kind: str, detail: str | None) -> str:
    """The hash of one log entry, chained to the one before it.

    PostgreSQL computes the same string in ``placebolab.append_event``; keep the two in step.
    """
    text = f"{prev}\n{event_id}\n{at}\n{participant or ''}\n{kind}\n{detail or ''}"
    return _sha256_hex(text.encode("utf-8"))


def participant_digest(
    participant_id: str, stratum: str, cell: str, intake_text: str, simulated: bool, pilot: bool
) -> str:
    """The digest of what decides whether and how a participant is analysed, sealed in their
    ``allocated`` log entry: the intake text as stored, the stratum, the cell and the simulated and
    pilot flags. PostgreSQL computes the same string in ``placebolab.participant_digest``."""
    text = f"{participant_id}\n{stratum}\n{cell}\n{intake_text}\n{int(simulated)}\n{int(pilot)}"
    return _sha256_hex(text.encode("utf-8"))


def bundle_hash(protocol_text: bytes, files: Mapping[str, bytes]) -> str:
    """One hash of the protocol and every frozen file it uses: what the study is, exactly."""
    digest = hashlib.sha256(protocol_text)
    listing = {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())}
    digest.update(json.dumps(listing, sort_keys=True).encode())
    return digest.hexdigest()


def init_detail(meta: Mapping[str, str], slots: int) -> dict[str, Any]:
    """The ``initialised`` log entry: the study's three hashes, sealed by the chain from its first entry."""
    return {"slots": slots, **{key: meta[key] for key in SEALED_AT_INIT if key in meta}}


#: The meta hashes the first log entry seals (the audit checks meta and the frozen files against them).
SEALED_AT_INIT = ("protocol_sha256", "bundle_sha256", "list_sha256")


def step_digest(participant_id: str, step: Mapping[str, Any], answers: Sequence[Mapping[str, Any]]) -> str:
    """A digest of one recorded step and its answers, logged with it so the audit sees any later edit."""
    return _digest(
        participant_id,
        (step["step_key"], step["step"], step["occasion"], step["shown_at"], step["completed_at"], step["frontend"]),
        step["detail"],
        [(a["item"], a["value"], a["rt"], a["responded_at"]) for a in answers],
    )


def record_digest(participant_id: str, record: StepRecord, detail: str | None) -> str:
    """``step_digest`` of a record about to be stored (``detail``: its detail's JSON text, as stored): the same
    digest the audit computes from its rows."""
    return _digest(
        participant_id, record.columns, detail, [(a.item, a.value, a.rt, a.responded_at) for a in record.answers]
    )


def _digest(participant_id: str, step: tuple[Any, ...], detail: str | None, answers: list[tuple[Any, ...]]) -> str:
    """``step``: (step_key, step, occasion, shown_at, completed_at, frontend)."""
    step_key, step_id, occasion, shown_at, completed_at, frontend = step
    listed = sorted(
        [item, None if value is None else float(value), None if rt is None else float(rt), float(at)]
        for item, value, rt, at in answers
    )
    text = _canonical_text(
        participant_id, listed, float(completed_at), detail, frontend, occasion, float(shown_at), step_id, step_key
    )
    return _sha256_hex(text.encode())


def _sha256_hex(data: bytes) -> str:
    """``hashlib.sha256(data).hexdigest()``: from a copy of an empty hash, as ``hashlib.sha256()`` looks the
    algorithm up in OpenSSL at every call (a few of these per step: the step's digest, its log entry's hash)."""
    digest = _EMPTY_SHA256.copy()
    digest.update(data)
    return digest.hexdigest()


_EMPTY_SHA256 = hashlib.sha256()


def _canonical_text(
    participant_id: str,
    answers: list[list[Any]],
    completed_at: float,
    detail: str | None,
    frontend: str,
    occasion: str | None,
    shown_at: float,
    step_id: str,
    step_key: str,
) -> str:
    """What a step's digest hashes: exactly ``json.dumps`` of the dict ``{"answers": answers, "completed_at": …,
    "detail", "frontend", "occasion", "participant", "shown_at", "step", "step_key"}`` (keys sorted, default
    separators, ASCII), written out directly. Formatting a float is most of the cost, and steps repeat their
    numbers (``_number``). tests/store/test_digest.py checks it against ``json.dumps``."""
    number = _number
    listed = ", ".join(
        [f"[{_json_string(item)}, {number(value)}, {number(rt)}, {number(at)}]" for item, value, rt, at in answers]
    )
    return (
        f'{{"answers": [{listed}], "completed_at": {number(completed_at)}, "detail": {_json_nullable(detail)}, '
        f'"frontend": {_json_string(frontend)}, "occasion": {_json_nullable(occasion)}, '
        f'"participant": {_json_string(participant_id)}, "shown_at": {number(shown_at)}, '
        f'"step": {_json_string(step_id)}, "step_key": {_json_string(step_key)}}}'
    )


def _number(value: float | None) -> str:
    """A number of a step's digest as ``json.dumps`` writes it. The texts are kept (a function of the value alone,
    so any thread's are right): a step's onset is the step before's end, each answer's ``at`` is usually the
    step's end and its ``rt`` the same difference, and answers repeat the few points of their scales."""
    if value is None:
        return "null"
    text = _NUMBER_TEXTS.get(value)
    if text is None:
        text = _json_float(value)
        if value:  # 0.0 == -0.0 (one key) but they are written differently
            if len(_NUMBER_TEXTS) >= 1024:
                _NUMBER_TEXTS.clear()
            _NUMBER_TEXTS[value] = text
    return text


_NUMBER_TEXTS: dict[float, str] = {}


def _json_float(value: float) -> str:
    """A float as ``json.dumps`` writes it (its encoder's rule: repr, or NaN / Infinity / -Infinity)."""
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def _json_nullable(text: str | None) -> str:
    return "null" if text is None else _json_string(text)


_INFINITY = float("inf")


def list_commitment(salt: str, slots: Sequence[Slot]) -> str:
    """SHA-256 commitment to the allocation list: ``sha256(salt + "\\n" + one line per slot)``.

    The salt (random, kept sealed in the store) makes the published hash reveal nothing about the
    list: without it, a small list could be found by hashing every candidate. At the end of the study
    the salt is disclosed and anyone can recompute the hash from the list (see docs/allocation.md).
    """
    lines = [_slot_line(s) for s in slots]
    return hashlib.sha256((salt + "\n" + "\n".join(lines)).encode("utf-8")).hexdigest()


def _slot_line(s: Slot) -> str:
    """stratum TAB position TAB block TAB block_size TAB cell, then TAB u TAB v for minimization's numbers."""
    line = f"{s.stratum}\t{s.position}\t{s.block or ''}\t{s.block_size or ''}\t{s.cell or ''}"
    return line if s.u is None else f"{line}\t{s.u!r}\t{s.v!r}"
