"""A synthetic export folder (wide.csv + codebook.json) written exactly as docs/tables.md says."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).parent / "data"
FACTORS = {"warmth": ["warm", "neutral"], "competence": ["high", "low"]}
OCCASIONS = ["t0+3min", "t0+9min", "t0+15min"]


def codebook(study: str = "demo", *, analysis: dict | None = None) -> dict:
    cells = [
        {"id": f"{w}/{c}", "levels": {"warmth": w, "competence": c}, "arm": False}
        for w in FACTORS["warmth"]
        for c in FACTORS["competence"]
    ]
    columns = [
        {"name": "participant", "label": "Participant", "kind": "id", "role": None, "dtype": "str"},
        {"name": "cell", "label": "Cell", "kind": "cell", "role": None, "dtype": "str"},
        {"name": "warmth", "label": "Warmth", "kind": "factor", "role": None, "dtype": "str", "levels": FACTORS["warmth"]},
        {"name": "competence", "label": "Competence", "kind": "factor", "role": None, "dtype": "str", "levels": FACTORS["competence"]},
        {"name": "simulated", "label": "Simulated participant", "kind": "flag", "role": None, "dtype": "bool"},
        {"name": "pilot", "label": "Pilot session", "kind": "flag", "role": None, "dtype": "bool"},
        {"name": "status", "label": "Session status", "kind": "flag", "role": None, "dtype": "str"},
        {"name": "sex", "label": "Sex", "kind": "intake", "role": None, "dtype": "str", "levels": ["female", "male", "diverse"]},
        {"name": "age", "label": "Age", "kind": "intake", "role": None, "dtype": "int", "min": 18, "max": 99},
        {"name": "itch_baseline", "label": "Itch at baseline", "kind": "measure", "role": "symptom", "step": "itch_baseline", "dtype": "float", "min": 0, "max": 100},
        *[
            {"name": f"itch_post@{o}", "label": f"Itch at {o}", "kind": "measure", "role": "symptom", "step": "itch_post", "dtype": "float", "min": 0, "max": 100}
            for o in OCCASIONS
        ],
        {"name": "itch_post", "label": "Itch after the cream (mean of 3 occasions)", "kind": "measure", "role": "symptom", "step": "itch_post", "dtype": "float", "min": 0, "max": 100,
         "derived": "mean of " + ", ".join(f"itch_post@{o}" for o in OCCASIONS)},
        {"name": "expectancy.improve", "label": "Expected improvement", "kind": "measure", "role": "expectancy", "step": "expectancy", "dtype": "float", "min": 1, "max": 9},
        {"name": "expectancy.expectancy", "label": "Expectancy (CEQ)", "kind": "score", "role": "expectancy", "step": "expectancy", "dtype": "float", "min": 1, "max": 9},
        {"name": "check.warmth", "label": "Perceived warmth", "kind": "measure", "role": "manipulation_check", "step": "check", "dtype": "float", "min": 1, "max": 7},
        {"name": "check.competence", "label": "Perceived competence", "kind": "measure", "role": "manipulation_check", "step": "check", "dtype": "float", "min": 1, "max": 7},
    ]  # fmt: skip
    plan = analysis or {
        "primary": {"outcome": "itch_post", "baseline": "itch_baseline", "between": ["warmth", "competence"]},
        "secondary": [{"outcome": "expectancy.expectancy", "between": ["warmth", "competence"]}],
        "manipulation_checks": [
            {"measure": "check.warmth", "factor": "warmth"},
            {"measure": "check.competence", "factor": "competence"},
        ],
        "ss_type": 3,
    }
    return {
        "study": study,
        "protocol": "warmth-competence-itch",
        "protocol_version": "1.0.0",
        "protocol_title": "Clinician warmth and competence in placebo itch relief",
        "protocol_sha256": "ab" * 32,
        "package_version": "0.1.0",
        "exported_at": "2026-11-25T20:00:00+00:00",
        "factors": FACTORS,
        "factor_descriptions": {"warmth": "emotional component", "competence": "cognitive component"},
        "cells": cells,
        "allocation": {"scheme": "permuted-blocks", "block_sizes": [4, 8], "strata": ["sex"], "target_n": 160},
        "analysis": plan,
        "columns": columns,
    }


def wide_table(
    n_per_cell: int = 20, *, seed: int = 20261125, simulated: bool = True, n_incomplete: int = 3
) -> pd.DataFrame:
    """One row per participant; warm and competent clinicians lower itch (by design of the simulation)."""
    rng = np.random.default_rng(seed)
    rows = []
    for warmth in FACTORS["warmth"]:
        for competence in FACTORS["competence"]:
            relief = 8.0 * (warmth == "warm") + 6.0 * (competence == "high")
            for _ in range(n_per_cell):
                rows.append(_participant(rng, warmth, competence, relief, simulated))
    for i in range(n_incomplete):
        row = _participant(rng, "warm", "low", 0.0, simulated)
        row["status"] = "incomplete"
        if i % 2 == 0:  # left before the cream; odd ones have values but must still be excluded
            row.update({f"itch_post@{o}": np.nan for o in OCCASIONS} | {"itch_post": np.nan})
        rows.append(row)
    table = pd.DataFrame(rows)
    table.insert(0, "participant", [f"P{i + 1:03d}" for i in range(len(table))])
    return table


def _participant(rng, warmth: str, competence: str, relief: float, simulated: bool) -> dict:
    baseline = float(np.clip(rng.normal(60, 12), 0, 100))
    posts = [float(np.clip(baseline - relief - rng.normal(5, 10), 0, 100)) for _ in OCCASIONS]
    items = rng.integers(1, 10, size=3).astype(float)
    return {
        "cell": f"{warmth}/{competence}",
        "warmth": warmth,
        "competence": competence,
        "simulated": simulated,
        "pilot": False,
        "status": "completed",
        "sex": rng.choice(["female", "male", "diverse"]),
        "age": int(rng.integers(18, 70)),
        "itch_baseline": baseline,
        **{f"itch_post@{o}": v for o, v in zip(OCCASIONS, posts, strict=True)},
        "itch_post": float(np.mean(posts)),
        "expectancy.improve": items[0],
        "expectancy.expectancy": float(items.mean() + 1.5 * (competence == "high")),
        "check.warmth": float(np.clip(rng.normal(5.5 if warmth == "warm" else 3.5, 1), 1, 7)),
        "check.competence": float(np.clip(rng.normal(5.5 if competence == "high" else 3.8, 1), 1, 7)),
    }


def write_export(study_dir: Path, wide: pd.DataFrame | None = None, book: dict | None = None) -> Path:
    """Write ``study_dir/export/{wide.csv,codebook.json}`` and return the export folder."""
    export = study_dir / "export"
    export.mkdir(parents=True, exist_ok=True)
    (wide if wide is not None else wide_table()).to_csv(export / "wide.csv", index=False)
    (export / "codebook.json").write_text(json.dumps(book or codebook(), indent=2), encoding="utf-8")
    return export
