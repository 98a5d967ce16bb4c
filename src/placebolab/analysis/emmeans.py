"""Estimated marginal (adjusted) means and simple effects with the pooled error term, as emmeans does.

Both use the full factorial model (plus covariates held at their means) fitted once, so every
test uses that model's residual variance and degrees of freedom — as R's ``emmeans``
(``joint_tests(fit, by = …)``, ``pairs(emmeans(fit, ~ a | b))``) and JASP's simple main effects do —
rather than refitting a one-way model inside each level.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from placebolab.analysis._linear import cell_design, fit_linear, linear_estimates, wald_f
from placebolab.analysis._validate import as_factor_list
from placebolab.errors import AnalysisError

SIMPLE_COLUMNS = ["effect", "contrast", "estimate", "se", "DF1", "DF2", "F", "t", "p_unc", "p_adj", "ci_low", "ci_high"]
PADJUST = ("holm", "bonferroni", "none")


def estimated_marginal_means(
    data: pd.DataFrame, dv: str, between, covariates=None, specs=None, confidence: float = 0.95
) -> pd.DataFrame:
    """Adjusted (estimated marginal) means of ``dv`` with t confidence intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant.
    dv : str
        Numeric outcome.
    between : str or list of str
        The model's factors (all interactions included).
    covariates : str or list of str, optional
        Numeric covariates, held at their sample mean (emmeans' default).
    specs : str or list of str, optional
        The factor(s) whose means to show (default: all, i.e. one mean per cell). Means over a
        subset average the cells with equal weights, as emmeans does.
    confidence : float
        Level of the intervals (default 0.95), on the model's residual degrees of freedom.

    Returns
    -------
    pandas.DataFrame
        One column per factor in ``specs``, then ``emmean, se, df, ci_low, ci_high``.

    Raises
    ------
    placebolab.errors.AnalysisError
        As :func:`placebolab.analysis.anova`, or when ``specs`` names a column not in ``between``.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import estimated_marginal_means
    >>> df = pd.DataFrame({"warmth": ["warm"] * 4 + ["neutral"] * 4,
    ...                    "itch": [20.0, 35.0, 30.0, 45.0, 40.0, 45.0, 60.0, 55.0],
    ...                    "baseline": [30.0, 40.0, 35.0, 50.0, 42.0, 45.0, 58.0, 57.0]})
    >>> estimated_marginal_means(df, "itch", "warmth", covariates="baseline").round(2)
        warmth  emmean    se  df  ci_low  ci_high
    0  neutral   43.25  1.16   5   40.26    46.24
    1     warm   39.25  1.16   5   36.26    42.24
    """
    from scipy import stats

    fit = fit_linear(data, dv, between, covariates)
    shown = _specs(specs, fit.factors)
    grid, design = cell_design(fit)
    weights, labels = _averaging(fit, grid, shown)
    table = linear_estimates(fit, weights @ design)
    half = stats.t.ppf(1 - (1 - confidence) / 2, fit.df_resid) * table["se"]
    out = pd.DataFrame(labels, columns=shown)
    out["emmean"], out["se"], out["df"] = table["estimate"], table["se"], fit.df_resid
    out["ci_low"], out["ci_high"] = table["estimate"] - half, table["estimate"] + half
    return out


def simple_effects(
    data: pd.DataFrame, dv: str, between: str, by, covariates=None, padjust: str = "holm", confidence: float = 0.95
) -> pd.DataFrame:
    """The effect of one factor at each level of the others, tested against the pooled error term.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant.
    dv : str
        Numeric outcome.
    between : str
        The factor whose simple effects are tested (e.g. ``"warmth"``).
    by : str or list of str
        The factor(s) at whose levels it is tested (e.g. ``"competence"``). The model is the full
        factorial of ``between`` and ``by`` (plus ``covariates``), fitted once.
    covariates : str or list of str, optional
        Numeric covariates (ANCOVA), held at their means.
    padjust : {"holm", "bonferroni", "none"}
        Correction of ``p_adj`` over the family of tests of the same kind (default Holm).
    confidence : float
        Level of the interval of a two-level contrast.

    Returns
    -------
    pandas.DataFrame
        One column per ``by`` factor, then ``effect, contrast, estimate, se, DF1, DF2, F, t,
        p_unc, p_adj, ci_low, ci_high``. A two-level factor gets one row per level of ``by``:
        ``contrast`` ``"warm − neutral"`` (first level minus second), its adjusted difference,
        SE, t (``t² = F``) and CI. A factor with more levels gets a joint F row (``contrast``
        ``"joint"``) and one row per pair of levels.

    Raises
    ------
    placebolab.errors.AnalysisError
        As :func:`placebolab.analysis.anova`; or ``between`` is among ``by``; or ``padjust`` unknown.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import simple_effects
    >>> df = pd.DataFrame({"a": ["x", "x", "y", "y"] * 2, "b": ["p"] * 4 + ["q"] * 4,
    ...                    "score": [1.0, 2.0, 5.0, 6.0, 2.0, 3.0, 2.5, 3.5]})
    >>> simple_effects(df, "score", "a", by="b")[["b", "contrast", "estimate", "t", "DF2"]].round(2)
       b contrast  estimate     t  DF2
    0  p    x − y      -4.0 -5.66    4
    1  q    x − y      -0.5 -0.71    4
    """
    if padjust not in PADJUST:
        raise AnalysisError(f"padjust must be one of {', '.join(PADJUST)}, not {padjust!r}.")
    if not isinstance(between, str):
        raise AnalysisError(
            f"simple_effects tests one factor at a time; give 'between' as one column name, not {between!r}."
        )
    by_factors = as_factor_list(by)
    if between in by_factors:
        raise AnalysisError(f"Factor '{between}' is both the tested factor and a 'by' factor; give it once.")
    fit = fit_linear(data, dv, [between, *by_factors], covariates)
    grid, design = cell_design(fit)
    rows = []
    for by_levels in itertools.product(*[fit.levels[f] for f in by_factors]):
        rows += _effect_rows(fit, grid, design, between, dict(zip(by_factors, by_levels, strict=True)), confidence)
    table = pd.DataFrame(rows)
    table["p_adj"] = np.nan
    for _, family in table.groupby(table["contrast"] == "joint"):
        table.loc[family.index, "p_adj"] = _adjust(family["p_unc"].to_numpy(), padjust)
    return table[[*by_factors, *SIMPLE_COLUMNS]]


def _specs(specs, factors: list[str]) -> list[str]:
    shown = factors if specs is None else as_factor_list(specs)
    for name in shown:
        if name not in factors:
            raise AnalysisError(f"'{name}' in specs is not a factor of the model ({', '.join(factors)}).")
    return shown


def _placeholder(fit, factor: str) -> str:
    return next(key for key, name in fit.names.items() if name == factor and key.startswith("f"))


def _averaging(fit, grid: pd.DataFrame, shown: list[str], fixed: dict | None = None):
    """Rows of weights over the cell grid: each an equal-weight mean over the cells it covers."""
    fixed = fixed or {}
    weights, labels = [], []
    for levels in itertools.product(*[fit.levels[f] for f in shown]):
        mask = np.ones(len(grid), dtype=bool)
        for factor, level in [*zip(shown, levels, strict=True), *fixed.items()]:
            mask &= (grid[_placeholder(fit, factor)] == str(level)).to_numpy()
        weights.append(mask / mask.sum())
        labels.append(levels)
    return np.array(weights), labels


def _effect_rows(fit, grid, design, factor: str, at: dict, confidence: float) -> list[dict]:
    from scipy import stats

    means, levels = _averaging(fit, grid, [factor], at)
    levels = [lv[0] for lv in levels]
    base = {**at, "effect": factor, "DF2": fit.df_resid}
    pairs = list(itertools.combinations(range(len(levels)), 2))
    diffs = np.array([means[i] - means[j] for i, j in pairs]) @ design
    est = linear_estimates(fit, diffs)
    quantile = stats.t.ppf(1 - (1 - confidence) / 2, fit.df_resid)
    rows = []
    if len(levels) > 2:
        f_value, q, p = wald_f(fit, diffs)
        rows.append({**base, "contrast": "joint", "estimate": np.nan, "se": np.nan, "DF1": q, "F": f_value,
                     "t": np.nan, "p_unc": p, "ci_low": np.nan, "ci_high": np.nan})  # fmt: skip
    for (i, j), (_, e) in zip(pairs, est.iterrows(), strict=True):
        rows.append({
            **base, "contrast": f"{levels[i]} − {levels[j]}", "estimate": e["estimate"], "se": e["se"],
            "DF1": 1, "F": e["t"] ** 2, "t": e["t"], "p_unc": e["p"],
            "ci_low": e["estimate"] - quantile * e["se"], "ci_high": e["estimate"] + quantile * e["se"],
        })  # fmt: skip
    return rows


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    if method == "none":
        return p
    from statsmodels.stats.multitest import multipletests

    return multipletests(p, method=method)[1]
