"""Power by simulation: thousands of simulated studies at once, their F statistics in closed form.

Each simulated participant's outcome is ``mean of the cell + sd · z`` with ``z = r · z_baseline +
√(1 − r²) · ε`` (the simulated-participant model, ``placebolab.simulation.model``). The F statistics
depend on the data only through per-cell sums, so each cell's draws (an array: studies × participants)
are reduced to sums and sums of products, and every F of every study follows from them by a few array
operations:

- ANOVA (Type III, equal or unequal n): with cell means ȳ and pooled within-cell SS,
  F = (Cȳ)ᵀ [C D⁻¹ Cᵀ]⁻¹ (Cȳ) / q / MS_error, D = diag(n).
- ANCOVA (common slope β̂ = S_xy / S_xx within cells): the adjusted contrast C(ȳ − β̂ x̄) has covariance
  σ²[C D⁻¹ Cᵀ + w wᵀ], w = C x̄ / √S_xx, inverted by Sherman–Morrison; df₂ = N − cells − 1.

Both are the F tests statsmodels computes for ``y ~ C(a, Sum) * C(b, Sum) (+ x)`` with Type III sums of
squares (and its ``f_test`` for simple effects): ``tests/power/test_reference.py`` checks it study by study.
Work is done in units of the sd (location and scale do not change an F), so no sum loses precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from placebolab.errors import InternalError
from placebolab.power.design import Design, check_alpha, check_baseline_r, error_df, make_design

SIMULATED_COLUMNS = ["analysis", "effect", "kind", "df1", "df2", "power", "mc_se", "n_sims"]
DRAWS_PER_CHUNK = 4_000_000  # random numbers drawn at once: ~32 MB per array, whatever n_sims is


@dataclass
class CellDraws:
    """One cell's standard-normal draws for a batch of studies: ε (studies × n) and the baseline's z."""

    noise: np.ndarray
    baseline: np.ndarray | None = None


def draw_studies(design: Design, n_sims: int, rng: np.random.Generator, with_baseline: bool) -> list[CellDraws]:
    """The random numbers of ``n_sims`` studies, cell by cell (ε first, then the baseline's z)."""
    cells = []
    for n in design.n:
        noise = rng.standard_normal((n_sims, int(n)))
        baseline = rng.standard_normal((n_sims, int(n))) if with_baseline else None
        cells.append(CellDraws(noise, baseline))
    return cells


def outcome_z(draws: CellDraws, r: float | None) -> np.ndarray:
    """The outcome in sd units, z = r · z_baseline + √(1 − r²) · ε (what the reference check rebuilds)."""
    if draws.baseline is None or not r:
        return draws.noise
    return r * draws.baseline + math.sqrt(1 - r * r) * draws.noise


def f_statistics(design: Design, cells: list[CellDraws], baseline_r: float | None) -> dict[tuple[str, str], np.ndarray]:
    """F of every effect in every simulated study: ``{(analysis, effect): array of n_sims}``."""
    sums = _cell_sums(cells, baseline_r)
    shift = design.means / design.sd  # the cell means in sd units
    y_mean = shift + sums["y"] / design.n
    within_y = (sums["yy"] - sums["y"] ** 2 / design.n).sum(axis=1)
    stats = {}
    df2 = error_df(design, covariates=0)
    for effect in design.effects():
        quad = _quadratic(effect.contrasts, design.n, y_mean @ effect.contrasts.T)
        stats[("ANOVA", effect.name)] = quad / effect.df / (within_y / df2)
    if baseline_r is None:
        return stats
    x_mean = sums["x"] / design.n
    sxx = (sums["xx"] - sums["x"] ** 2 / design.n).sum(axis=1)
    sxy = (sums["xy"] - sums["x"] * sums["y"] / design.n).sum(axis=1)
    slope = sxy / sxx
    mse = (within_y - sxy * slope) / error_df(design, covariates=1)
    adjusted = y_mean - slope[:, None] * x_mean
    for effect in design.effects():
        quad = _adjusted_quadratic(effect.contrasts, design.n, adjusted, x_mean, sxx)
        stats[("ANCOVA", effect.name)] = quad / effect.df / mse
    return stats


def _cell_sums(cells: list[CellDraws], r: float | None) -> dict[str, np.ndarray]:
    """Per study and cell (studies × cells): Σy, Σy² and, with a baseline, Σx, Σx², Σxy — from ε and z_b
    without forming y (y = r·x + s·ε), so each draw is read once per sum."""
    columns: dict[str, list[np.ndarray]] = {key: [] for key in ("y", "yy", "x", "xx", "xy")}
    for cell in cells:
        e_sum, e_sq = cell.noise.sum(axis=1), np.einsum("ij,ij->i", cell.noise, cell.noise)
        if cell.baseline is None:
            columns["y"].append(e_sum)
            columns["yy"].append(e_sq)
            continue
        if r is None:
            raise InternalError("baseline draws come with their correlation")
        s = math.sqrt(1 - r * r)
        x_sum = cell.baseline.sum(axis=1)
        x_sq = np.einsum("ij,ij->i", cell.baseline, cell.baseline)
        x_e = np.einsum("ij,ij->i", cell.baseline, cell.noise)
        columns["y"].append(r * x_sum + s * e_sum)
        columns["yy"].append(r * r * x_sq + 2 * r * s * x_e + s * s * e_sq)
        columns["x"].append(x_sum)
        columns["xx"].append(x_sq)
        columns["xy"].append(r * x_sq + s * x_e)
    return {key: np.stack(values, axis=1) for key, values in columns.items() if values}


def _inverse_middle(contrasts: np.ndarray, n: np.ndarray) -> np.ndarray:
    return np.linalg.inv((contrasts / n) @ contrasts.T)


def _quadratic(contrasts: np.ndarray, n: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Row-wise δᵀ [C D⁻¹ Cᵀ]⁻¹ δ for δ of shape studies × q."""
    return np.einsum("ij,jk,ik->i", delta, _inverse_middle(contrasts, n), delta)


def _adjusted_quadratic(contrasts, n, adjusted, x_mean, sxx) -> np.ndarray:
    """δᵀ [M + w wᵀ]⁻¹ δ = δᵀM⁻¹δ − (δᵀM⁻¹w)² / (1 + wᵀM⁻¹w), row-wise (Sherman–Morrison)."""
    inverse = _inverse_middle(contrasts, n)
    delta = adjusted @ contrasts.T
    w = (x_mean @ contrasts.T) / np.sqrt(sxx)[:, None]
    d_w = np.einsum("ij,jk,ik->i", delta, inverse, w)
    w_w = np.einsum("ij,jk,ik->i", w, inverse, w)
    return np.einsum("ij,jk,ik->i", delta, inverse, delta) - d_w**2 / (1 + w_w)


def simulate_power(
    cell_means,
    sd,
    n_per_cell,
    n_sims: int = 10_000,
    alpha: float = 0.05,
    seed=None,
    baseline_r=None,
    *,
    factors=None,
    progress: Callable[[int], None] | None = None,
):
    """Power of every effect of a between-subjects factorial design, by simulating ``n_sims`` studies.

    Parameters
    ----------
    cell_means, sd, n_per_cell, alpha, factors
        As for :func:`placebolab.power.analytic_power`.
    n_sims : int
        Number of simulated studies (≥ 1); the Monte-Carlo SE of a power p is √(p(1 − p)/n_sims).
    seed : int, numpy.random.Generator or None
        Seed (or generator) of the random numbers: the same seed gives the same table.
    baseline_r : float, optional
        Correlation of the outcome with a baseline measure; adds the baseline-adjusted (ANCOVA) rows,
        analysed on the same simulated studies as the ANOVA rows.
    progress : callable, optional
        Called with the number of studies just finished, after each batch (for a progress bar).

    Returns
    -------
    pandas.DataFrame
        One row per analysis and effect, as :func:`analytic_power`: ``analysis, effect, kind, df1, df2``,
        ``power`` (share of studies with p < alpha), ``mc_se`` (its Monte-Carlo standard error), ``n_sims``.

    Raises
    ------
    placebolab.errors.PowerError
        As :func:`analytic_power`, and for ``n_sims`` < 1.

    Examples
    --------
    >>> from placebolab.power import simulate_power
    >>> table = simulate_power([[20, 20], [20, 25]], sd=5, n_per_cell=20, n_sims=2000, seed=1)
    >>> row = table.set_index("effect").loc["A * B"]  # analytic: 0.598
    >>> round(float(row.power), 3), round(float(row.mc_se), 3)
    (0.595, 0.011)
    """
    import pandas as pd
    from scipy import stats

    from placebolab.errors import PowerError

    design = make_design(cell_means, sd, n_per_cell, factors)
    alpha, baseline_r = check_alpha(alpha), check_baseline_r(baseline_r)
    if isinstance(n_sims, bool) or not isinstance(n_sims, int | np.integer) or n_sims < 1:
        raise PowerError(f"n_sims must be a whole number ≥ 1, not {n_sims!r}")
    df2 = {"ANOVA": error_df(design, 0)}
    if baseline_r is not None:
        df2["ANCOVA"] = error_df(design, 1)
    rng = np.random.default_rng(seed)
    effects = {effect.name: effect for effect in design.effects()}
    hits: dict[tuple[str, str], int] = {}
    per_chunk = max(1, DRAWS_PER_CHUNK // (design.n_total * (2 if baseline_r is not None else 1)))
    done = 0
    while done < n_sims:
        size = min(per_chunk, n_sims - done)
        cells = draw_studies(design, size, rng, with_baseline=baseline_r is not None)
        for key, f_values in f_statistics(design, cells, baseline_r).items():
            critical = stats.f.isf(alpha, effects[key[1]].df, df2[key[0]])
            hits[key] = hits.get(key, 0) + int(np.count_nonzero(f_values > critical))
        done += size
        if progress:
            progress(size)
    rows = []
    for (analysis, name), count in hits.items():
        power = count / n_sims
        effect = effects[name]
        rows.append(
            {
                "analysis": analysis,
                "effect": name,
                "kind": effect.kind,
                "df1": effect.df,
                "df2": df2[analysis],
                "power": float(power),
                "mc_se": math.sqrt(power * (1 - power) / n_sims),
                "n_sims": n_sims,
            }
        )
    return pd.DataFrame(rows, columns=SIMULATED_COLUMNS)
