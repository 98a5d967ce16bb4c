"""The linear model behind ANCOVA, estimated marginal means and simple effects (statsmodels OLS).

Column names never enter a formula: factors and covariates are renamed to placeholders
(``f0, f1, …``, ``z0, …``) so that names with dots, '@' or quotes are safe, and mapped back after.
Factors use sum-to-zero coding (``C(f0, Sum)``), so type III tests each effect at the unweighted
mean of the other factors' levels, as SPSS, JASP, afex and car::Anova(type = 3) do.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from placebolab.analysis._validate import (
    as_factor_list,
    complete_rows,
    levels_of,
    require_columns,
    require_frame,
    require_full_factorial,
    require_numeric,
    require_two_levels,
)
from placebolab.errors import AnalysisError


@dataclass
class LinearFit:
    """A fitted OLS model with the names it was given."""

    result: Any  # statsmodels RegressionResults
    rows: pd.DataFrame  # the analysed rows, original column names
    dv: str
    factors: list[str]
    covariates: list[str]
    levels: dict[str, list]
    names: dict[str, str]  # placeholder → original column name

    @property
    def df_resid(self) -> int:
        return int(round(self.result.df_resid))


def as_covariate_list(covariates) -> list[str]:
    if covariates is None:
        return []
    return [covariates] if isinstance(covariates, str) else list(covariates)


def checked_rows(data, dv: str, between, covariates=None) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Rows complete in ``dv``, the factors and the covariates, checked for a fittable model."""
    require_frame(data)
    factors, covs = as_factor_list(between), as_covariate_list(covariates)
    overlap = set(covs) & {dv, *factors}
    if overlap:
        raise AnalysisError(
            f"Column '{sorted(overlap)[0]}' is given both as a covariate and as the outcome or a factor."
        )
    require_columns(data, [dv, *factors, *covs])
    for column in [dv, *covs]:
        require_numeric(data, column)
    rows = complete_rows(data, dv, [*factors, *covs])
    if rows.empty:
        raise AnalysisError(
            f"No row has values of '{dv}' and of every factor and covariate ({', '.join(factors + covs)})."
        )
    require_two_levels(rows, dv, factors)
    require_full_factorial(rows, dv, factors)
    for cov in covs:
        if rows[cov].nunique() < 2:
            raise AnalysisError(
                f"Covariate '{cov}' takes one value only among the analysed rows, so it cannot adjust anything."
            )
    n_cells = rows.groupby(factors, observed=True).ngroups
    n_params = n_cells + len(covs)
    if len(rows) <= n_params:
        raise AnalysisError(
            f"Too few participants with a value of '{dv}': {len(rows)} for a model with {n_params} parameters "
            f"({n_cells} cells{f' and {len(covs)} covariates' if covs else ''}); at least {n_params + 1} are needed."
        )
    return rows, factors, covs


def fit_linear(data, dv: str, between, covariates=None) -> LinearFit:
    """Fit ``dv ~ factors (all interactions, sum coding) + covariates`` by OLS."""
    import statsmodels.formula.api as smf

    rows, factors, covs = checked_rows(data, dv, between, covariates)
    levels = {f: levels_of(rows[f]) for f in factors}
    names, frame = {}, pd.DataFrame({"y": rows[dv].to_numpy(dtype=float)})
    for i, factor in enumerate(factors):
        names[f"f{i}"] = factor
        frame[f"f{i}"] = pd.Categorical(
            rows[factor].astype(str).to_numpy(), categories=[str(v) for v in levels[factor]]
        )
    for i, cov in enumerate(covs):
        names[f"z{i}"] = cov
        frame[f"z{i}"] = rows[cov].to_numpy(dtype=float)
    factor_terms = "*".join(f"C(f{i}, Sum)" for i in range(len(factors)))
    formula = "y ~ " + " + ".join([factor_terms, *[f"z{i}" for i in range(len(covs))]])
    result = smf.ols(formula, data=frame).fit()
    if result.df_resid < 1 or not np.isfinite(result.ssr) or result.ssr <= 1e-12 * max(1.0, float(frame["y"].var())):
        raise AnalysisError(f"Column '{dv}' leaves no error variance in this model, so nothing can be tested.")
    return LinearFit(result, rows, dv, factors, covs, levels, names)


def anova_table(fit: LinearFit, ss_type: int, robust: str | None = None) -> pd.DataFrame:
    """``Source, SS, DF, MS, F, p_unc, np2`` from statsmodels' anova_lm, names mapped back."""
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = sm.stats.anova_lm(fit.result, typ=ss_type, robust=robust)
    raw = raw.drop(index=[i for i in raw.index if i == "Intercept"])
    ss_resid = float(fit.result.ssr)
    rows = []
    for term, entry in raw.iterrows():
        is_resid = term == "Residual"
        ss = float(entry["sum_sq"]) if "sum_sq" in entry else np.nan
        df = int(round(entry["df"]))
        rows.append({
            "Source": "Residual" if is_resid else source_name(term, fit.names),
            "SS": ss, "DF": df, "MS": ss / df if df else np.nan,
            "F": np.nan if is_resid else float(entry["F"]),
            "p_unc": np.nan if is_resid else float(entry["PR(>F)"]),
            "np2": np.nan if is_resid else ss / (ss + ss_resid),
        })  # fmt: skip
    table = pd.DataFrame(rows)
    effects = table[table["Source"] != "Residual"]
    return pd.concat([effects, table[table["Source"] == "Residual"]], ignore_index=True)


def source_name(term: str, names: dict[str, str]) -> str:
    """``C(f0, Sum):C(f1, Sum)`` → ``warmth * competence``; ``z0`` → the covariate's name."""
    parts = []
    for part in term.split(":"):
        key = part[2:].split(",")[0] if part.startswith("C(") else part
        parts.append(names.get(key, part))
    return " * ".join(parts)


def cell_grid(fit: LinearFit) -> pd.DataFrame:
    """Every cell of the design, covariates at their sample means (as emmeans does by default)."""
    placeholders = [k for k in fit.names if k.startswith("f")]
    grid = pd.DataFrame(
        list(itertools.product(*[[str(v) for v in fit.levels[fit.names[p]]] for p in placeholders])),
        columns=placeholders,
    )
    for key, cov in fit.names.items():
        if key.startswith("z"):
            grid[key] = float(fit.rows[cov].mean())
    return grid


def cell_design(fit: LinearFit) -> tuple[pd.DataFrame, np.ndarray]:
    """The cell grid and its rows of the design matrix (one row per cell)."""
    from patsy import build_design_matrices

    grid = cell_grid(fit)
    for key in grid.columns:
        if key.startswith("f"):
            grid[key] = pd.Categorical(grid[key], categories=[str(v) for v in fit.levels[fit.names[key]]])
    data = fit.result.model.data
    # statsmodels ≥ 0.15 keeps patsy's DesignInfo as ``model_spec``; older ones as ``design_info``.
    spec = getattr(data, "model_spec", None) or data.design_info
    (matrix,) = build_design_matrices([spec], grid)
    return grid, np.asarray(matrix)


def linear_estimates(fit: LinearFit, weights: np.ndarray) -> pd.DataFrame:
    """Estimate, SE, t and p of each row of ``weights`` (L · beta) with the model's residual df."""
    from scipy import stats

    beta = np.asarray(fit.result.params)
    cov = np.asarray(fit.result.cov_params())
    est = weights @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", weights, cov, weights))
    t = est / se
    p = 2 * stats.t.sf(np.abs(t), fit.df_resid)
    return pd.DataFrame({"estimate": est, "se": se, "t": t, "p": p})


def wald_f(fit: LinearFit, weights: np.ndarray) -> tuple[float, int, float]:
    """Joint F test of ``weights · beta = 0`` against the pooled residual variance (emmeans joint_tests)."""
    from scipy import stats

    weights = _independent_rows(weights)
    beta = np.asarray(fit.result.params)
    cov = np.asarray(fit.result.cov_params())
    diff = weights @ beta
    q = weights.shape[0]
    f_value = float(diff @ np.linalg.solve(weights @ cov @ weights.T, diff) / q)
    return f_value, q, float(stats.f.sf(f_value, q, fit.df_resid))


def _independent_rows(weights: np.ndarray) -> np.ndarray:
    # Contrasts among k means have rank k - 1; a basis of their row space keeps the covariance
    # invertible, and the F test does not depend on which basis.
    _, singular, vt = np.linalg.svd(weights, full_matrices=False)
    return vt[singular > 1e-10 * max(1.0, float(singular.max()))]
