"""Scheduled occasions shown later than the protocol allows, from the export's ``steps.csv`` (``late_s``)
and the codebook's ``schedule_tolerance_s`` (the protocol's ``schedule_tolerance``, default 60 s).

:func:`~placebolab.analysis.plan.run_analyses` keeps them as ``late_occasions``; the report
(``placebolab.report.html``) shows them from the template ``schedule.html.j2``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DEFAULT_TOLERANCE_S = 60.0


def late_occasions(export_dir, codebook: dict, participants) -> dict | None:
    """The scheduled occasions of ``participants`` (the analysed ones) and those shown too late.

    Returns
    -------
    dict or None
        None when the export has no ``steps.csv`` or no scheduled occasion of these participants. Else
        ``tolerance_s``, ``recorded`` (False for an export made before ``late_s`` existed), ``n_occasions``,
        ``n_late``, ``n_participants`` (with at least one late occasion), ``max_late_s`` and ``late``: one
        dict per late occasion (``participant``, ``occasion`` as ``step@time``, ``late_s``), latest first.
    """
    path = Path(export_dir) / "steps.csv"
    wanted = {str(p) for p in participants}
    if not wanted or not path.is_file():  # nobody analysed: a study without participants has an empty steps.csv
        return None
    steps = pd.read_csv(path, dtype=str, keep_default_na=False)
    if not {"participant", "step", "occasion"} <= set(steps.columns):
        return None
    scheduled = steps[(steps["occasion"] != "") & steps["participant"].isin(wanted)]
    if scheduled.empty:
        return None
    tolerance = float(codebook.get("schedule_tolerance_s") or DEFAULT_TOLERANCE_S)
    if "late_s" not in scheduled.columns:
        return {"tolerance_s": tolerance, "recorded": False, "n_occasions": len(scheduled)}
    late_s = pd.to_numeric(scheduled["late_s"], errors="coerce")
    late = scheduled.assign(late_s=late_s)[late_s > tolerance].sort_values("late_s", ascending=False)
    return {
        "tolerance_s": tolerance,
        "recorded": True,
        "n_occasions": len(scheduled),
        "n_unknown": int(late_s.isna().sum()),
        "n_late": len(late),
        "n_participants": late["participant"].nunique(),
        "max_late_s": float(late_s.max()) if late_s.notna().any() else None,
        "late": [
            {"participant": r.participant, "occasion": f"{r.step}@{r.occasion}", "late_s": float(r.late_s)}
            for r in late.itertuples()
        ],
    }
