"""Resampling in the analysis suite: the mediation bootstrap (5000 resamples) and the Freedman–Lane
permutation test (5000 permutations per effect), batched in numpy, against the textbook way of refitting
one least-squares model per resample in a Python loop (``numpy.linalg.lstsq``), run interleaved on the same
160-participant 2 × 2 data set; goal: batched ≥ 3× faster. The full report (``run_analyses`` +
render) is timed too, as the figure an analyst waits for."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _util import figure, interleave, median, paired_ratios, timed

GOAL = 3.0
N_PER_CELL = 40


def _data(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for warmth in ("warm", "neutral"):
        for competence in ("high", "low"):
            for _ in range(N_PER_CELL):
                base = rng.normal(60, 12)
                expectancy = 5 + 1.2 * (competence == "high") + 0.5 * (warmth == "warm") + rng.normal()
                rows.append({"warmth": warmth, "competence": competence, "base": base, "expectancy": expectancy,
                             "itch": base - 2 * expectancy - 4 * (warmth == "warm") + rng.normal(0, 8)})  # fmt: skip
    data = pd.DataFrame(rows)
    data["competence"] = pd.Categorical(data["competence"], ["high", "low"])
    return data


def _loop_bootstrap(data: pd.DataFrame, n_boot: int, seed: int) -> np.ndarray:
    """The naive way: two lstsq fits per resample in a Python loop (what the batched code replaces)."""
    rng = np.random.default_rng(seed)
    x = (data["competence"] == "high").to_numpy(float)
    ones, m, y, cov = (
        np.ones(len(data)),
        data["expectancy"].to_numpy(),
        data["itch"].to_numpy(),
        data["base"].to_numpy(),
    )
    design_a, design_b = np.column_stack([ones, x, cov]), np.column_stack([ones, x, m, cov])
    out = np.empty(n_boot)
    for i in range(n_boot):
        idx = rng.integers(0, len(data), len(data))
        a = np.linalg.lstsq(design_a[idx], m[idx], rcond=None)[0][1]
        b = np.linalg.lstsq(design_b[idx], y[idx], rcond=None)[0][2]
        out[i] = a * b
    return out


def _loop_permutation(data: pd.DataFrame, n_perm: int, seed: int) -> float:
    """Freedman–Lane for the warmth × competence term, one pair of lstsq fits per permutation."""
    import patsy

    rng = np.random.default_rng(seed)
    y, design = patsy.dmatrices("itch ~ C(warmth, Sum) * C(competence, Sum) + base", data, return_type="dataframe")
    y, full = y.to_numpy()[:, 0], design.to_numpy()
    reduced = np.delete(full, 3, axis=1)  # the interaction column

    def f_of(target):
        rss_f = np.sum((target - full @ np.linalg.lstsq(full, target, rcond=None)[0]) ** 2)
        rss_r = np.sum((target - reduced @ np.linalg.lstsq(reduced, target, rcond=None)[0]) ** 2)
        return (rss_r - rss_f) / (rss_f / (len(target) - full.shape[1]))

    fitted = reduced @ np.linalg.lstsq(reduced, y, rcond=None)[0]
    resid = y - fitted
    observed = f_of(y)
    hits = sum(f_of(fitted + resid[rng.permutation(len(y))]) >= observed for _ in range(n_perm))
    return (1 + hits) / (n_perm + 1)


def run(quick: bool = False) -> dict:
    from placebolab.analysis import mediation, permutation_anova

    repeats, n = (3, 1000) if quick else (7, 5000)
    data = _data()
    samples = interleave(
        {
            "mediation, batched": lambda: timed(lambda: mediation(data, "competence", "expectancy", "itch", covariates="base", n_boot=n, seed=1)),
            "mediation, loop": lambda: timed(lambda: _loop_bootstrap(data, n, 1)),
            "permutation, batched": lambda: timed(lambda: permutation_anova(data, "itch", ["warmth", "competence"], covariates="base", n_perm=n, seed=1)),
            "permutation, loop (1 term)": lambda: timed(lambda: _loop_permutation(data, n, 1)),
        },
        repeats,
        warmup=1,
    )  # fmt: skip
    boot_ratio = median(paired_ratios(samples["mediation, loop"], samples["mediation, batched"]))
    # the batched call tests 4 terms (3 effects + covariate); the loop one term: compare per term
    perm_ratio = median(
        paired_ratios(samples["permutation, loop (1 term)"], [s / 4 for s in samples["permutation, batched"]])
    )
    report_s = _report_seconds(quick)
    return {
        "title": f"mediation bootstrap and permutation ANOVA ({n} resamples, N = {4 * N_PER_CELL}): batched vs a Python loop of lstsq fits",
        "figures": [
            figure(
                "bootstrap speed-up (loop / batched)",
                round(boot_ratio, 1),
                "×",
                "median of paired rounds",
                f"≥ {GOAL:g}",
                boot_ratio >= GOAL,
            ),
            figure(
                "permutation speed-up per term (loop / batched)",
                round(perm_ratio, 1),
                "×",
                "median of paired rounds",
                f"≥ {GOAL:g}",
                perm_ratio >= GOAL,
            ),
            figure("mediation, batched", round(median(samples["mediation, batched"]), 3), "s", "paths + bootstrap CI"),
            figure("permutation ANOVA, batched", round(median(samples["permutation, batched"]), 3), "s", "4 terms"),
            figure("full report of 160 participants", round(report_s, 2), "s", "run_analyses + HTML, median"),
        ],  # fmt: skip
        "params": {"resamples": n, "repeats": repeats, "participants": 4 * N_PER_CELL},
        "samples": samples,
    }


def _report_seconds(quick: bool) -> float:
    import sys

    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here.parent))
    from tests.analysis.synthetic import wide_table, write_export

    from placebolab.analysis.plan import run_analyses
    from placebolab.report import write_report

    with tempfile.TemporaryDirectory() as tmp:
        export = write_export(Path(tmp) / "demo", wide=wide_table(n_per_cell=N_PER_CELL))
        runs = [
            timed(lambda: write_report(run_analyses(export), Path(tmp) / "r.html")) for _ in range(1 if quick else 3)
        ]
    return median(runs)
