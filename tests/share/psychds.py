"""A Psych-DS checker in Python, driven by the rules of the spec's schema model (version 1.5.0).

The rules are read from ``psychds_schema_1.5.0_excerpt.json`` beside this file: keys copied verbatim
from psych-ds/psych-DS ``schema_model/versions/jsons/1.5.0/schema.json`` (commit named in its
``_source``), never fetched at test time. What is checked, and the rule each check reads:

- ``rules.files.common.core``: the files and folders at the top level (``level: error`` ones are errors,
  ``warning`` ones warnings), by ``stem`` + ``extensions`` or ``path`` (+ ``directory``);
- ``rules.files.tabular_data.data.Datafile``: data files under ``baseDir`` (nesting allowed when
  ``arbitraryNesting``), with the ``suffix`` and ``extensions``, named by ``fileRegex``; keyword keys
  outside the canonical list (``objects.common_principles.keywords``) are a warning when
  ``nonCanonicalKeywordsAllowed``, else an error; at least one valid data file (``MISSING_DATAFILE``);
- ``objects.extensions.csv`` and the CSV errors of ``rules.errors``: UTF-8, a header row, every row as
  long as the header, no empty line, no repeated header name, unique ``row_id`` values
  (``objects.common_principles.columns``);
- ``rules.compiled_metadata.CompiledMetadata``: each data file's metadata, compiled by the inheritance
  principle (dataset_description.json, then ``file_metadata.json`` down the folders, then the sidecar),
  is JSON-LD in the schema.org namespace with ``@type`` Dataset, has every ``required`` field (missing
  ``recommended`` ones are warnings) and, with ``containsAllColumns``, a ``variableMeasured`` naming
  every column of the file; a variable no data file has is ``VariableMissingFromCsvColumns``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_FILE = Path(__file__).with_name("psychds_schema_1.5.0_excerpt.json")
RULES = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@dataclass
class Findings:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, level: str, code: str, where: str, what: str = "") -> None:
        (self.errors if level.rstrip(",") == "error" else self.warnings).append(f"{code} {where} {what}".strip())

    def codes(self) -> set[str]:
        return {line.split()[0] for line in self.errors + self.warnings}


def canonical_keywords() -> list[str]:
    text = RULES["objects.common_principles.keywords"]["description"]
    return re.findall(r"^\s*-\s*([a-z]+)\s*$", text, flags=re.M)


def _error(name: str) -> dict:
    return RULES["rules.errors"][name]


def extension(name: str) -> str:
    """From the left-most period preceded by another character (objects.common_principles.extension)."""
    match = re.search(r"(?<=.)\.", name)
    return name[match.start() :] if match else ""


def check_dataset(root: Path) -> Findings:
    found = Findings()
    _check_core(root, found)
    datafiles = _check_datafile_names(root, found)
    columns = {path: _check_csv(path, found) for path in datafiles}
    _check_metadata(root, columns, found)
    return found


def _check_core(root: Path, found: Findings) -> None:
    for rule in RULES["rules.files.common.core"].values():
        if "stem" in rule:
            present = any((root / (rule["stem"] + ext)).is_file() for ext in rule["extensions"])
        else:
            target = root / rule["path"].lstrip("/")
            present = target.is_dir() if rule.get("directory") else target.exists()
        if not present:
            found.add(rule["level"], rule["code"], "/", rule["reason"])


def _check_datafile_names(root: Path, found: Findings) -> list[Path]:
    rule = RULES["rules.files.tabular_data.data"]["Datafile"]
    base = root / rule["baseDir"]
    if not base.is_dir():
        return []
    files = sorted(p for p in (base.rglob("*") if rule["arbitraryNesting"] else base.iterdir()) if p.is_file())
    regex = re.compile(rule["fileRegex"])
    canonical = set(canonical_keywords())
    valid = []
    for path in files:
        where = str(path.relative_to(root))
        stem = path.name[: len(path.name) - len(extension(path.name))]
        if stem.rsplit("_", 1)[-1] != rule["suffix"]:
            continue  # not a data file (metadata files are checked with the metadata)
        if extension(path.name) not in rule["extensions"]:
            if extension(path.name) != ".json":  # a sidecar is metadata
                error = _error("ExtensionMismatch")
                found.add(error["level"], error["code"], where)
            continue
        if rule["usesKeywords"] and not regex.fullmatch(path.name):
            error = _error("FilenameKeywordFormattingError")
            found.add(error["level"], error["code"], where)
            continue
        keys = [pair.split("-", 1)[0] for pair in stem.split("_")[:-1]]
        unofficial = [k for k in keys if k not in canonical]
        if unofficial:
            allowed = rule["nonCanonicalKeywordsAllowed"]
            error = _error("FilenameUnofficialKeywordWarning" if allowed else "FilenameUnofficialKeywordError")
            found.add(error["level"], error["code"], where, ", ".join(unofficial))
        valid.append(path)
    if not valid and base.is_dir():
        found.add(rule["level"], rule["code"], rule["baseDir"], rule["reason"])
    return valid


def _check_csv(path: Path, found: Findings) -> list[str]:
    where = path.name
    try:
        text = path.read_bytes().decode("utf-8")  # objects.extensions.csv: UTF-8 encoding MUST be used
    except UnicodeDecodeError:
        error = _error("CSVFormattingError")
        found.add(error["level"], error["code"], where, "not UTF-8")
        return []
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as err:
        error = _error("CSVFormattingError")
        found.add(error["level"], error["code"], where, str(err))
        return []
    if not rows or not rows[0] or all(not name for name in rows[0]):
        error = _error("CSVHeaderMissing")
        found.add(error["level"], error["code"], where)
        return []
    header = rows[0]
    if any(not name.strip() for name in header):
        error = _error("CSVHeaderMissing")
        found.add(error["level"], error["code"], where, "an empty column name")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        error = _error("CSVHeaderRepeated")
        found.add(error["level"], error["code"], where, ", ".join(repeated))
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            error = _error("CSVFormattingError")
            found.add(error["level"], error["code"], where, f"line {number} is empty")
        elif len(row) != len(header):
            error = _error("CSVHeaderLengthMismatch")
            found.add(error["level"], error["code"], where, f"row {number}: {len(row)} cells, header {len(header)}")
    if "row_id" in header:
        ids = [row[header.index("row_id")] for row in rows[1:] if row]
        if len(ids) != len(set(ids)):
            error = _error("RowidValuesNotUnique")
            found.add(error["level"], error["code"], where)
    return header


def compiled_metadata(root: Path, datafile: Path) -> dict | None:
    """dataset_description.json, updated key by key by each ``file_metadata.json`` from data/ down to the
    file's folder and by its sidecar (objects.common_principles.inheritance): replaced, never merged."""
    top = root / "dataset_description.json"
    if not top.is_file():
        return None
    compiled = json.loads(top.read_text(encoding="utf-8"))
    folder = root / "data"
    for part in (None, *datafile.relative_to(root / "data").parent.parts):
        folder = folder if part is None else folder / part
        directory = folder / "file_metadata.json"
        if directory.is_file():
            compiled.update(json.loads(directory.read_text(encoding="utf-8")))
    sidecar = datafile.with_name(datafile.name[: -len(extension(datafile.name))] + ".json")
    if sidecar.is_file():
        compiled.update(json.loads(sidecar.read_text(encoding="utf-8")))
    return compiled


def variable_names(metadata: dict) -> list[str]:
    names = []
    for variable in metadata.get("variableMeasured") or []:
        names.append(variable if isinstance(variable, str) else variable.get("name"))
    return names


def _check_metadata(root: Path, columns: dict[str, list[str]], found: Findings) -> None:
    rule = RULES["rules.compiled_metadata"]["CompiledMetadata"]
    namespace = rule["namespace"].split("://", 1)[1]  # schema.org/: the validator takes http and https
    try:
        top = compiled_metadata(root, root / "data" / "x")
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        error = _error("JsonInvalid")
        found.add(error["level"], error["code"], "dataset_description.json", str(err))
        return
    if top is None:
        return  # MISSING_DATASET_DESCRIPTION was reported by the core rules
    seen: set[str] = set()
    for path, header in columns.items():
        metadata = compiled_metadata(root, path)
        where = str(path.relative_to(root))
        if rule["jsonld"]:
            context = metadata.get("@context")
            if not isinstance(context, str) or context.split("://", 1)[-1].rstrip("/") + "/" != namespace:
                error = _error("UnknownNamespace")
                found.add(error["level"], error["code"], where, f"@context {context!r}")
            kind = metadata.get("@type", metadata.get("type"))
            if kind is None:
                error = _error("MissingDatasetType")
                found.add(error["level"], error["code"], where)
            elif kind not in ("Dataset", "https://schema.org/Dataset", "http://schema.org/Dataset"):
                error = _error("IncorrectDatasetType")
                found.add(error["level"], error["code"], where, str(kind))
        for name, need in rule["fields"].items():
            if name not in metadata:
                error = _error("JsonKeyRequired" if need == "required" else "JsonKeyRecommended")
                found.add(error["level"], error["code"], where, name)
        names = variable_names(metadata)
        for variable in metadata.get("variableMeasured") or []:
            if isinstance(variable, dict) and "@type" not in variable:
                found.add(
                    _error("ObjectTypeMissing")["level"], _error("ObjectTypeMissing")["code"], where, str(variable)
                )
        if rule["containsAllColumns"]:
            missing = [column for column in header if column not in names]
            if missing:
                error = _error("CsvColumnMissingFromMetadata")
                found.add(error["level"], error["code"], where, ", ".join(missing))
        seen.update(header)
    unused = [name for name in variable_names(top) if name not in seen]
    if unused and columns:
        error = _error("VariableMissingFromCsvColumns")
        found.add(error["level"], error["code"], "dataset_description.json", ", ".join(map(str, unused)))
