"""Read an export folder (``wide.csv`` + ``codebook.json``, see docs/tables.md) into typed pandas data.

The analysis reads only these two files, never the store, so an analyst can be sent the export
folder alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from placebolab.errors import AnalysisError, StoreError

# Tokens an exporter may write for "no value" in a numeric column.
NA_TOKENS = {"", "nan", "NaN", "NA", "N/A", "null", "None", "<NA>"}
TRUE_TOKENS = {"true", "1", "1.0", "yes", "y", "t"}
FALSE_TOKENS = {"false", "0", "0.0", "no", "n", "f", ""}
TEXT_KINDS = {"id", "cell", "factor", "disposition"}
NUMERIC_DTYPES = {"int", "integer", "float", "number", "numeric"}


@dataclass(frozen=True)
class ExportedStudy:
    """The exported tables of one study: ``wide`` (one row per participant) and its ``codebook``."""

    export_dir: Path
    wide: pd.DataFrame
    codebook: dict

    @property
    def factors(self) -> dict[str, list]:
        """``{factor: [level, …]}`` in the protocol's order."""
        return dict(self.codebook.get("factors") or {})

    def label(self, column: str) -> str:
        """The codebook's label of a column, or the column name when it has none."""
        for entry in self.codebook.get("columns") or []:
            if entry.get("name") == column and entry.get("label"):
                return str(entry["label"])
        return column


def load_export(export_dir) -> ExportedStudy:
    """Read ``wide.csv`` and ``codebook.json`` from ``export_dir`` with each column typed by its kind.

    Parameters
    ----------
    export_dir : str or pathlib.Path
        The folder written by ``placebolab export experiments/NAME`` (``experiments/NAME/export``).

    Returns
    -------
    ExportedStudy
        ``wide`` has factor columns as categoricals in the protocol's level order, ``simulated``
        and ``pilot`` as booleans, ``participant``/``cell``/``status`` as text and measures as
        numbers (a measure holding text stays text, so the analysis can name it).

    Raises
    ------
    placebolab.errors.StoreError
        If the folder or one of the two files is missing or unreadable (run the export first).
    placebolab.errors.AnalysisError
        If a flag column holds something other than true/false.
    """
    export_dir = Path(export_dir)
    if not export_dir.is_dir():
        raise _missing_export(export_dir, "tables")
    codebook = _read_codebook(export_dir)
    wide = _read_wide(export_dir)
    if codebook.get("csv_formula_prefix"):  # text made spreadsheet-safe at export: back to what was recorded
        from placebolab.export.spreadsheet import unescape

        wide = wide.apply(unescape)
    return ExportedStudy(export_dir, _typed(wide, codebook), codebook)


def _missing_export(export_dir: Path, what: str) -> StoreError:
    study = export_dir.parent if export_dir.name == "export" else export_dir
    where = f"in {export_dir}" if export_dir.is_dir() else f"({export_dir} does not exist)"
    return StoreError(f"No exported {what} {where}; run `placebolab export {study}` first.")


def _read_codebook(export_dir: Path) -> dict:
    path = export_dir / "codebook.json"
    if not path.is_file():
        raise _missing_export(export_dir, "codebook (codebook.json)")
    try:
        codebook = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise StoreError(f"{path} is not valid JSON (line {err.lineno}: {err.msg}); export the study again.") from err
    if not isinstance(codebook, dict):
        raise StoreError(f"{path} must hold a JSON object; export the study again.")
    return codebook


def _read_wide(export_dir: Path) -> pd.DataFrame:
    path = export_dir / "wide.csv"
    if not path.is_file():
        raise _missing_export(export_dir, "table (wide.csv)")
    try:
        # Everything as text first: a factor level such as "None" or "NA" must not become missing.
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise StoreError(f"{path} cannot be read as CSV ({err}); export the study again.") from err


def _typed(wide: pd.DataFrame, codebook: dict) -> pd.DataFrame:
    kinds = {c.get("name"): c for c in codebook.get("columns") or [] if isinstance(c, dict)}
    factors = codebook.get("factors") or {}
    typed = {}
    for column in wide.columns:
        entry = kinds.get(column, {})
        if column in ("status", "disposition", "disposition_reason"):
            typed[column] = _text(wide[column])
        elif column in ("simulated", "pilot"):
            typed[column] = _flag(wide[column], column)
        elif column in factors or entry.get("kind") == "factor":
            typed[column] = _factor(wide[column], factors.get(column) or [])
        elif entry.get("kind") in TEXT_KINDS:
            typed[column] = _text(wide[column])
        elif entry.get("kind") == "flag":
            typed[column] = _flag_or_text(wide[column])
        elif entry.get("kind") == "intake" and str(entry.get("dtype", "")).lower() not in NUMERIC_DTYPES:
            typed[column] = _text(wide[column])
        else:
            typed[column] = _number_or_text(wide[column])
    return pd.DataFrame(typed, index=wide.index)


def _text(series: pd.Series) -> pd.Series:
    return series.mask(series == "")


def _factor(series: pd.Series, declared: list) -> pd.Series:
    declared = [str(level) for level in declared]
    seen = [level for level in pd.unique(series) if level != "" and level not in declared]
    # Undeclared levels are kept (appended) rather than silently turned into missing values.
    return pd.Series(pd.Categorical(_text(series), categories=declared + seen), index=series.index)


def _flag(series: pd.Series, column: str) -> pd.Series:
    lowered = series.str.strip().str.lower()
    unknown = lowered[~lowered.isin(TRUE_TOKENS | FALSE_TOKENS)]
    if len(unknown):
        raise AnalysisError(f"Column '{column}' holds {unknown.iloc[0]!r}; a flag must be true or false.")
    return lowered.isin(TRUE_TOKENS).astype(bool)


def _flag_or_text(series: pd.Series) -> pd.Series:
    if series.str.strip().str.lower().isin(TRUE_TOKENS | FALSE_TOKENS).all():
        return _flag(series, str(series.name))
    return _text(series)


def _number_or_text(series: pd.Series) -> pd.Series:
    cleaned = series.mask(series.str.strip().isin(NA_TOKENS))
    try:
        return pd.to_numeric(cleaned)
    except (ValueError, TypeError):
        return cleaned
