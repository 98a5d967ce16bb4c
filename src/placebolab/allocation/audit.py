"""The audit: replay the sealed allocation list and the hash-chained log, and name every break.

What is checked, in order:

1. the log: entries numbered 1, 2, 3 … without gaps, each hash equal to ``chain_hash`` of the entry
   and the hash before it (an entry changed, removed or inserted breaks the chain at that entry);
2. the list: regenerated from the sealed seed, it equals the stored list slot by slot, and the
   stored list hashes (with the sealed salt) to the commitment printed at init;
3. the allocations: each participant's cell is the cell of the slot the log says they were given,
   and every slot handed out has its ``allocated`` entry in the log (and the other way round);
4. the participants: intake, stratum, cell and the simulated and pilot flags hash to the digest
   sealed in their ``allocated`` entry; their status is the one their logged session entries give;
   a completed session has every step of its cell recorded;
5. the responses: each recorded step and its answers hash to the digest logged with it;
6. the protocol and frozen files: the protocol text and every frozen file hash to the bundle hash,
   and the protocol, bundle and list hashes in ``meta`` equal those sealed in the first log entry;
   each media file probed again measures what init recorded of it (``Study.open`` reads that record);
7. the head: every chain head the lab kept (``audit --head``) is still an entry of the chain; if one
   is not, the log was cut or rolled back after it was kept.

Entries written by an older placebolab lack some digests: what they cannot prove is listed in
``notes``, never reported as intact.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field

from placebolab.allocation.schemes import generate_slots
from placebolab.protocol.occurrences import plan
from placebolab.store.base import (
    GENESIS,
    SEALED_AT_INIT,
    bundle_hash,
    chain_hash,
    list_commitment,
    participant_digest,
    step_digest,
)
from placebolab.store.records import Participant, Slot


@dataclass
class AuditReport:
    """What was checked (``checked``: one line each), every break found (``problems``), what could not
    be checked (``notes``: entries made by an older version) and the chain head (entry number, hash)."""

    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    head: tuple[int, str] = (0, GENESIS)

    @property
    def intact(self) -> bool:
        return not self.problems


def audit_study(study, heads=()) -> AuditReport:
    """Audit a study (needs the owner's access on PostgreSQL: the list is concealed from experimenters).

    ``heads``: chain heads kept earlier (hashes printed by init, audit and the commands that log);
    each must still be in the chain."""
    store = study.store
    report = AuditReport()
    with store.snapshot():  # stations may be allocating meanwhile: audit one committed state
        events = [dict(r) for r in store.rows("events")]
        allocation = [dict(r) for r in store.rows("allocation")]
        participants = _readable_participants(store, report)
        _check_chain(events, report)
        _check_list(study, allocation, report)
        _check_allocations(participants, allocation, events, report)
        if study.minimizer is not None:
            _check_minimization(study.minimizer, participants, allocation, report)
        _check_participants(study, participants, events, report)
        _check_responses(store, events, report)
        files, meta = store.files(), store.meta()  # as stored now, not as when the study was opened
    _check_protocol(meta, files, events, report)
    _check_media_probes(meta, files, report)
    _check_heads(events, heads, report)
    if events:
        report.head = (events[-1]["id"], events[-1]["hash"])
    return report


def _readable_participants(store, report: AuditReport) -> list[Participant]:
    """Every participant whose row can be read; a row whose intake is no longer JSON is named."""
    readable = []
    for row in store.rows("participants"):
        try:
            readable.append(Participant.from_row(row))
        except ValueError:
            report.problems.append(f"participant {row['id']}: the stored intake is not JSON: {row['intake'][:80]!r}")
    return sorted(readable, key=lambda p: (p.enrolled_at, p.id))


def _detail(event) -> dict:
    """A log entry's detail as a dict ({} when absent or not a JSON object: the chain check names edits)."""
    try:
        detail = json.loads(event["detail"] or "{}")
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}


def _check_chain(events: list[dict], report: AuditReport) -> None:
    prev = GENESIS
    for expected_id, event in enumerate(events, start=1):
        where = (
            f"log entry #{event['id']} ({event['kind']}{', ' + event['participant'] if event['participant'] else ''})"
        )
        if event["id"] != expected_id:
            report.problems.append(f"log entry #{expected_id} is missing: the log jumps to #{event['id']}")
            return
        digest = chain_hash(prev, event["id"], event["at"], event["participant"], event["kind"], event["detail"])
        if digest != event["hash"]:
            report.problems.append(f"{where} does not match its hash: it was changed after it was written")
            return
        prev = event["hash"]
    report.checked.append(f"log: {len(events)} entries, hash chain intact")


def _check_list(study, allocation: list[dict], report: AuditReport) -> None:
    sealed = study.store.sealed()
    minimized = study.protocol.allocation.scheme == "minimization"  # cells decided later: not in the seal
    stored = [
        Slot(r["stratum"], r["position"], None if minimized else r["cell"], r["block"], r["block_size"], r["u"], r["v"])
        for r in sorted(allocation, key=lambda r: (r["stratum"], r["position"]))
    ]
    expected = sorted(generate_slots(study.protocol, int(sealed["seed"])), key=lambda s: (s.stratum, s.position))
    if list_commitment(sealed["salt"], _generation_order(stored, study)) != study.meta.get("list_sha256"):
        report.problems.append("the allocation list does not hash to the commitment printed at init")
    for got, want in zip(stored, expected, strict=False):
        if got != want:
            what = "random numbers" if minimized else "cell"
            report.problems.append(
                f"allocation slot {got.stratum or '(unstratified)'} #{got.position} holds "
                f"{(got.u, got.v) if minimized else got.cell}; the sealed list's {what} differ"
                if minimized
                else f"allocation slot {got.stratum or '(unstratified)'} #{got.position} holds {got.cell}; "
                f"the sealed list says {want.cell}"
            )
    if len(stored) != len(expected):
        report.problems.append(f"the allocation list has {len(stored)} slots; the sealed list has {len(expected)}")
    if not report.problems:
        report.checked.append(f"list: {len(stored)} slots replay from the sealed seed and match the commitment")


def _generation_order(stored: list[Slot], study) -> list[Slot]:
    """The stored slots in the order they were generated (strata in protocol order), as committed."""
    from placebolab.allocation.schemes import strata

    rank = {name: i for i, name in enumerate(strata(study.protocol))}
    return sorted(stored, key=lambda s: (rank.get(s.stratum, len(rank)), s.position))


def _check_allocations(participants, allocation: list[dict], events: list[dict], report: AuditReport) -> None:
    before = len(report.problems)
    slot_of = {r["participant"]: r for r in allocation if r["participant"]}
    logged = {}
    for event in events:
        if event["kind"] == "allocated":
            detail = _detail(event)
            logged[event["participant"]] = (detail.get("stratum"), detail.get("position"))
    for p in participants:
        slot = slot_of.get(p.id)
        if slot is None:
            report.problems.append(f"participant {p.id} has cell {p.cell} but holds no slot of the allocation list")
            continue
        if slot["cell"] != p.cell:
            report.problems.append(
                f"participant {p.id} is recorded in cell {p.cell}; their slot "
                f"{slot['stratum']} #{slot['position']} says {slot['cell']}"
            )
        if logged.get(p.id) != (slot["stratum"], slot["position"]):
            report.problems.append(
                f"participant {p.id} holds slot {slot['stratum']} #{slot['position']}; "
                f"the log says {_slot_text(logged.get(p.id))}"
            )
    enrolled = {p.id for p in participants}
    for pid in sorted(set(slot_of) - enrolled):
        report.problems.append(
            f"slot {slot_of[pid]['stratum']} #{slot_of[pid]['position']} is taken by {pid}, who is not enrolled"
        )
    for pid in sorted(set(logged) - enrolled):
        report.problems.append(f"the log allocates {pid}, who is not enrolled")
    if len(report.problems) == before:
        report.checked.append(f"allocations: {len(participants)} participants, each in the cell of their logged slot")


def _check_minimization(minimizer, participants, allocation: list[dict], report: AuditReport) -> None:
    """Replay every minimization decision in list order from the participants allocated before it."""
    before = len(report.problems)
    intake = {p.id: p.intake for p in participants}
    history: list[tuple[str, dict]] = []
    for slot in sorted(allocation, key=lambda r: r["position"]):
        if not slot["participant"] or slot["participant"] not in intake:
            continue
        candidates = minimizer.candidates(history, intake[slot["participant"]])
        chosen = minimizer.choose(candidates, slot["u"], slot["v"])
        where = f"minimization decision #{slot['position']} ({slot['participant']})"
        if chosen != slot["cell"]:
            report.problems.append(f"{where} replays to {chosen}; the store says {slot['cell']}")
        elif not _same_decision(json.loads(slot["decision"] or "null"), json.loads(candidates.detail())):
            report.problems.append(f"{where}: the recorded scores differ from the replayed ones")
        history.append((slot["cell"], intake[slot["participant"]]))
    if len(report.problems) == before:
        report.checked.append(f"minimization: {len(history)} decisions replay from the recorded history")


def _same_decision(recorded, replayed: dict) -> bool:
    """The same candidates, and scores equal up to rounding (PostgreSQL scores them in SQL)."""
    if not isinstance(recorded, dict) or not isinstance(recorded.get("scores"), dict):
        return False
    same_cells = all(recorded.get(k) == replayed[k] for k in ("preferred", "others"))
    scores = recorded["scores"]
    return (
        same_cells
        and scores.keys() == replayed["scores"].keys()
        and all(
            isinstance(scores[c], int | float) and math.isclose(scores[c], replayed["scores"][c], abs_tol=1e-9)
            for c in scores
        )
    )


#: A participant's status as their latest logged session entry leaves it.
_STATUS_AFTER = {"allocated": "allocated", "session_started": "running", "session_resumed": "running"}
_STATUS_AFTER["session_completed"] = "completed"


def _check_participants(study, participants, events: list[dict], report: AuditReport) -> None:
    """Intake, flags, stratum and cell against the digest sealed at enrolment; status against the log."""
    before, unsealed = len(report.problems), []
    sealed, logged_status = {}, {}
    for event in events:
        if event["kind"] == "allocated":
            sealed[event["participant"]] = _detail(event).get("participant_sha256")
        if event["kind"] in _STATUS_AFTER and event["participant"]:
            logged_status[event["participant"]] = _STATUS_AFTER[event["kind"]]
    steps = defaultdict(set)
    for r in study.store.rows("steps"):
        steps[r["participant"]].add(r["step_key"])
    intake_text = {r["id"]: r["intake"] for r in study.store.rows("participants")}  # as stored, as hashed
    plans = {c.id: [o.key for o in plan(study.protocol, c.id)] for c in study.protocol.cells}
    for p in participants:
        if sealed.get(p.id) is None:
            unsealed.append(p.id)
        elif participant_digest(p.id, p.stratum, p.cell, intake_text[p.id], p.simulated, p.pilot) != sealed[p.id]:
            report.problems.append(
                f"participant {p.id}: intake, stratum, cell or the simulated/pilot flags differ from those sealed "
                f"at enrolment (now cell {p.cell}, pilot={int(p.pilot)}, simulated={int(p.simulated)}, "
                f"intake {intake_text[p.id]})"
            )
        expected = logged_status.get(p.id, "allocated")
        if p.status != expected:
            report.problems.append(f"participant {p.id} has status {p.status}; the log says {expected}")
        elif p.status == "completed" and p.cell in plans:
            missing = [key for key in plans[p.cell] if key not in steps[p.id]]
            if missing:
                report.problems.append(
                    f"participant {p.id} is completed but has no recorded {', '.join(missing[:5])}"
                    + (f" and {len(missing) - 5} more steps" if len(missing) > 5 else "")
                )
    if unsealed:
        report.notes.append(
            f"{len(unsealed)} participants ({_first(unsealed)}) were enrolled by an older placebolab: their "
            "intake and simulated/pilot flags are not sealed in the log (made by an older version), not checked"
        )
    if len(report.problems) == before:
        report.checked.append(
            f"participants: {len(participants) - len(unsealed)} with intake, flags and status matching the log"
        )


def _first(ids: list[str]) -> str:
    return ", ".join(ids[:3]) + (" …" if len(ids) > 3 else "")


def _check_heads(events: list[dict], heads, report: AuditReport) -> None:
    at = {e["hash"]: e["id"] for e in events}
    for head in heads:
        if head not in at:
            report.problems.append(
                f"the kept chain head {head} is no longer in the log ({len(events)} entries): the log was cut, "
                "rolled back or rewritten after that head was kept (or the head is another study's)"
            )
        else:
            report.checked.append(f"head: {head[:16]}… is entry #{at[head]} (entries since: {len(events) - at[head]})")


def _slot_text(slot) -> str:
    return "no allocation" if slot is None else f"slot {slot[0]} #{slot[1]}"


def _check_responses(store, events: list[dict], report: AuditReport) -> None:
    before = len(report.problems)
    answers = defaultdict(list)
    for r in store.rows("responses"):
        answers[(r["participant"], r["step_key"])].append(r)
    steps = {(r["participant"], r["step_key"]): r for r in store.rows("steps")}
    logged = {}
    for event in events:
        if event["kind"] == "step_recorded":
            detail = _detail(event)
            logged[(event["participant"], detail.get("step_key"))] = detail.get("digest")
    for key, step in steps.items():
        if key not in logged:
            report.problems.append(f"step {key[1]} of {key[0]} is stored but not in the log")
        elif step_digest(key[0], step, answers[key]) != logged[key]:
            report.problems.append(f"step {key[1]} of {key[0]}: the stored answers differ from those logged")
    for key in sorted(set(logged) - set(steps)):
        report.problems.append(f"step {key[1]} of {key[0]} is in the log but no longer stored")
    for key in sorted(set(answers) - set(steps)):
        report.problems.append(f"answers to step {key[1]} of {key[0]} are stored without their step")
    if len(report.problems) == before:
        n = sum(len(a) for a in answers.values())
        report.checked.append(f"responses: {len(steps)} steps and {n} answers match their logged digests")


def _check_protocol(meta: dict, files: dict[str, bytes], events: list[dict], report: AuditReport) -> None:
    """The frozen protocol and files against the bundle hash, and meta's hashes against the first entry."""
    before = len(report.problems)
    text = meta["protocol_text"].encode("utf-8")
    first = _detail(events[0]) if events and events[0]["kind"] == "initialised" else {}
    if hashlib.sha256(text).hexdigest() != meta["protocol_sha256"]:
        report.problems.append("the frozen protocol text does not match its recorded protocol_sha256")
    if bundle_hash(text, files) != meta.get("bundle_sha256"):
        report.problems.append(
            "the frozen protocol or stimulus files do not hash to the bundle hash sealed at init: "
            "a frozen file was changed, added or removed"
        )
    unsealed = [key for key in SEALED_AT_INIT if key not in first]
    for key in SEALED_AT_INIT:
        if key in first and first[key] != meta.get(key):
            report.problems.append(f"{key} in the store's meta differs from the one sealed in log entry #1")
    if unsealed:
        report.notes.append(
            f"{', '.join(unsealed)} not sealed in the log (made by an older version): "
            "checked against the store's own meta only"
        )
    if len(report.problems) == before:
        report.checked.append(f"protocol and {len(files)} frozen files match the bundle hash sealed at init")


def _check_media_probes(meta: dict, files: dict[str, bytes], report: AuditReport) -> None:
    """Each media file, probed again, measures what init recorded of it: openings trust that record."""
    from placebolab.components.media import MEDIA_PROBES, reprobe

    if MEDIA_PROBES not in meta:
        return  # made before the record was kept: every opening probes the files itself
    try:
        probes = json.loads(meta[MEDIA_PROBES])
        recorded = {sha: (p["kind"], p) for sha, p in probes.items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        report.problems.append(f"the media probes in the store's meta ({MEDIA_PROBES}) are not readable JSON")
        return
    by_hash = {hashlib.sha256(content).hexdigest(): (name, content) for name, content in files.items()}
    before = len(report.problems)
    for sha, (kind, recorded_probe) in sorted(recorded.items()):
        if sha not in by_hash:
            report.problems.append(f"the media probes in meta name a file that is not frozen (sha256 {sha[:12]}…)")
            continue
        name, content = by_hash[sha]
        try:
            measured = reprobe(kind, name, content)
        except (ValueError, KeyError):
            measured = None
        if measured != recorded_probe:
            report.problems.append(
                f"media file '{name}' measures {measured} now, but the store records {recorded_probe}: "
                "the record studies open with was changed"
            )
    if len(report.problems) == before:
        report.checked.append(f"media: {len(recorded)} files measure what init recorded of them")
