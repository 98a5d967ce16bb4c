"""CONSORT accounting (items 13 and the flow diagram): who was enrolled, allocated, treated, completed.

Counts come from the store: participants and the log, where withdrawals, exclusions and allocations
made in error are recorded as corrections (never by deleting anything). A participant's latest
correction decides how they are counted.
"""

from __future__ import annotations

import json
from collections import Counter

from placebolab.store.base import DECLINED_CONSENT

#: Correction kinds (the log's ``kind``), as ``placebolab correct --as`` names them.
CORRECTIONS = {
    "withdrawn": "withdrawn",
    "excluded": "excluded",
    "allocated-in-error": "allocated_in_error",
}


#: A participant's disposition, as wide.csv and long.csv carry it: ``included`` or the correction's name.
INCLUDED = "included"
DISPOSITIONS = (INCLUDED, *CORRECTIONS)


def dispositions(study) -> dict[str, tuple[str, str]]:
    """Participant id → (disposition, reason) for every participant with a correction.

    The disposition is the ``placebolab correct --as`` name of their latest correction (``withdrawn``,
    ``excluded``, ``allocated-in-error``); participants without one are ``included`` (not listed here).
    """
    names = {kind: name for name, kind in CORRECTIONS.items()}
    return {
        pid: (names[kind], reason) for pid, (kind, reason) in _latest_corrections(study.store.rows("events")).items()
    }


def declined(study) -> set[str]:
    """The participants whose session ended at a step they declined (a consent step answered "I do not agree")."""
    enders = {step.id: step for step in study.protocol.timeline if step.may_decline}
    if not enders:
        return set()
    values: dict[tuple[str, str], dict[str, float | None]] = {}
    for r in study.store.rows("responses"):
        if r["step_key"] in enders:  # a consent step has no occasions: its key is its id
            values.setdefault((r["participant"], r["step_key"]), {})[r["item"]] = r["value"]
    return {participant for (participant, key), got in values.items() if enders[key].declines(got)}


def declined_before_enrolment(events, enrolled: set[str]) -> int:
    """How many declined consent before enrolment (online, a link whose first page is the consent step): the
    log's ``declined_consent`` entries of participants never enrolled. Never allocated, they are CONSORT's
    "excluded before randomisation: declined to participate"."""
    return len({e["participant"] for e in events if e["kind"] == DECLINED_CONSENT and e["participant"] not in enrolled})


def consort_counts(study, include_simulated: bool = True) -> dict:
    """The CONSORT flow as a dict (written to ``consort.json`` by export; documented in docs/tables.md).

    ``received`` counts participants who completed the manipulation: the protocol's first ``script``
    step (the clinician interaction), or, without one, who started their session. Each cell's
    ``allocated`` splits without overlap into ``analysed`` (completed, no correction, not a pilot
    session: whom ``placebolab analyze`` analyses by default), ``pilot``, ``incomplete``,
    ``declined_consent`` (their session ended at a consent step they declined: allocated, as enrolment
    allocates, and never analysed), ``withdrawn``, ``excluded`` and ``allocated_in_error``.
    ``declined_before_enrolment`` counts those who declined a consent asked before enrolment (online): in no
    cell, never allocated, not ``enrolled``.
    """
    protocol = study.protocol
    events = study.store.rows("events")
    corrections = _latest_corrections(events)
    everyone = study.store.participants()
    participants = [p for p in everyone if include_simulated or not p.simulated]
    intervention = next((s.id for s in protocol.timeline if s.type == "script"), None)
    refused = declined(study)
    cells = {}
    for cell in protocol.cells:
        members = [p for p in participants if p.cell == cell.id]
        # without a script step, starting the session counts as receiving it: not for those who declined consent
        received = [
            p
            for p in members
            if _received(study.store, p, intervention) and (intervention is not None or p.id not in refused)
        ]
        reasons: dict[str, Counter[str]] = {kind: Counter() for kind in CORRECTIONS.values()}
        for p in members:
            if p.id in corrections:
                kind, reason = corrections[p.id]
                reasons[kind][reason] += 1
        included = [p for p in members if p.id not in corrections]
        completed = [p for p in included if p.status == "completed"]
        declining = [p for p in included if p.id in refused and p.status != "completed"]
        cells[cell.id] = {
            "allocated": len(members),
            "received": len(received),
            "not_received": len(members) - len(received),
            "completed": len(completed),
            "declined_consent": len(declining),
            "incomplete": len(included) - len(completed) - len(declining),
            "pilot": sum(p.pilot for p in completed),
            **{kind: sum(r.values()) for kind, r in reasons.items()},
            "reasons": {kind: dict(r) for kind, r in reasons.items() if r},
            "analysed": sum(not p.pilot for p in completed),
        }
    return {
        "enrolled": len(participants),
        "simulated": sum(p.simulated for p in participants),
        "pilot": sum(p.pilot for p in participants),
        "declined_consent": sum(p.id in refused for p in participants),
        "declined_before_enrolment": declined_before_enrolment(events, {p.id for p in everyone}),
        "intervention_step": intervention,
        "cells": cells,
    }


def _latest_corrections(events) -> dict[str, tuple[str, str]]:
    latest = {}
    kinds = set(CORRECTIONS.values())
    for event in events:
        if event["kind"] in kinds:
            latest[event["participant"]] = (event["kind"], json.loads(event["detail"] or "{}").get("reason", ""))
    return latest


def _received(store, participant, intervention: str | None) -> bool:
    if intervention is None:
        return participant.started_at is not None
    return intervention in store.completed_steps(participant.id)
