"""Baseline characteristics per cell: CONSORT's table 1 (intake fields and baseline measures).

A numeric characteristic is summarised as mean (SD) with the SD on n − 1; a categorical one as
n (%) per level, the percentage of the participants with an answer. Missing answers are counted
on a row of their own, so no percentage silently rests on fewer participants than the column says.
No significance tests: CONSORT 2010 (item 15) advises against testing baseline differences
between randomised groups.
"""

from __future__ import annotations

import pandas as pd

from placebolab.analysis._validate import require_columns, require_frame
from placebolab.errors import AnalysisError

BASELINE_COLUMNS = ["variable", "label", "level", "group", "n", "mean", "sd", "count", "percent"]
TOTAL = "Total"


def baseline_characteristics(
    data: pd.DataFrame, group: str, variables: list[str], labels: dict | None = None, levels: dict | None = None
) -> pd.DataFrame:
    """Table 1 in long form: one row per variable (numeric) or variable level (categorical) and group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant.
    group : str
        The column whose values are the table's columns (e.g. ``"cell"``); a ``"Total"`` group is added.
    variables : list of str
        The characteristics, in table order. A numeric column is summarised by mean and SD; any
        other by counts of its levels.
    labels : dict, optional
        Column → label shown in the table (default the column name).
    levels : dict, optional
        Column → its levels in order (an intake field's choices); levels not listed follow.

    Returns
    -------
    pandas.DataFrame
        ``variable, label, level, group, n, mean, sd, count, percent``. Numeric rows have ``level``
        ``""`` and ``mean, sd`` (``n`` with a value); categorical rows ``count`` and ``percent``
        (of ``n`` answered); a row ``level = "missing"`` counts absent answers when there are any.

    Raises
    ------
    placebolab.errors.AnalysisError
        If a column is missing or there are no rows.
    """
    require_frame(data)
    require_columns(data, [group, *variables])
    if data.empty:
        raise AnalysisError("No participants to describe at baseline.")
    labels, levels = labels or {}, levels or {}
    ordered = isinstance(data[group].dtype, pd.CategoricalDtype)  # a categorical's order, else as found
    groups = [(str(g), rows) for g, rows in data.groupby(group, sort=ordered, observed=True)]
    groups.append((TOTAL, data))
    out = []
    for variable in variables:
        label = labels.get(variable) or variable
        numeric = pd.api.types.is_numeric_dtype(data[variable]) and variable not in levels
        order = [] if numeric else _level_order(data[variable], levels.get(variable))
        missing = bool(data[variable].isna().any())  # then a missing row in every group, 0 where none
        for name, rows in groups:
            values = rows[variable]
            found = (
                _numeric_rows(variable, label, name, values)
                if numeric
                else _level_rows(variable, label, name, values, order)
            )
            out += found + (_missing_row(variable, label, name, values) if missing else [])
    return pd.DataFrame(out, columns=BASELINE_COLUMNS)


def _level_order(series: pd.Series, declared) -> list[str]:
    seen = [str(v) for v in pd.unique(series.dropna())]
    declared = [str(v) for v in declared or []]
    return declared + sorted(v for v in seen if v not in declared)


def _numeric_rows(variable, label, group, values: pd.Series) -> list[dict]:
    present = values.dropna().astype(float)
    rows = [{"variable": variable, "label": label, "level": "", "group": group, "n": len(present),
             "mean": present.mean() if len(present) else float("nan"),
             "sd": present.std(ddof=1) if len(present) > 1 else float("nan")}]  # fmt: skip
    return rows


def _level_rows(variable, label, group, values: pd.Series, order: list[str]) -> list[dict]:
    present = values.dropna().astype(str)
    counts = present.value_counts()
    rows = [
        {"variable": variable, "label": label, "level": level, "group": group, "n": len(present),
         "count": int(counts.get(level, 0)), "percent": 100 * counts.get(level, 0) / len(present) if len(present) else float("nan")}
        for level in order
    ]  # fmt: skip
    return rows


def _missing_row(variable, label, group, values: pd.Series) -> list[dict]:
    missing = int(values.isna().sum())
    return [
        {"variable": variable, "label": label, "level": "missing", "group": group, "n": len(values), "count": missing}
    ]
