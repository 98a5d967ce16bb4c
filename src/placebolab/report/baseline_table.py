"""CONSORT table 1 as the report shows it: one column per cell (and the total), mean (SD) or n (%)."""

from __future__ import annotations

import pandas as pd

from placebolab.report import format as fmt


def baseline_view(table: pd.DataFrame | None, error: str | None, counts: pd.DataFrame) -> dict | None:
    """``{"groups": [...], "rows": [{"label", "level", "values"}], "error"}``, or None with nothing to show."""
    if table is None and error is None:
        return None
    if table is None:
        return {"groups": [], "rows": [], "error": error}
    groups = list(dict.fromkeys(table["group"]))
    n = table.groupby("group", sort=False)["n"].max()
    arms = set(counts.loc[counts["arm"], "cell"]) if "arm" in counts else set()
    rows, shown = [], set()
    for (variable, level), part in table.groupby(["variable", "level"], sort=False):
        by_group = part.set_index("group")
        rows.append({
            "label": "" if variable in shown else part.iloc[0]["label"],  # on the variable's first row only
            "level": level,
            "values": [_cell(by_group.loc[g], level) if g in by_group.index else "" for g in groups],
        })  # fmt: skip
        shown.add(variable)
    return {
        "groups": [{"name": g, "n": int(n.get(g, 0)), "arm": g in arms} for g in groups],
        "rows": rows,
        "error": error,
    }


def _cell(row: pd.Series, level: str) -> str:
    if level == "":
        if pd.isna(row["mean"]):
            return fmt.MISSING
        sd = "" if pd.isna(row["sd"]) else f" ({fmt.fmt_num(row['sd'])})"
        return f"{fmt.fmt_num(row['mean'])}{sd}"
    if level == "missing":
        return str(int(row["count"]))
    percent = "" if pd.isna(row["percent"]) else f" ({row['percent']:.1f}%)"
    return f"{int(row['count'])}{percent}"
