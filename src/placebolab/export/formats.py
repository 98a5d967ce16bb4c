"""The exported tables in other formats: Parquet (typed columns) and SPSS ``.sav`` (labelled).

CSV stays the contract the analysis reads (docs/tables.md); these are for analysts who work in
R/Python with typed columns (Parquet) or in SPSS/jamovi/JASP (``.sav``, with the codebook's
variable labels and the factor levels as value labels).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from placebolab.errors import StoreError

FORMATS = ("csv", "parquet", "sav")
SPSS_NAME_LIMIT = 64  # bytes


def parse_formats(text: str) -> tuple[str, ...]:
    """``"csv,parquet"`` → ``("csv", "parquet")``; an unknown format is a StoreError naming the choices."""
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise StoreError(
            f"Unknown export format {unknown[0] if unknown else text!r}; choose from {', '.join(FORMATS)} (comma-separated)."
        )
    return chosen


def write_parquet(table: pd.DataFrame, path: Path, factors: dict | None = None) -> Path:
    """Write ``table`` as Parquet, factor columns as categoricals in the protocol's level order."""
    typed = table.copy()
    for factor, levels in (factors or {}).items():
        if factor in typed.columns:
            typed[factor] = pd.Categorical(typed[factor], categories=[str(v) for v in levels])
    typed.to_parquet(path, engine="pyarrow", index=False)
    return path


def spss_names(columns) -> dict[str, str]:
    """SPSS-legal, unique variable names: ``itch_post@t0+3min`` → ``itch_post_t0_3min``.

    SPSS allows letters, digits and ``. _ $ # @`` (not first, not a final dot), at most 64 bytes.

    Examples
    --------
    >>> spss_names(["participant", "itch_post@t0+3min", "expectancy.expectancy", "3rd"])
    {'participant': 'participant', 'itch_post@t0+3min': 'itch_post_t0_3min', 'expectancy.expectancy': 'expectancy.expectancy', '3rd': 'v_3rd'}
    """
    names, taken = {}, set()
    for column in columns:
        name = re.sub(r"[^A-Za-z0-9_.]", "_", str(column)).rstrip(".")
        name = re.sub(r"_+", "_", name).strip("_") or "v"
        if not name[0].isalpha():
            name = f"v_{name}"
        name = name[:SPSS_NAME_LIMIT]
        base, i = name, 2
        while name.lower() in taken:  # SPSS names are case-insensitive
            name = f"{base[: SPSS_NAME_LIMIT - len(str(i)) - 1]}_{i}"
            i += 1
        taken.add(name.lower())
        names[column] = name
    return names


def write_sav(wide: pd.DataFrame, path: Path, codebook: dict) -> Path:
    """Write ``wide`` as an SPSS ``.sav`` with variable labels and value labels.

    Factors and choice fields are stored as codes 1, 2, … in the protocol's level order with the
    levels as value labels (as SPSS users expect for a between-subjects factor); flags as 0/1
    labelled no/yes; measures as numbers, a Likert (or yes/no) item's codes 1..k labelled with its scale's
    labels (ordinal). A renamed column keeps its exported name in its label.
    """
    import pyreadstat

    entries = {c.get("name"): c for c in codebook.get("columns") or []}
    names = spss_names(wide.columns)
    data, labels, value_labels, measure = pd.DataFrame(index=wide.index), {}, {}, {}
    for column in wide.columns:
        entry, name = entries.get(column, {}), names[column]
        label = str(entry.get("label") or column)
        labels[name] = label if name == column else f"{label} [{column}]"
        data[name], coded = _spss_column(wide[column], entry, codebook.get("factors") or {})
        if coded:
            value_labels[name] = coded
            measure[name] = "ordinal" if entry.get("value_labels") else "nominal"
        elif pd.api.types.is_numeric_dtype(data[name]):
            measure[name] = "scale"
        else:
            measure[name] = "nominal"
    pyreadstat.write_sav(
        data, str(path), column_labels=[labels[n] for n in data.columns], variable_value_labels=value_labels,
        variable_measure=measure,
    )  # fmt: skip
    return path


def _spss_column(series: pd.Series, entry: dict, factors: dict) -> tuple[pd.Series, dict | None]:
    levels = factors.get(entry.get("name")) or entry.get("levels")
    if entry.get("kind") in ("factor", "intake") and levels:
        levels = [str(v) for v in levels]
        extra = [v for v in pd.unique(series.dropna().astype(str)) if v not in levels]
        levels += extra  # an undeclared level (should not happen) is kept, not dropped
        codes = {level: i + 1 for i, level in enumerate(levels)}
        return series.astype("string").map(codes).astype(float), {float(c): lv for lv, c in codes.items()}
    if entry.get("kind") == "flag" and entry.get("dtype") == "bool" or pd.api.types.is_bool_dtype(series):
        as_bool = series.astype(str).str.lower().map({"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0})
        return as_bool, {0.0: "no", 1.0: "yes"}
    if entry.get("value_labels") and pd.api.types.is_numeric_dtype(series):  # Likert codes 1..k
        return series.astype(float), {float(code): label for code, label in entry["value_labels"].items()}
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float), None
    return series.astype("string").fillna(""), None
