"""Tidy tables from the store: long (one row per response), wide (one row per participant), steps
(one row per step shown, with its timing) and the codebook. The analysis reads only these.
See docs/tables.md for the contract."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from placebolab import __version__
from placebolab.export.spreadsheet import PREFIX, write_csv
from placebolab.files import write_text_atomic
from placebolab.protocol.measures import measures


def _iso(epoch: float | None) -> str | None:
    return (
        None
        if epoch is None or pd.isna(epoch)
        else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
    )


#: The columns saying whether a participant is analysed (docs/tables.md), in wide.csv and long.csv.
DISPOSITION_COLUMNS = ("disposition", "disposition_reason")


def participants_frame(study) -> pd.DataFrame:
    """One row per participant: cell, factor levels, flags, status, disposition (and its reason), intake."""
    from placebolab.allocation.consort import INCLUDED, declined, dispositions

    protocol = study.protocol
    exported_intake = [f.id for f in protocol.intake if not f.identifying]
    corrected = dispositions(study)
    refused = declined(study)
    rows = []
    for p in study.store.participants():
        cell = protocol.cell(p.cell)
        disposition, reason = corrected.get(p.id, (INCLUDED, None))
        rows.append(
            {
                "participant": p.id,
                "cell": p.cell,
                # An arm outside the factorial has no level of the factors: the levels a protocol gives it
                # are for its stimuli, and written here they would pool it with a factorial cell.
                **{factor: None if cell.arm else cell.levels.get(factor) for factor in protocol.factors},
                "simulated": p.simulated,
                "pilot": p.pilot,
                "status": "completed" if p.status == "completed" else ("declined" if p.id in refused else "incomplete"),
                "disposition": disposition,
                "disposition_reason": reason,
                **{field: p.intake.get(field) for field in exported_intake},
            }
        )
    columns = ["participant", "cell", *protocol.factors, "simulated", "pilot", "status", *DISPOSITION_COLUMNS]
    columns += exported_intake
    return pd.DataFrame(rows, columns=columns)


def long_table(study) -> pd.DataFrame:
    protocol = study.protocol
    people = participants_frame(study).set_index("participant")
    steps = {(r["participant"], r["step_key"]): r for r in study.store.rows("steps")}
    marks: dict[str, dict[str, float]] = {}
    for r in study.store.rows("marks"):
        marks.setdefault(r["participant"], {})[r["mark"]] = r["at"]
    starts = {p.id: p.started_at for p in study.store.participants()}
    mark_names = sorted({m for per in marks.values() for m in per})
    roles = {step.id: step.role for step in protocol.timeline}
    expects = attention_expected(protocol)
    n_items, minimum = scale_items(protocol), protocol.data_quality.min_seconds_per_item
    fast = {key: too_fast(step, n_items, minimum) for key, step in steps.items()}
    rows = []
    for r in study.store.rows("responses"):
        step = steps[(r["participant"], r["step_key"])]
        expect = expects.get((step["step"], r["item"]))
        person = people.loc[r["participant"]]
        own_marks = marks.get(r["participant"], {})
        rows.append(
            {
                "participant": r["participant"],
                "cell": person["cell"],
                **{factor: person[factor] for factor in protocol.factors},
                "step": step["step"],
                "occasion": step["occasion"],
                "item": r["item"],
                "value": r["value"],
                "role": roles.get(step["step"]),
                "attention_expect": expect,
                "attention_passed": None if expect is None or r["value"] is None else r["value"] == expect,
                "too_fast": fast[(r["participant"], r["step_key"])],
                "shown_at": _iso(step["shown_at"]),
                "responded_at": _iso(r["responded_at"]),
                "rt": r["rt"],
                "late_s": late_seconds(step, own_marks, starts[r["participant"]]),
                "t_session": r["responded_at"] - starts[r["participant"]],
                **{f"t_since_{m}": (r["responded_at"] - own_marks[m]) if m in own_marks else None for m in mark_names},
                "frontend": step["frontend"],
                "simulated": bool(person["simulated"]),
                "pilot": bool(person["pilot"]),
                **{column: person[column] for column in DISPOSITION_COLUMNS},
                "protocol_sha256": study.protocol_sha256,
                "package_version": study.meta.get("package_version", __version__),
            }
        )
    return pd.DataFrame(rows)


def steps_table(study) -> pd.DataFrame:
    """Every step occurrence shown: onset, completion, duration, lateness and the frontend's timing details."""
    marks: dict[str, dict[str, float]] = {}
    for r in study.store.rows("marks"):
        marks.setdefault(r["participant"], {})[r["mark"]] = r["at"]
    starts = {p.id: p.started_at for p in study.store.participants()}
    n_items, minimum = scale_items(study.protocol), study.protocol.data_quality.min_seconds_per_item
    rows = [
        {
            "participant": r["participant"],
            "step": r["step"],
            "occasion": r["occasion"],
            "shown_at": _iso(r["shown_at"]),
            "completed_at": _iso(r["completed_at"]),
            "duration": r["completed_at"] - r["shown_at"],
            "late_s": late_seconds(r, marks.get(r["participant"], {}), starts.get(r["participant"])),
            "frontend": r["frontend"],
            "too_fast": too_fast(r, n_items, minimum),
            "honeypot": honeypot(r),
            "detail": r["detail"],
        }
        for r in study.store.rows("steps")
    ]
    return pd.DataFrame(rows)


def attention_expected(protocol) -> dict[tuple[str, str], float]:
    """(step id, item id) → the instructed answer, for every attention-check item of the protocol."""
    return {
        (step.id, item.id): item.attention_expect
        for step in protocol.timeline
        for item in step.recorded
        if item.attention_expect is not None
    }


def too_fast(step, n_items: dict[str, int], minimum: float) -> bool | None:
    """Whether a recorded step (a ``steps`` row) was answered in less than ``minimum`` seconds (the protocol's
    ``data_quality.min_seconds_per_item``) × its items on a scale (``n_items``: step id → count), from onset to
    completion (online: the server's onset to its receipt of the form). None for a step without such items.

    Answers a web page filled in from the browser's copy of an earlier showing (``client_restored``: a Continue
    that never reached the server) were given then, at times not known here: they are not counted, and a step
    of only such answers is None, never flagged for the moment it took to send them again."""
    count = n_items.get(step["step"], 0)
    if count and step["detail"] and "client_restored" in step["detail"]:
        count -= len(json.loads(step["detail"]).get("client_restored", ()))
    if count <= 0:
        return None
    return bool(step["completed_at"] - step["shown_at"] < minimum * count)


def scale_items(protocol) -> dict[str, int]:
    """Step id → how many items on a scale it records (a consent's agreement, stored as 1 or 0, is none)."""
    return {
        s.id: 0 if s.type == "consent" else sum(1 for item in s.recorded if item.kind == "number")
        for s in protocol.timeline
    }


def honeypot(step) -> bool | None:
    """Whether the web page's hidden honeypot field was filled (a bot); None for a step no web page took."""
    if step["frontend"] != "web":
        return None
    detail = json.loads(step["detail"]) if step["detail"] else {}
    return bool(detail.get("honeypot", False))


def quality_frame(study) -> pd.DataFrame:
    """Per participant (in participants_frame's order): attention checks failed, steps answered too fast and
    whether any web page's honeypot was filled. Flags for the analyst; nobody is excluded by them."""
    protocol = study.protocol
    expects = attention_expected(protocol)
    steps = study.store.rows("steps")
    step_ids = {(r["participant"], r["step_key"]): r["step"] for r in steps}
    failed: dict[str, int] = {}
    for r in study.store.rows("responses"):
        expect = expects.get((step_ids[(r["participant"], r["step_key"])], r["item"]))
        if expect is not None and r["value"] != expect:
            failed[r["participant"]] = failed.get(r["participant"], 0) + 1
    fast: dict[str, int] = {}
    potted: dict[str, bool] = {}
    n_items, minimum = scale_items(protocol), protocol.data_quality.min_seconds_per_item
    for r in steps:
        fast[r["participant"]] = fast.get(r["participant"], 0) + bool(too_fast(r, n_items, minimum))
        trapped = honeypot(r)
        if trapped is not None:
            potted[r["participant"]] = potted.get(r["participant"], False) or trapped
    ids = [p.id for p in study.store.participants()]
    return pd.DataFrame(
        {
            "attention_failed": [failed.get(i, 0) for i in ids],
            "too_fast_steps": [fast.get(i, 0) for i in ids],
            "honeypot": [potted.get(i) for i in ids],
        },
        columns=QUALITY_COLUMNS,
    )


#: wide.csv's data-quality columns (docs/tables.md): counted and flagged, never used to exclude anyone
QUALITY_COLUMNS = ("attention_failed", "too_fast_steps", "honeypot")


def late_seconds(step, marks: dict[str, float], started_at: float | None) -> float | None:
    """How late a scheduled occurrence was shown: ``shown_at − (mark + offset)``, as the engine stored it
    (``late_s`` in the step's detail); for a step recorded before the engine stored it, the same
    computed from the stored mark. None for a step without an occasion (or a mark that was never set)."""
    if not step["occasion"]:
        return None
    detail = json.loads(step["detail"]) if step["detail"] else {}
    if "late_s" in detail:
        return detail["late_s"]
    from placebolab.components import ScheduledTime

    occasion = ScheduledTime.parse(step["occasion"])
    mark = started_at if occasion.mark == "start" else marks.get(occasion.mark)
    return None if mark is None else round(step["shown_at"] - (mark + occasion.seconds), 3) + 0.0


def wide_table(study) -> pd.DataFrame:
    protocol = study.protocol
    answers: dict[str, dict[tuple[str, str], float]] = {}
    for r in study.store.rows("responses"):
        answers.setdefault(r["participant"], {})[(r["step_key"], r["item"])] = r["value"]
    columns = _measure_columns(protocol)
    rows = []
    for participant in participants_frame(study).participant:
        got = answers.get(participant, {})
        rows.append({name: compute(got) for name, compute in columns.items()})
    measured = pd.DataFrame(rows, columns=list(columns), dtype=float)  # typed even when a column is all empty
    return pd.concat([participants_frame(study), quality_frame(study), measured], axis=1)


def _measure_columns(protocol) -> dict:
    """Column name → function(answers of one participant) → value, in timeline order."""
    columns = {}
    for name, measure in measures(protocol).items():
        step = measure.step
        occasions: list[str | None] = [*measure.occasion_labels] or [None]
        per_occasion = []
        for occasion in occasions:
            key = f"{step.id}@{occasion}" if occasion else step.id
            column = measure.column(occasion)
            columns[column] = _value_of(measure, step, key)
            per_occasion.append(column)
        if len(per_occasion) > 1 or occasions != [None]:
            fns = [columns[c] for c in per_occasion]
            columns[name] = lambda got, fns=fns: _mean([fn(got) for fn in fns])
    return columns


def _value_of(measure, step, key):
    if measure.kind == "score":
        return lambda got: step.score({item.id: got.get((key, item.id)) for item in step.items})[measure.item]
    if measure.na_code is not None:  # "does not apply" is not a value on the scale
        return lambda got: None if got.get((key, measure.item)) == measure.na_code else got.get((key, measure.item))
    return lambda got: got.get((key, measure.item))


def _mean(values):
    present = [v for v in values if v is not None and not pd.isna(v)]
    return sum(present) / len(present) if present else None


def codebook(study, wide: pd.DataFrame) -> dict:
    version = study.meta.get("package_version", __version__)
    book = protocol_codebook(study.protocol, list(wide.columns), study.name, study.protocol_sha256, version)
    return book | {"bundle_sha256": study.meta.get("bundle_sha256")}


def planned_columns(protocol) -> list[str]:
    """The columns wide.csv of a study of ``protocol`` will have (as :func:`wide_table` writes them)."""
    exported_intake = [f.id for f in protocol.intake if not f.identifying]
    fixed = ["participant", "cell", *protocol.factors, "simulated", "pilot", "status", *DISPOSITION_COLUMNS]
    return [*fixed, *exported_intake, *_measure_columns(protocol)]


def protocol_codebook(
    protocol, columns: list[str], study_name, sha256: str, package_version: str = __version__
) -> dict:
    """The codebook of a study of ``protocol`` whose wide.csv has ``columns``: what :func:`codebook` writes, and
    what ``placebolab prereg`` describes before there is a study (``planned_columns``, no study name)."""
    found = measures(protocol)
    plan_dump = protocol.analysis.model_dump() if protocol.analysis else None
    if plan_dump:
        for outcome in [plan_dump["primary"], *plan_dump["secondary"]]:
            outcome["between"] = outcome["between"] or list(protocol.factors)
        _resolve_contrasts(protocol, plan_dump)
    return {
        "study": study_name,
        "protocol": protocol.protocol,
        "protocol_version": protocol.version,
        "protocol_title": protocol.title,
        "protocol_sha256": sha256,
        "package_version": package_version,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "factors": {name: f.levels for name, f in protocol.factors.items()},
        "factor_descriptions": {name: f.description for name, f in protocol.factors.items()},
        "cells": [{"id": c.id, "levels": c.levels, "arm": c.arm} for c in protocol.cells],
        "allocation": protocol.allocation.model_dump(exclude={"seed"}),
        "analysis": plan_dump,
        "schedule_tolerance_s": protocol.tolerance_seconds,
        "columns": [_column_entry(protocol, found, name) for name in columns],
    }


def _resolve_contrasts(protocol, plan_dump: dict) -> None:
    """Each contrast entry gains ``on`` (a factor, or ``cell``) and ``pairs``, so the analysis never parses names."""
    from placebolab.protocol.comparisons import resolve_contrast

    for entry, contrast in zip(plan_dump.get("contrasts") or [], protocol.analysis.contrasts, strict=True):
        resolved, problems = resolve_contrast(protocol, contrast)
        entry["on"] = resolved.on if resolved else None
        entry["pairs"] = [list(pair) for pair in resolved.pairs] if resolved else []
        entry["error"] = "; ".join(message for _, message in problems) or None


def _column_entry(protocol, found, column: str) -> dict:
    from placebolab.allocation.consort import DISPOSITIONS

    fixed = {
        "participant": ("id", "Participant ID", "string"),
        "cell": ("cell", "Allocated cell (factor levels joined by /)", "string"),
        "simulated": ("flag", "Simulated participant (not real data)", "bool"),
        "pilot": ("flag", "Pilot session (not for the main analysis)", "bool"),
        "status": (
            "flag",
            "completed, incomplete, or declined (declined consent: the session ended at the consent step)",
            "string",
        ),
        "attention_failed": ("quality", "Attention-check items answered other than instructed (count)", "int"),
        "too_fast_steps": (
            "quality",
            "Steps answered faster than data_quality.min_seconds_per_item per item (count)",
            "int",
        ),
        "honeypot": ("flag", "A web page's hidden honeypot field was filled (a bot?); empty: not online", "bool"),
        "disposition": (
            "disposition",
            "included, or the latest correction recorded in the log (placebolab withdraw / correct --as): "
            "withdrawn, excluded or allocated-in-error; only included participants are analysed",
            "string",
        ),
        "disposition_reason": ("disposition", "The reason recorded with the correction; empty when included", "string"),
    }
    if column in fixed:
        kind, label, dtype = fixed[column]
        entry: dict[str, Any] = {"name": column, "label": label, "kind": kind, "dtype": dtype}
        return entry | ({"levels": list(DISPOSITIONS)} if column == "disposition" else {})
    if column in protocol.factors:
        factor = protocol.factors[column]
        return {
            "name": column,
            "label": factor.description or column,
            "kind": "factor",
            "dtype": "string",
            "levels": factor.levels,
        }
    if column in {f.id for f in protocol.intake}:
        field = protocol.intake_field(column)
        entry = {"name": column, "label": field.label or column, "kind": "intake", "dtype": field.type}
        return entry | ({"levels": field.choices} if field.choices else {"min": field.min, "max": field.max})
    name, _, occasion = column.partition("@")
    measure = found[name]
    entry = {
        "name": column,
        "label": measure.label + (f" ({occasion})" if occasion else ""),
        "kind": "score" if measure.kind == "score" else "measure",
        "role": measure.role,
        "step": measure.step.id,
        "dtype": "float",
        "min": measure.min,
        "max": measure.max,
        # the mean of several occasions is a number, whatever the answers' scale
        "measurement": "continuous" if len(measure.occasion_labels) > 1 and not occasion else measure.measurement,
    }
    if measure.labels:
        entry["labels"] = list(measure.labels)
    if measure.kind == "score":
        rule = measure.step.scores[measure.item]
        reverse = [i.id for i in measure.step.items if i.reverse and i.id in rule.items]
        entry["derived"] = f"{rule.method} of {', '.join(rule.items)}" + (
            f"; reverse-keyed: {', '.join(reverse)}" if reverse else ""
        )
        if rule.common_scale:
            low, high = rule.common_scale
            entry["derived"] += f"; each item first mapped linearly onto {low:g}–{high:g}"
        entry["missing"] = _score_missing(rule)
    if measure.na_code is not None:
        entry["missing"] = f"'{measure.not_applicable}' is stored as {measure.na_code:g} in long.csv and is empty here"
    if measure.labels and not (len(measure.occasion_labels) > 1 and not occasion):  # a mean of occasions is no code
        entry["value_labels"] = {f"{code:g}": label for code, label in enumerate(measure.labels, start=1)}
    if measure.occasion_labels and not occasion:
        listed = ", ".join(measure.column(o) for o in measure.occasion_labels)
        many = len(measure.occasion_labels) > 1  # one scheduled occasion: its value, not a "mean of 1 occasions"
        entry["derived"] = (entry.get("derived", "") + "; " if "derived" in entry else "") + (
            f"mean of {listed}" if many else f"the value of {listed}"
        )
        entry["label"] += (
            f" (mean of {len(measure.occasion_labels)} occasions)" if many else f" ({measure.occasion_labels[0]})"
        )
    return entry


@dataclass(frozen=True)
class Tables:
    """Everything an export folder holds, built once in memory (and blinded there, when asked)."""

    long: pd.DataFrame
    wide: pd.DataFrame
    steps: pd.DataFrame
    codebook: dict
    consort: dict


def build_tables(study) -> Tables:
    from placebolab.allocation.consort import consort_counts

    wide = wide_table(study)
    book = codebook(study, wide) | {"csv_formula_prefix": PREFIX}
    return Tables(long_table(study), wide, steps_table(study), book, consort_counts(study))


def export_study(study, out_dir: Path | None = None, formats=("csv",), blinded: bool = False) -> Path:
    """Write long.csv, wide.csv, steps.csv, codebook.json, codebook.csv and consort.json; return the folder.

    ``formats`` may add ``"parquet"`` (wide.parquet, long.parquet) and ``"sav"`` (wide.sav for SPSS, with
    variable and value labels); the CSV tables and the codebook are always written: they are what the
    analysis reads. ``blinded``: replace factor levels and cells by neutral codes (export/blinding.py), into
    ``STUDY/export-blinded`` by default, so a blinded and an unblinded export are never mixed.

    The tables are built and blinded in memory, written into a hidden folder beside the target and
    swapped in whole (export/folder.py): a crash leaves the previous export or the new one, never a mix.
    Text cells of the CSV files are made spreadsheet-safe (export/spreadsheet.py).
    """
    from placebolab.export.folder import replace_folder
    from placebolab.export.formats import parse_formats

    formats = parse_formats(",".join(formats))
    key = None
    if blinded:
        from placebolab.export.blinding import blinding_key

        key = blinding_key(study)  # first: a study without a key exports nothing
        out_dir = out_dir or study.folder / "export-blinded"
    tables = build_tables(study)
    if key is not None:
        from placebolab.export.blinding import blind_tables

        tables = blind_tables(tables, key)
    return replace_folder(Path(out_dir or study.export_dir), lambda folder: write_tables(tables, folder, formats))


def write_tables(tables: Tables, out: Path, formats=("csv",)) -> None:
    """Write ``tables`` into the folder ``out``: the CSV files and codebook, and the other ``formats``."""
    from placebolab.export.formats import write_parquet, write_sav

    write_csv(tables.long, out / "long.csv")
    write_csv(tables.wide, out / "wide.csv")
    write_csv(tables.steps, out / "steps.csv")
    write_csv(pd.DataFrame(tables.codebook["columns"]), out / "codebook.csv")
    write_text_atomic(out / "codebook.json", json.dumps(tables.codebook, indent=2, ensure_ascii=False))
    write_text_atomic(out / "consort.json", json.dumps(tables.consort, indent=2, ensure_ascii=False))
    if "parquet" in formats:  # typed values, not parsed as formulas: written as recorded
        write_parquet(tables.wide, out / "wide.parquet", tables.codebook["factors"])
        write_parquet(tables.long, out / "long.parquet", tables.codebook["factors"])
    if "sav" in formats:
        write_sav(tables.wide, out / "wide.sav", tables.codebook)


def _score_missing(rule) -> str:
    """When a score is empty (``QuestionnaireStep.score``'s rule): too few of its items answered, where an item
    answered 'does not apply' counts as not answered, and how a sum is prorated over the answered ones."""
    needed, count = rule.min_items or len(rule.items), len(rule.items)
    unless = f"all {count} of its items are" if needed == count else f"at least {needed} of its {count} items are"
    prorated = " (a sum over fewer is scaled up to all of them)" if rule.method == "sum" and needed < count else ""
    return f"empty unless {unless} answered{prorated}; an item answered 'does not apply' is not answered"
