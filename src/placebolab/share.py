"""``placebolab share``: a study as a Psych-DS dataset (https://psych-ds.github.io/, schema model 1.5.0).

The dataset is a new folder::

    dataset_description.json   JSON-LD (schema.org Dataset): name, description, schemaVersion, license,
                               author (TODO: placebolab does not know the authors), variableMeasured with a
                               PropertyValue for every column of every file in data/
    README.md, CHANGES.md
    data/                      study-<protocol>_description-{long,wide,steps}_data.csv (the export's tables)
    documentation/             codebook.json, codebook.csv, consort.json (the export's, as the analysis reads them)
    materials/                 the frozen protocol (verbatim, as its SHA-256 says), its stimuli and instrument
                               files as frozen in the store, and intake.json (the intake questions)
    analysis/                  the prepared scripts, make_export.py (rebuilds the folder they read),
                               report.html (`placebolab analyze`) and audit.json (the audit and its chain head)

Everything comes from the study's store and the export's tables, built in memory (and blinded there with
``blinded``, as ``placebolab export --blinded`` does: the key is withheld). Intake fields marked
``identifying`` are never in the export's tables, so they are in no file here; the frozen protocol
holds only their questions. The dataset is written into a hidden folder beside ``out`` and renamed into
place whole: a crash leaves no half dataset.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from placebolab import __version__
from placebolab.errors import AuditError, StoreError

#: The Psych-DS schema model version the dataset is written for (psych-ds/psych-DS, schema_model/versions).
PSYCHDS_VERSION = "1.5.0"

#: SPDX identifiers placebolab knows the canonical URL of (Psych-DS prefers a URL for ``license``).
LICENSES = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "ODC-By-1.0": "https://opendatacommons.org/licenses/by/1-0/",
    "PDDL-1.0": "https://opendatacommons.org/licenses/pddl/1-0/",
}

#: The data files: table → (one row per, the columns whose values together identify a row).
TABLES = {
    "long": ("recorded response (one item of one step occurrence)", "participant, step, occasion, item"),
    "wide": ("participant", "participant"),
    "steps": ("step occurrence shown, with its timing", "participant, step, occasion"),
}

_SECONDS = "seconds"
#: Columns of long.csv and steps.csv not described by the codebook (which covers wide.csv): docs/tables.md.
_TABLE_COLUMNS: dict[str, tuple[str, str | None]] = {
    "step": ("The step id from the protocol", None),
    "occasion": ("The scheduled time label of the step occurrence (e.g. t0+3min); empty when unscheduled", None),
    "item": ("The questionnaire item id; empty for a single rating", None),
    "value": ("The raw answer as recorded (reverse keying is applied only in the scores of the wide file)", None),
    "role": ("The step's role in the protocol (symptom, expectancy, manipulation_check, covariate) or empty", None),
    "shown_at": ("When the step occurrence was first shown (ISO-8601, UTC)", None),
    "responded_at": ("When the answer was given (ISO-8601, UTC)", None),
    "completed_at": ("When the step occurrence was completed (ISO-8601, UTC)", None),
    "rt": ("Response time from the step's onset", _SECONDS),
    "late_s": (
        "For a scheduled occasion, how long after its time (mark + offset) it was shown (0: on time); "
        "empty for an unscheduled step",
        _SECONDS,
    ),
    "t_session": ("Time from the start of the session to the answer", _SECONDS),
    "duration": ("Time from showing the step to completing it", _SECONDS),
    "frontend": ("Where the step was shown: console, psychopy, web or simulated", None),
    "detail": (
        "JSON from the frontend: timing details of the step (keys explained in placebolab's docs/tables.md)",
        None,
    ),
    "protocol_sha256": ("SHA-256 of the frozen protocol file the study ran on (materials/)", None),
    "package_version": ("The placebolab version that initialised the study", None),
}


def share_study(study, out: str | Path, blinded: bool = False, license: str = "CC-BY-4.0") -> Path:
    """Write ``study`` as a Psych-DS dataset into the new (or empty) folder ``out``; return it.

    Raises StoreError (a study or folder problem: ``out`` exists and is not empty, the store is damaged),
    AuditError when the audit finds a break (a dataset is not published from a store that fails its seal),
    AnalysisError when the report cannot be made (nobody completed the study)."""
    out = Path(out)
    _check_out(out)
    license_text = _license(license)
    from placebolab.allocation.audit import audit_study
    from placebolab.export.tables import build_tables

    key = None
    if blinded:
        from placebolab.export.blinding import blinding_key

        key = blinding_key(study)  # first: a study without a key shares nothing
    audit = audit_study(study)
    if not audit.intact:
        raise AuditError(
            f"{study.folder}: the audit finds {len(audit.problems)} break(s), so the study is not shared; "
            f"run `placebolab audit {study.folder}` to see them. First: {audit.problems[0]}"
        )
    tables = build_tables(study)
    if key is not None:
        from placebolab.export.blinding import blind_tables

        tables = blind_tables(tables, key)
    note = None
    if not blinded:
        from placebolab.export.blinding import early_unblinded_note

        note = early_unblinded_note(study)
    files = study.store.files()
    _check_protocol(study)

    def write(root: Path) -> None:
        _write_dataset(root, study, tables, files, audit, blinded, license_text, note)

    return _new_folder(out, write)


def data_file_name(protocol_id: str, table: str) -> str:
    """``study-<protocol>_description-<table>_data.csv``: Psych-DS keywords (canonical keys, alphanumeric
    values), the protocol id in camel case (``warmth-competence-itch`` → ``warmthCompetenceItch``)."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", protocol_id) if w]
    value = (words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])) if words else "study"
    return f"study-{value}_description-{table}_data.csv"


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise StoreError(
            f"{out} already exists and is not an empty folder; share writes a new dataset: "
            "choose a new or empty folder (--out)"
        )


def _license(text: str) -> str:
    text = text.strip()
    if not text or any(ord(c) < 32 for c in text):
        raise StoreError("--license must be a licence name (an SPDX id such as CC-BY-4.0) or its URL")
    return LICENSES.get(text, text)


def _check_protocol(study) -> None:
    text = study.meta["protocol_text"].encode("utf-8")
    if hashlib.sha256(text).hexdigest() != study.protocol_sha256:
        raise StoreError(f"{study.folder}: the frozen protocol no longer hashes to its SHA-256; the store is damaged")


def _new_folder(out: Path, write) -> Path:
    """Build the dataset in a hidden folder beside ``out``, then rename it into place whole."""
    from placebolab.files import fsync_folder

    where = out.absolute()
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        building = where.with_name(f".{where.name}.share-{uuid.uuid4().hex[:12]}")
        building.mkdir()
    except OSError as exc:
        raise StoreError(f"cannot create the dataset folder {out}: {exc.strerror or exc}") from None
    try:
        write(building)
        _check_out(where)  # made meanwhile by someone else: refuse rather than mix
        if where.is_dir():
            where.rmdir()
        os.rename(building, where)
        fsync_folder(where.parent)
    except OSError as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise StoreError(f"could not write the dataset to {out} ({exc}); nothing was shared") from None
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return out


def _write_dataset(root: Path, study, tables, files: dict[str, bytes], audit, blinded, license_text, note) -> None:
    from placebolab.export.spreadsheet import write_csv
    from placebolab.export.tables import write_tables

    protocol = study.protocol
    names = {table: data_file_name(protocol.protocol, table) for table in TABLES}
    (root / "data").mkdir()
    frames = {"long": tables.long, "wide": tables.wide, "steps": tables.steps}
    for table, frame in frames.items():
        write_csv(frame, root / "data" / names[table])

    (root / "documentation").mkdir()
    _write_json(root / "documentation" / "codebook.json", tables.codebook)
    _write_json(root / "documentation" / "consort.json", tables.consort)
    import pandas as pd

    write_csv(pd.DataFrame(tables.codebook["columns"]), root / "documentation" / "codebook.csv")

    _write_materials(root / "materials", study, files)
    report = _write_analysis(root / "analysis", tables, names, audit, note, write_tables)

    columns = {table: list(frame.columns) for table, frame in frames.items()}
    description = _description(study, tables, columns, names, blinded, license_text, audit, report)
    _write_json(root / "dataset_description.json", description)
    (root / "README.md").write_text(_readme(study, tables, names, blinded, license_text, audit), encoding="utf-8")
    today = datetime.now(UTC).date().isoformat()
    (root / "CHANGES.md").write_text(
        f"# Changes\n\n- {today}: dataset written by `placebolab share` (placebolab {__version__})"
        f"{', blinded' if blinded else ''}.\n",
        encoding="utf-8",
    )


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- materials --------------------------------------------------------------------------------------------


def _write_materials(folder: Path, study, files: dict[str, bytes]) -> None:
    """The frozen protocol verbatim, every frozen file (stimuli, instrument definitions), the intake questions."""
    from placebolab.instruments import BANK_FOLDER

    folder.mkdir()
    protocol = study.protocol
    (folder / "protocol.yaml").write_bytes(study.meta["protocol_text"].encode("utf-8"))
    stimuli = PurePosixPath(protocol.stimuli) if protocol.stimuli else None
    for key, content in sorted(files.items()):
        path = PurePosixPath(key)
        if path.parts[:1] == (BANK_FOLDER,):
            target = PurePosixPath("instruments", *path.parts[1:])
        elif stimuli is not None and _is_under(path, stimuli):
            target = PurePosixPath("stimuli", *path.parts[len(stimuli.parts) :])
        else:
            target = PurePosixPath("other", *path.parts)
        parts = [p for p in target.parts if p not in ("", ".", "..")]
        if len(parts) < 2 or any("/" in p or "\\" in p for p in parts):
            raise StoreError(
                f"{study.folder}: the frozen file name {key!r} is not a relative path; the store is damaged"
            )
        destination = folder.joinpath(*parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(content)
    intake = [field.model_dump(exclude_none=True) for field in protocol.intake if not field.identifying]
    for field in intake:
        field.pop("identifying", None)
    withheld = sum(1 for field in protocol.intake if field.identifying)
    _write_json(
        folder / "intake.json",
        {
            "fields": intake,
            "note": f"{withheld} identifying intake field(s) were asked in the session and are in no file of this "
            "dataset (their questions are in protocol.yaml)"
            if withheld
            else "no intake field is identifying",
        },
    )


def _is_under(path: PurePosixPath, folder: PurePosixPath) -> bool:
    return path.parts[: len(folder.parts)] == folder.parts and len(path.parts) > len(folder.parts)


# --- analysis ---------------------------------------------------------------------------------------------


def _scripts_folder() -> Path | None:
    """The prepared scripts (``analysis/`` beside ``src/`` in a checkout of placebolab), if present."""
    folder = Path(__file__).resolve().parents[2] / "analysis"
    return folder if (folder / "primary_anova.py").is_file() else None


def _write_analysis(folder: Path, tables, names: dict[str, str], audit, note, write_tables) -> str:
    """The scripts, make_export.py, report.html and audit.json; return the report's file name."""
    from placebolab.analysis.plan import run_analyses
    from placebolab.report import write_report

    folder.mkdir()
    scripts = _scripts_folder()
    copied = []
    if scripts is not None:
        for script in sorted(scripts.glob("*.py")):
            shutil.copyfile(script, folder / script.name)
            copied.append(script.name)
    sources = {f"{table}.csv": f"data/{name}" for table, name in names.items()}
    sources |= {name: f"documentation/{name}" for name in ("codebook.json", "codebook.csv", "consort.json")}
    (folder / "make_export.py").write_text(_MAKE_EXPORT.format(files=json.dumps(sources, indent=4)), encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="placebolab-share-") as scratch:
        export = Path(scratch) / "export"
        export.mkdir()
        write_tables(tables, export)
        results = run_analyses(export, blinding_note=note)
        write_report(results.require_analysed(tables.codebook["study"]), folder / "report.html")
    number, digest = audit.head
    _write_json(
        folder / "audit.json",
        {
            "intact": audit.intact,
            "chain_head": {"entry": number, "sha256": digest},
            "checked": audit.checked,
            "notes": audit.notes,
            "audited_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    (folder / "README.md").write_text(_analysis_readme(copied), encoding="utf-8")
    return "report.html"


_MAKE_EXPORT = '''"""Rebuild the export folder placebolab's analysis reads (analysis/study/export/) from this dataset's files.

Then: python analysis/report.py analysis/study --out analysis/report-rerun.html
(or primary_anova.py, manipulation_checks.py, time_course.py, mediation.py; placebolab must be installed).
"""

import shutil
from pathlib import Path

FILES = {files}

root = Path(__file__).resolve().parent.parent
export = root / "analysis" / "study" / "export"
export.mkdir(parents=True, exist_ok=True)
for target, source in FILES.items():
    shutil.copyfile(root / source, export / target)
print(f"export folder: {{export}}")
'''


def _analysis_readme(copied: list[str]) -> str:
    scripts = (
        "The prepared scripts of placebolab (" + ", ".join(f"`{s}`" for s in copied) + ") each run "
        "`placebolab analyze STUDY --from-export [--show WHAT]` on the export folder."
        if copied
        else "The prepared analysis is `placebolab analyze STUDY --from-export [--show primary|manipulation-checks|"
        "time-course|mediation]` (placebolab's analysis/ scripts were not found beside this installation)."
    )
    return f"""# analysis/

- `report.html`: the report of `placebolab analyze` on exactly the files of `data/` and `documentation/`.
- `audit.json`: `placebolab audit` of the study store when the dataset was written; `chain_head` is the
  last entry of its hash-chained log (`placebolab audit STUDY --head SHA256` proves the log still holds it).
- `make_export.py`: copies `data/` and `documentation/` into `analysis/study/export/` under the names the
  analysis reads (long.csv, wide.csv, steps.csv, codebook.json).
- {scripts}

To rerun: `python analysis/make_export.py && python analysis/report.py analysis/study --out analysis/report-rerun.html`
"""


# --- dataset_description.json -----------------------------------------------------------------------------


def variables(tables, columns: dict[str, list[str]]) -> list[dict]:
    """A schema.org PropertyValue for every column of every data file, once per name, in file order."""
    book = {entry["name"]: entry for entry in tables.codebook["columns"]}
    order: dict[str, list[str]] = {}
    for table in ("wide", "long", "steps"):
        for column in columns[table]:
            order.setdefault(column, []).append(table)
    return [_property(column, book.get(column), where) for column, where in order.items()]


def _property(column: str, entry: dict | None, where: list[str]) -> dict:
    value: dict = {"@type": "PropertyValue", "name": column}
    unit = None
    if entry is not None:
        text = entry.get("label") or column
        extra = [entry[k] for k in ("derived", "missing") if entry.get(k)]
        value["description"] = "; ".join([text, *extra])
        if entry.get("min") is not None:
            value["minValue"] = entry["min"]
        if entry.get("max") is not None:
            value["maxValue"] = entry["max"]
        if entry.get("value_labels"):
            value["valueReference"] = [
                {"@type": "PropertyValue", "value": code, "name": label}
                for code, label in entry["value_labels"].items()
            ]
        elif entry.get("levels"):
            value["valueReference"] = [{"@type": "PropertyValue", "value": level} for level in entry["levels"]]
        if entry.get("measurement"):
            value["measurementTechnique"] = f"{entry['measurement']} ({entry.get('kind', 'measure')})"
    elif column in _TABLE_COLUMNS:
        value["description"], unit = _TABLE_COLUMNS[column]
    elif column.startswith("t_since_"):
        value["description"] = f"Time from the mark '{column.removeprefix('t_since_')}' to the answer"
        unit = _SECONDS
    if unit:
        value["unitText"] = unit
    files = ", ".join(where)
    value["description"] = value.get("description", column) + f" (in the {files} file{'s' if len(where) > 1 else ''})"
    return value


def _description(study, tables, columns, names, blinded, license_text, audit, report) -> dict:
    protocol = study.protocol
    flow = tables.wide
    simulated = int(flow["simulated"].sum()) if len(flow) else 0
    title = protocol.title + (" (blinded)" if blinded else "")
    factors = "; ".join(
        f"{name} ({', '.join(levels)})" for name, levels in tables.codebook["factors"].items()
    )  # blinded: the codes
    parts = [
        f"Data of the study '{study.name}' run with placebolab on the protocol '{protocol.protocol}' "
        f"version {protocol.version} (SHA-256 {study.protocol_sha256}).",
        protocol.description.strip() if protocol.description else "",
        f"Design: {len(protocol.cells)} cells; factors: {factors or 'none'}.",
        f"{len(flow)} participants enrolled, {int((flow['status'] == 'completed').sum())} completed.",
        f"{simulated} of them are SIMULATED (not real data)." if simulated else "",
        "BLINDED: factor levels and cells are neutral codes; the key is withheld." if blinded else "",
        f"Files: {', '.join(names.values())} in data/ (one row per: "
        + "; ".join(f"{t}: {TABLES[t][0]}" for t in TABLES)
        + ").",
        f"Audit: the allocation seal and hash-chained log are intact; chain head #{audit.head[0]} {audit.head[1]}.",
    ]
    keywords = ["placebo", "placebolab", protocol.protocol] + (["simulated data"] if simulated else [])
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": title,
        "description": " ".join(p for p in parts if p),
        "schemaVersion": f"Psych-DS {PSYCHDS_VERSION}",
        "license": license_text,
        "author": ["TODO: the study's authors (placebolab does not know them; add them before publishing)"],
        "citation": "TODO: how to cite this dataset (placebolab does not know it)",
        "keywords": keywords,
        "dateCreated": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": protocol.version,
        "variableMeasured": variables(tables, columns),
    }


def _readme(study, tables, names, blinded, license_text, audit) -> str:
    protocol = study.protocol
    rows = "\n".join(
        f"| `data/{names[t]}` | {TABLES[t][0]} | {TABLES[t][1]} |" for t in TABLES
    )  # Psych-DS recommends naming the columns that identify a row
    blinding = (
        "\n**Blinded.** Factor levels and cells are replaced by neutral codes (`A`, `B`, … per factor; arms "
        "`arm-1` …). The key is withheld: it stays in the study's store (`placebolab unblind`).\n"
        if blinded
        else ""
    )
    simulated = int(tables.wide["simulated"].sum()) if len(tables.wide) else 0
    warning = (
        f"\n**{simulated} participants are simulated** (column `simulated`): not real data.\n" if simulated else ""
    )
    return f"""# {protocol.title}{" (blinded)" if blinded else ""}

A [Psych-DS](https://psych-ds.github.io/) dataset (schema model {PSYCHDS_VERSION}) written by `placebolab share`
(placebolab {__version__}) from the study `{study.name}`, protocol `{protocol.protocol}` version {protocol.version}
(SHA-256 `{study.protocol_sha256}`).
{blinding}{warning}
Authors: TODO (placebolab does not know them). Licence: {license_text}.

## Files

| file | one row per | columns identifying a row |
| --- | --- | --- |
{rows}

- `dataset_description.json`: the metadata (JSON-LD, schema.org `Dataset`); `variableMeasured` describes every
  column of every data file (labels, ranges, units, value labels).
- `documentation/`: `codebook.json` and `codebook.csv` (every column of the wide file: design, analysis plan)
  and `consort.json` (the CONSORT flow), as `placebolab export` writes them.
- `materials/`: `protocol.yaml` (the protocol the study ran on, byte for byte: its SHA-256 is the one above),
  `stimuli/` and `instruments/` (the files frozen in the study at init) and `intake.json` (the intake questions).
- `analysis/`: the prepared scripts, `report.html`, and `audit.json` (chain head #{audit.head[0]} `{audit.head[1]}`).

Text cells of the CSV files that begin with `=`, `+`, `-` or `@` have a `'` in front (spreadsheet-safe; remove
one leading `'` to get the value recorded). Times are ISO-8601 UTC; durations in seconds. Intake fields marked
identifying in the protocol are in no file.
"""
