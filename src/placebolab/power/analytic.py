"""Power from the noncentral F distribution, for every effect of a factorial design (and its ANCOVA).

An effect with contrast matrix C (q rows) on cell means μ, common sd σ and n per cell has noncentrality
λ = (Cμ)ᵀ [C D⁻¹ Cᵀ]⁻¹ (Cμ) / σ², D = diag(n) — the Type III test, exact for unequal n too. Cohen's f
follows G*Power's convention λ = f²·N. Power is P(F(q, df₂; λ) > F₁₋α(q, df₂)); at λ = 0 it is the
central F (scipy's ``ncf`` returns wrong values at nc = 0, e.g. a negative survival function).

Baseline-adjusted (ANCOVA, the baseline correlating r with the outcome): conditional on the baseline,
the F is exactly noncentral with error variance σ²(1 − r²), df₂ = N − cells − 1 and
λ = λ₀ / (1 + T), where λ₀ is the ANOVA λ divided by (1 − r²) and T reflects the chance imbalance of
the baseline between cells. For a randomised, normal baseline, λ = λ₀ (1 − B) with
B ~ Beta(1/2, (N − cells + q − 1)/2) (for q = 1 this is Shieh's exact unconditional power for ANCOVA,
Shieh 2020, Psychometrika 85:101–120); the power is the average over B, computed by Gauss–Jacobi
quadrature. It is slightly below the usual approximation λ = λ₀ (G*Power's ANCOVA), and it is what
the simulation reproduces.
"""

from __future__ import annotations

import numpy as np

from placebolab.power.design import (
    Design,
    Effect,
    check_alpha,
    check_baseline_r,
    error_df,
    make_design,
)

ANALYTIC_COLUMNS = ["analysis", "effect", "kind", "df1", "df2", "f", "lambda", "power"]
QUADRATURE_NODES = 48


def f_test_power(lam, df1, df2, alpha: float = 0.05):
    """P(F > F_crit) for a noncentral F with noncentrality ``lam`` (arrays broadcast); λ = 0 gives α exactly."""
    from scipy import stats

    lam, df1, df2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lam, df1, df2)))
    critical = stats.f.isf(alpha, df1, df2)
    power = stats.f.sf(critical, df1, df2)  # the central F: the right answer at λ = 0
    positive = lam > 0
    if positive.any():
        power = np.where(positive, 0.0, power)
        power[positive] = stats.ncf.sf(critical[positive], df1[positive], df2[positive], lam[positive])
    return power if power.ndim else float(power)


def lambda_from_f(f: float, n_total: int) -> float:
    """G*Power's noncentrality for Cohen's f: λ = f²·N."""
    return f * f * n_total


def f_from_lambda(lam: float, n_total: int) -> float:
    """Cohen's f for a noncentrality λ and total N: f = √(λ / N)."""
    return float(np.sqrt(lam / n_total))


def power_for_f(f: float, n_total: int, df_effect: int, n_groups: int, alpha: float = 0.05) -> float:
    """Power of a fixed-effects ANOVA F test from Cohen's f, as G*Power's "ANOVA: fixed effects, special,
    main effects and interactions" (``df_effect`` = 1 … ; ``n_groups`` cells) and "omnibus, one-way"
    (``df_effect`` = ``n_groups`` − 1): λ = f²·N, df₂ = N − groups.

    Examples
    --------
    >>> round(power_for_f(0.25, 128, df_effect=1, n_groups=4), 3)  # G*Power: 0.801
    0.801
    """
    alpha = check_alpha(alpha)
    return f_test_power(lambda_from_f(f, n_total), df_effect, n_total - n_groups, alpha)


def effect_lambda(design: Design, effect: Effect) -> float:
    """Noncentrality of one effect's F test in the ANOVA of the design."""
    delta = effect.contrasts @ design.means
    middle = (effect.contrasts / design.n) @ effect.contrasts.T
    return float(delta @ np.linalg.solve(middle, delta)) / design.sd**2


def ancova_power(lam0, df1: int, df2: int, n_cells: int, n_total: int, alpha: float) -> float:
    """Exact unconditional ANCOVA power: E_B[power(λ₀ (1 − B))], B ~ Beta(1/2, (N − cells + q − 1)/2)."""
    from scipy.special import roots_jacobi

    half_nu = (n_total - n_cells + df1 - 1) / 2
    # ∫₀¹ h(b) b^(-1/2) (1-b)^(ν/2-1) db with b = (1 + x)/2: Jacobi weight (1 - x)^(ν/2-1) (1 + x)^(-1/2)
    x, w = roots_jacobi(QUADRATURE_NODES, half_nu - 1, -0.5)
    b = (1 + x) / 2
    return float(np.sum(w * f_test_power(lam0 * (1 - b), df1, df2, alpha)) / np.sum(w))


def analytic_power(cell_means, sd, n_per_cell, alpha: float = 0.05, *, factors=None, baseline_r=None):
    """Power of every effect of a between-subjects factorial design, from the noncentral F.

    Parameters
    ----------
    cell_means : array_like or mapping
        An array with one axis per factor (``[[20, 20], [20, 25]]`` for a 2 × 2), or a mapping of cell
        id (``"warm/high"``) to mean, in which case ``factors`` names the factors and their levels.
    sd : float
        Within-cell standard deviation of the outcome (> 0).
    n_per_cell : int, array_like or mapping
        Participants per cell: one number (balanced) or one per cell (cell order, or a cell-id mapping).
    alpha : float
        Significance level, in (0, 1).
    factors : list or mapping, optional
        Factor names (array means) or name → levels (required with mapping means).
    baseline_r : float, optional
        Correlation of the outcome with a baseline measure: adds the baseline-adjusted (ANCOVA) rows.

    Returns
    -------
    pandas.DataFrame
        One row per effect and analysis: ``analysis`` (``ANOVA`` or ``ANCOVA``), ``effect`` (``A``,
        ``A * B``, ``A at B=B1``), ``kind`` (main, interaction, simple), ``df1``, ``df2``, ``f``
        (Cohen's f, λ = f²·N), ``lambda`` (for ANCOVA the λ before the baseline's chance imbalance)
        and ``power``.

    Raises
    ------
    placebolab.errors.PowerError
        Cell means that do not match the factors, sd ≤ 0, n too small for an error degree of freedom,
        alpha outside (0, 1), baseline_r outside (−1, 1).

    Examples
    --------
    >>> from placebolab.power import analytic_power
    >>> table = analytic_power([[20, 20], [20, 25]], sd=5, n_per_cell=20)  # Superpower: 0.598 each
    >>> table.loc[table.kind != "simple", ["effect", "power"]].round(3)
        effect  power
    0        A  0.598
    1        B  0.598
    2    A * B  0.598
    """
    import pandas as pd

    design = make_design(cell_means, sd, n_per_cell, factors)
    alpha, baseline_r = check_alpha(alpha), check_baseline_r(baseline_r)
    rows = _anova_rows(design, alpha)
    if baseline_r is not None:
        rows += _ancova_rows(design, alpha, baseline_r)
    return pd.DataFrame(rows, columns=ANALYTIC_COLUMNS)


def _anova_rows(design: Design, alpha: float) -> list[dict]:
    df2 = error_df(design, covariates=0)
    rows = []
    for effect in design.effects():
        lam = effect_lambda(design, effect)
        rows.append(_row("ANOVA", effect, df2, lam, design, f_test_power(lam, effect.df, df2, alpha)))
    return rows


def _ancova_rows(design: Design, alpha: float, r: float) -> list[dict]:
    df2 = error_df(design, covariates=1)
    rows = []
    for effect in design.effects():
        lam0 = effect_lambda(design, effect) / (1 - r * r)
        power = ancova_power(lam0, effect.df, df2, len(design.means), design.n_total, alpha)
        rows.append(_row("ANCOVA", effect, df2, lam0, design, power))
    return rows


def _row(analysis: str, effect: Effect, df2: int, lam: float, design: Design, power: float) -> dict:
    return {
        "analysis": analysis,
        "effect": effect.name,
        "kind": effect.kind,
        "df1": effect.df,
        "df2": df2,
        "f": f_from_lambda(lam, design.n_total),
        "lambda": lam,
        "power": float(power),
    }
