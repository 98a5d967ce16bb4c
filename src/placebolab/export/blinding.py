"""Blinded exports: factor levels and cells replaced by neutral codes, the key kept in the store.

The key is drawn at init (``sealed['blinding_key']``, concealed from experimenters on PostgreSQL)
with the codes of each factor in random order, so neither a code nor its position says which level
it stands for. A blinded export holds no level name of a factor or cell anywhere: ``wide.csv`` and
``long.csv`` columns ``cell`` and the factor columns, ``codebook.json`` and ``codebook.csv``
(factors, cells, ratio, factor columns' levels), ``consort.json``, and the Parquet and ``.sav`` files
made from them: the tables are blinded in memory before any file is written (export/tables.py).
``placebolab unblind`` shows the key and records who unblinded, when and why in the hash-chained log.
"""

from __future__ import annotations

import copy
import itertools
import json
import string

import numpy as np

from placebolab.errors import StoreError


def new_blinding_key(protocol, rng: np.random.Generator) -> dict:
    """``{"factors": {factor: {level: code}}, "cells": {cell: code}}``; codes A, B, … in random order."""
    factors = {}
    for name, factor in protocol.factors.items():
        codes = level_codes(len(factor.levels))
        order = rng.permutation(len(codes))
        factors[name] = {level: codes[i] for level, i in zip(factor.levels, order, strict=True)}
    cells, arms = {}, [c for c in protocol.cells if c.arm]
    arm_codes = [f"arm-{i + 1}" for i in rng.permutation(len(arms))]
    for cell in protocol.cells:
        if cell.arm:
            cells[cell.id] = arm_codes.pop()
        else:
            cells[cell.id] = "/".join(factors[f][level] for f, level in cell.levels.items())
    return {"factors": factors, "cells": cells}


def level_codes(n: int) -> list[str]:
    """``A … Z``, then ``AA, AB, …`` as spreadsheet columns go: neutral, and the same A–Z as ever for 26 or fewer
    levels (so the keys of studies sealed before stay what they were)."""
    names = (
        "".join(letters)
        for length in itertools.count(1)
        for letters in itertools.product(string.ascii_uppercase, repeat=length)
    )
    return list(itertools.islice(names, n))


def blinding_key(study) -> dict:
    sealed = study.store.sealed()
    if "blinding_key" not in sealed:
        raise StoreError(f"{study.name} was initialised before blinding existed: it has no blinding key")
    return json.loads(sealed["blinding_key"])


def unblinding(study) -> dict | None:
    """The latest ``unblinded`` entry of the study's log as ``{"by", "reason", "at"}``, or None if never."""
    latest = None
    for event in study.store.rows("events"):
        if event["kind"] == "unblinded":
            latest = {**json.loads(event["detail"] or "{}"), "at": event["at"]}
    return latest


def early_unblinded_note(study) -> str | None:
    """Why an analysis naming the levels is premature, or None when it is not.

    Premature: the study holds real (not simulated) participants and nobody has run
    ``placebolab unblind`` yet. Simulated-only studies (testing a protocol) are not blinded data.
    """
    if unblinding(study) is not None or all(p.simulated for p in study.store.participants()):
        return None
    return (
        f"{study.name} has not been unblinded (no `placebolab unblind` in its log), yet this analysis names "
        f"the levels; the blinded analysis is `placebolab analyze {study.folder} --blinded`"
    )


def blind_tables(tables, key: dict):
    """A copy of the export's tables (:class:`~placebolab.export.tables.Tables`) with every level name
    and cell replaced by its code, before anything is written."""
    from dataclasses import replace

    flow = dict(tables.consort)
    flow["cells"] = dict(sorted((key["cells"].get(c, c), v) for c, v in flow["cells"].items()))
    return replace(
        tables,
        long=_blind_table(tables.long, key),
        wide=_blind_table(tables.wide, key),
        codebook=_blind_codebook(tables.codebook, key),
        consort=flow,
    )


def _blind_table(table, key: dict):
    table = table.copy()
    if "cell" in table:
        table["cell"] = table["cell"].map(lambda v: key["cells"].get(v, v))
    for factor, codes in key["factors"].items():
        if factor in table:
            table[factor] = table[factor].map(lambda v, codes=codes: codes.get(v, v))
    return table


def _blind_codebook(book: dict, key: dict) -> dict:
    book = copy.deepcopy(book)
    factors = key["factors"]
    book["blinded"] = True
    book["factors"] = {f: sorted(factors[f].values(), key=_code_order) for f in book["factors"]}
    book["cells"] = sorted(
        (
            {
                "id": key["cells"][c["id"]],
                "levels": {f: factors[f][lv] for f, lv in c["levels"].items()},
                "arm": c["arm"],
            }
            for c in book["cells"]
        ),
        key=lambda c: _code_order(c["id"]),
    )
    ratio = (book.get("allocation") or {}).get("ratio")
    if ratio:
        book["allocation"]["ratio"] = {key["cells"][c]: r for c, r in ratio.items()}
    for column in book["columns"]:
        if column.get("kind") == "factor" and column["name"] in factors:
            column["levels"] = sorted(factors[column["name"]].values(), key=_code_order)
    _blind_comparisons(book.get("analysis") or {}, key)
    return book


def _blind_comparisons(plan: dict, key: dict) -> None:
    """The plan's contrasts and post-hoc controls name levels and cells: replace them by their codes."""
    for entry in plan.get("contrasts") or []:
        codes = key["cells"] if entry.get("on") == "cell" else key["factors"].get(entry.get("on"), {})
        entry["pairs"] = [[codes.get(a, a), codes.get(b, b)] for a, b in entry.get("pairs") or []]
        entry["compare"] = [f"{a} - {b}" for a, b in entry["pairs"]]
    for entry in plan.get("hypotheses") or []:  # their words name the levels ("a warm clinician …")
        entry["text"] = "(blinded: the hypotheses name the levels)"
        names = {**key["cells"], **{lv: c for codes in key["factors"].values() for lv, c in codes.items()}}
        test = str(entry.get("test", ""))
        entry["test"] = " - ".join(names.get(part.strip(), part.strip()) for part in test.split(" - "))
    for entry in plan.get("post_hoc") or []:
        if entry.get("control") is not None:
            effect = str(entry.get("effect", "")).strip()
            codes = key["cells"] if effect == "cell" else key["factors"].get(effect, {})
            entry["control"] = codes.get(entry["control"], entry["control"])


def _code_order(code: str) -> tuple[int, str]:
    """A … Z, AA, AB …: codes in the order they were drawn, not as text (AA before B)."""
    return len(code), code
