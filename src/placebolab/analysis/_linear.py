"""The linear model behind ANCOVA, estimated marginal means and simple effects (statsmodels OLS).

Column names never enter a formula: factors and covariates are renamed to placeholders
(``f0, f1, …``, ``z0, …``) so that names with dots, '@' or quotes are safe, and mapped back after.
A covariate that is not numeric (a stratum such as sex) enters as a categorical main effect
(sum-to-zero coding); adjusted means average over its levels with equal weights, as emmeans does.
Factors use sum-to-zero coding (``C(f0, Sum)``), so type III tests each effect at the unweighted
mean of the other factors' levels, as SPSS, JASP, afex and car::Anova(type = 3) do.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
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
from placebolab.errors import AnalysisError, InternalError


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
    categorical: dict[str, list] = field(default_factory=dict)  # covariate → its levels, when categorical (a stratum)

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
    require_numeric(data, dv)
    for column in covs:
        if is_categorical(data[column]) and not _looks_numeric(data[column]):
            continue  # a stratum (sex, IBS subtype): entered as a categorical covariate
        require_numeric(data, column)  # numbers with a stray text value are a data error, not a stratum
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
    n_params = n_cells + sum(rows[c].nunique() - 1 if is_categorical(data[c]) else 1 for c in covs)
    if len(rows) <= n_params:
        raise AnalysisError(
            f"Too few participants with a value of '{dv}': {len(rows)} for a model with {n_params} parameters "
            f"({n_cells} cells{f' and {len(covs)} covariates' if covs else ''}); at least {n_params + 1} are needed."
        )
    return rows, factors, covs


def _looks_numeric(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return False  # declared categorical (e.g. a stratum coded 1, 2, 3)
    return bool(pd.to_numeric(series.dropna().astype(str), errors="coerce").notna().any())


def is_categorical(series: pd.Series) -> bool:
    """A covariate of text (or categorical) values: a stratum such as sex, not a measurement."""
    return not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


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
    categorical, terms = {}, []
    for i, cov in enumerate(covs):
        names[f"z{i}"] = cov
        if is_categorical(rows[cov]):
            categorical[cov] = sorted(str(v) for v in pd.unique(rows[cov]))
            frame[f"z{i}"] = pd.Categorical(rows[cov].astype(str).to_numpy(), categories=categorical[cov])
            terms.append(f"C(z{i}, Sum)")
        else:
            frame[f"z{i}"] = rows[cov].to_numpy(dtype=float)
            terms.append(f"z{i}")
    factor_terms = "*".join(f"C(f{i}, Sum)" for i in range(len(factors)))
    formula = "y ~ " + " + ".join([factor_terms, *terms])
    result = smf.ols(formula, data=frame).fit()
    if result.df_resid < 1 or not np.isfinite(result.ssr) or result.ssr <= 1e-12 * max(1.0, float(frame["y"].var())):
        raise AnalysisError(f"Column '{dv}' leaves no error variance in this model, so nothing can be tested.")
    return LinearFit(result, rows, dv, factors, covs, levels, names, categorical)


def anova_table(fit: LinearFit, ss_type: int, robust: str | None = None) -> pd.DataFrame:
    """``Source, SS, DF, MS, F, p_unc, np2`` from statsmodels' anova_lm, names mapped back.

    Type I with covariates enters the covariates first, then the factors and their interactions
    (as SPSS's GLM and R's ``anova(lm(y ~ baseline + a * b))``): each factor is then adjusted for the
    covariates. patsy would put numeric terms last, so those sums of squares are computed here.
    """
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if ss_type == 1 and fit.covariates and robust is None:
            raw = _type1_covariates_first(fit)
        else:
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
    # Covariates in the order given: first for type I (they are entered first), else after the factors.
    sources = list(table["Source"])
    covs = [sources.index(c) for c in fit.covariates if c in sources]
    factors = [i for i, s in enumerate(sources) if i not in covs and s != "Residual"]
    order = covs + factors if ss_type == 1 else factors + covs
    return table.iloc[[*order, sources.index("Residual")]].reset_index(drop=True)


def _type1_covariates_first(fit: LinearFit) -> pd.DataFrame:
    """Sequential sums of squares, covariates first, in anova_lm's shape (``sum_sq, df, F, PR(>F)``)."""
    from scipy import stats

    result = fit.result
    exog, y = np.asarray(result.model.exog), np.asarray(result.model.endog)
    slices = _design_info(result).term_name_slices
    covariates = sorted((t for t in slices if source_name(t, fit.names) in fit.covariates),
                        key=lambda t: fit.covariates.index(source_name(t, fit.names)))  # fmt: skip
    order = ["Intercept", *covariates, *[t for t in slices if t != "Intercept" and t not in covariates]]
    mse = float(result.ssr) / result.df_resid
    rows, columns = {}, []
    rss_before = None
    for term in order:
        columns += list(range(slices[term].start, slices[term].stop))
        rss = float(np.linalg.lstsq(exog[:, columns], y, rcond=None)[1].sum()) if len(y) > len(columns) else 0.0
        if term != "Intercept":
            if rss_before is None:
                raise InternalError("the intercept comes first")
            ss, df = rss_before - rss, slices[term].stop - slices[term].start
            rows[term] = {
                "sum_sq": ss,
                "df": df,
                "F": ss / df / mse,
                "PR(>F)": stats.f.sf(ss / df / mse, df, result.df_resid),
            }
        rss_before = rss
    rows["Residual"] = {"sum_sq": float(result.ssr), "df": result.df_resid, "F": np.nan, "PR(>F)": np.nan}
    return pd.DataFrame.from_dict(rows, orient="index")


def _design_info(result):
    data = result.model.data
    # statsmodels ≥ 0.15 keeps patsy's DesignInfo as ``model_spec``; older ones as ``design_info``.
    return getattr(data, "model_spec", None) or data.design_info


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
        if key.startswith("z") and cov not in fit.categorical:
            grid[key] = float(fit.rows[cov].mean())
    return grid


def cell_design(fit: LinearFit) -> tuple[pd.DataFrame, np.ndarray]:
    """The cell grid and its rows of the design matrix (one row per cell)."""
    from patsy import build_design_matrices

    grid = cell_grid(fit)
    for key in grid.columns:
        if key.startswith("f"):
            grid[key] = pd.Categorical(grid[key], categories=[str(v) for v in fit.levels[fit.names[key]]])
    spec = _design_info(fit.result)
    strata = [(key, cov) for key, cov in fit.names.items() if cov in fit.categorical]
    combos = list(itertools.product(*[fit.categorical[cov] for _, cov in strata])) or [()]
    matrices = []
    for combo in combos:  # each cell's row averaged over the strata's levels with equal weights (emmeans)
        at = grid.copy()
        for (key, cov), level in zip(strata, combo, strict=True):
            at[key] = pd.Categorical([level] * len(at), categories=fit.categorical[cov])
        (matrix,) = build_design_matrices([spec], at)
        matrices.append(np.asarray(matrix))
    return grid, np.mean(matrices, axis=0)


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
