"""The store interface every backend implements (SQLite, PostgreSQL), and what they share.

A study's engine, export, status and audit talk only to this interface, so a study behaves the same
whether its store is an embedded SQLite file or a central PostgreSQL database used by several rooms.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from placebolab.store.records import Participant, Slot, StepRecord

#: The tables ``Store.rows`` returns. ``allocation`` and ``sealed`` are concealed on PostgreSQL.
TABLES = frozenset({"participants", "steps", "responses", "marks", "events", "allocation"})

#: The hash the first log entry chains to.
GENESIS = "0" * 64


class Store(Protocol):
    """A study store. Every write is one transaction: all of it is stored, or none."""

    def close(self) -> None: ...

    def describe(self) -> str:
        """Where the store is, for messages (a path, or a URL without its password)."""
        ...

    def meta(self) -> dict[str, str]: ...

    def snapshot(self):
        """A context in which every read sees the same committed state (for audit and counts while stations run)."""
        ...

    def sealed(self) -> dict[str, str]:
        """The seed and the commitment's salt: concealed from experimenters on PostgreSQL."""
        ...

    def files(self) -> dict[str, bytes]: ...

    def participant(self, participant_id: str) -> Participant | None: ...

    def participants(self) -> list[Participant]: ...

    def completed_steps(self, participant_id: str) -> set[str]: ...

    def marks(self, participant_id: str) -> dict[str, float]: ...

    def rows(self, table: str) -> Sequence[Mapping[str, Any]]: ...

    def allocation_summary(self) -> dict[str, int]: ...

    def enrol(
        self, participant_id: str, stratum: str, intake: dict, *, simulated=False, pilot=False, minimizer=None
    ) -> str:
        """Allocate: the next slot of ``stratum``, or a minimization decision with ``minimizer``."""
        ...

    def start_session(self, participant_id: str, at: float, frontend: str) -> float: ...

    def record_step(self, participant_id: str, record: StepRecord, completes_session: bool = False) -> None: ...

    def complete(self, participant_id: str) -> None: ...

    def correct(self, participant_id: str, kind: str, reason: str, by: str) -> None:
        """Record a withdrawal, an exclusion or an allocation made in error: added, never deleted."""
        ...

    def log(self, kind: str, participant_id: str | None = None, detail: dict | None = None) -> None: ...

    def head(self) -> tuple[int, str]:
        """The chain head: the number and hash of the log's last entry (keep it to detect a cut log)."""
        ...


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def chain_hash(prev: str, event_id: int, at: str, participant: str | None, kind: str, detail: str | None) -> str:
    """The hash of one log entry, chained to the one before it.

    PostgreSQL computes the same string in ``placebolab.append_event``; keep the two in step.
    """
    text = f"{prev}\n{event_id}\n{at}\n{participant or ''}\n{kind}\n{detail or ''}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def participant_digest(
    participant_id: str, stratum: str, cell: str, intake_text: str, simulated: bool, pilot: bool
) -> str:
    """The digest of what decides whether and how a participant is analysed, sealed in their
    ``allocated`` log entry: the intake text as stored, the stratum, the cell and the simulated and
    pilot flags. PostgreSQL computes the same string in ``placebolab.participant_digest``."""
    text = f"{participant_id}\n{stratum}\n{cell}\n{intake_text}\n{int(simulated)}\n{int(pilot)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def bundle_hash(protocol_text: bytes, files: Mapping[str, bytes]) -> str:
    """One hash of the protocol and every frozen file it uses: what the study is, exactly."""
    digest = hashlib.sha256(protocol_text)
    listing = {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())}
    digest.update(json.dumps(listing, sort_keys=True).encode())
    return digest.hexdigest()


def init_detail(meta: Mapping[str, str], slots: int) -> dict:
    """The ``initialised`` log entry: the study's three hashes, sealed by the chain from its first entry."""
    return {"slots": slots, **{key: meta[key] for key in SEALED_AT_INIT if key in meta}}


#: The meta hashes the first log entry seals (the audit checks meta and the frozen files against them).
SEALED_AT_INIT = ("protocol_sha256", "bundle_sha256", "list_sha256")


def step_digest(participant_id: str, step: Mapping[str, Any], answers: Sequence[Mapping[str, Any]]) -> str:
    """A digest of one recorded step and its answers, logged with it so the audit sees any later edit."""
    canonical = {
        "participant": participant_id,
        "step_key": step["step_key"],
        "step": step["step"],
        "occasion": step["occasion"],
        "shown_at": float(step["shown_at"]),
        "completed_at": float(step["completed_at"]),
        "frontend": step["frontend"],
        "detail": step["detail"],
        "answers": sorted([a["item"], _num(a["value"]), _num(a["rt"]), float(a["responded_at"])] for a in answers),
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def record_digest(participant_id: str, record: StepRecord) -> str:
    step = {
        "step_key": record.step_key,
        "step": record.step,
        "occasion": record.occasion,
        "shown_at": record.shown_at,
        "completed_at": record.completed_at,
        "frontend": record.frontend,
        "detail": json.dumps(record.detail) if record.detail else None,
    }
    answers = [{"item": a.item, "value": a.value, "rt": a.rt, "responded_at": a.responded_at} for a in record.answers]
    return step_digest(participant_id, step, answers)


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


def _num(value):
    return None if value is None else float(value)
