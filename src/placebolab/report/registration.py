"""Did the study run on the preregistered protocol, and what differs from the registered plan?

``placebolab prereg`` ends its document (Markdown or HTML) with a machine-readable record in an HTML
comment: the protocol's SHA-256 and the analysis plan, design and allocation it registered. ``placebolab
analyze --prereg FILE`` (or ``--prereg SHA256``) compares the study's export with it, and the report
says whether the study ran on exactly that protocol and lists every deviation; an analysis the plan
has that the registration did not is labelled exploratory (docs/preregistration.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from placebolab.errors import AnalysisError

MARKER = "placebolab-preregistration"
_RECORD = re.compile(r"<!--\s*" + MARKER + r"\s+(\{.*?\})\s*-->", re.S)
_SHA = re.compile(r"^[0-9a-fA-F]{64}$")

#: Plan entries compared one by one: key of the plan → words for one entry.
LISTED = {
    "secondary": "secondary outcome",
    "manipulation_checks": "manipulation check",
    "simple_effects": "simple-effects analysis",
    "mediation": "mediation analysis",
    "contrasts": "planned comparison",
    "post_hoc": "post-hoc analysis",
    "hypotheses": "hypothesis",
}
# Keys export adds to an entry (resolved at export), not written by the researcher.
_DERIVED = {"on", "pairs", "error"}


def record(codebook: dict) -> dict:
    """What a preregistration registers, from the codebook of the protocol it describes."""
    return {
        "protocol": codebook.get("protocol"),
        "protocol_version": codebook.get("protocol_version"),
        "protocol_sha256": codebook.get("protocol_sha256"),
        "bundle_sha256": codebook.get("bundle_sha256"),
        "factors": codebook.get("factors"),
        "cells": [c.get("id") for c in codebook.get("cells") or []],
        "allocation": codebook.get("allocation"),
        "analysis": _clean(codebook.get("analysis") or {}),
    }


def embed(entry: dict) -> str:
    """The record as an HTML comment (invisible in Markdown and HTML alike); ``--`` never occurs inside."""
    text = json.dumps(entry, ensure_ascii=True, sort_keys=True).replace("--", "-\\u002d")
    return f"<!-- {MARKER} {text} -->"


def read_registration(given: str) -> dict:
    """The registration named by ``--prereg``: a file written by ``placebolab prereg`` or a SHA-256."""
    if _SHA.match(given.strip()) and not Path(given).is_file():
        return {"protocol_sha256": given.strip().lower(), "source": "the SHA-256 given"}
    path = Path(given)
    if not path.is_file():
        raise AnalysisError(
            f"--prereg {given}: no such file, and not a SHA-256 (64 hex digits); give the preregistration "
            "`placebolab prereg` wrote or the protocol's SHA-256 it states"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise AnalysisError(f"--prereg {given}: cannot be read ({err})") from None
    found = _RECORD.search(text)
    if found is None:
        raise AnalysisError(
            f"--prereg {given}: holds no placebolab preregistration record (the comment `placebolab prereg` "
            "writes at its end); give that file, or the protocol's SHA-256"
        )
    try:
        entry = json.loads(found.group(1))
    except ValueError:
        entry = None
    if not isinstance(entry, dict) or not _SHA.match(str(entry.get("protocol_sha256", ""))):
        raise AnalysisError(f"--prereg {given}: its preregistration record is damaged (edited by hand?)")
    return {**entry, "source": str(path)}


def registration_view(registered: dict, codebook: dict) -> dict:
    """For the report: ``same`` (bool), the two hashes, ``deviations`` (sentences), ``exploratory`` (names)."""
    ran, was = codebook.get("protocol_sha256"), registered.get("protocol_sha256")
    view = {"source": registered.get("source"), "registered_sha256": was, "study_sha256": ran, "same": ran == was}
    view["deviations"], view["exploratory"] = ([], []) if view["same"] else _deviations(registered, codebook)
    bundles = registered.get("bundle_sha256"), codebook.get("bundle_sha256")
    view["stimuli_differ"] = view["same"] and None not in bundles and bundles[0] != bundles[1]
    if view["stimuli_differ"]:  # the same protocol text, other stimulus files: the manipulation itself changed
        view["same"] = False
        view["deviations"] = [
            f"the stimulus files differ from those registered (bundle SHA-256 registered {bundles[0]}, run "
            f"{bundles[1]}): the scripts or media the cells saw are not the registered ones"
        ]
    if not view["same"] and "analysis" not in registered:
        view["deviations"] = [
            "only the SHA-256 was given, so the deviations cannot be listed; give the preregistration file "
            "(`analyze --prereg prereg.md`)"
        ]
    elif not view["same"] and codebook.get("blinded"):
        view["deviations"] = ["the export is blinded; the unblinded report lists the deviations"]
        view["exploratory"] = []
    return view


def _clean(plan: dict) -> dict:
    cleaned = json.loads(json.dumps(plan))
    for key in LISTED:
        for entry in cleaned.get(key) or []:
            for derived in _DERIVED & set(entry):
                del entry[derived]
    return cleaned


def _deviations(registered: dict, codebook: dict) -> tuple[list[str], list[str]]:
    if "analysis" not in registered:
        return [], []
    now = record(codebook)
    found: list[str] = []
    if registered.get("protocol_version") != now["protocol_version"]:
        found.append(f"protocol version {registered.get('protocol_version')} registered, {now['protocol_version']} run")
    for key, words in (("factors", "factors and levels"), ("cells", "cells and arms"), ("allocation", "allocation")):
        if registered.get(key) != now[key]:
            found.append(f"{words} changed: registered {_short(registered.get(key))}; run {_short(now[key])}")
    was, plan = registered.get("analysis") or {}, now["analysis"]
    exploratory: list[str] = []
    for key in sorted(set(was) | set(plan)):
        if key in LISTED:
            old, new = was.get(key) or [], plan.get(key) or []
            for entry in new:
                if entry not in old:
                    found.append(f"{LISTED[key]} added after registration (exploratory): {_short(entry)}")
                    exploratory.append(_name(key, entry))
            found += [f"registered {LISTED[key]} not in the plan run: {_short(e)}" for e in old if e not in new]
        elif was.get(key) != plan.get(key):
            found.append(f"analysis.{key} changed: registered {_short(was.get(key))}; run {_short(plan.get(key))}")
    return found, exploratory


def _name(key: str, entry: dict) -> str:
    for field in ("outcome", "measure", "effect", "id", "y"):
        if entry.get(field):
            return f"{LISTED[key]} {entry[field]}"
    return LISTED[key]


def _short(value) -> str:
    if isinstance(value, dict):
        shown = {k: v for k, v in value.items() if v not in (None, [], {}, False)}
        return ", ".join(f"{k}: {_short(v)}" for k, v in shown.items()) or "(nothing)"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return "(none)" if value is None else str(value)
