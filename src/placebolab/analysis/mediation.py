"""Mediation (and moderated mediation) by OLS paths with a percentile bootstrap of the indirect effect."""

from __future__ import annotations

import numpy as np
import pandas as pd

from placebolab.analysis._linear import as_covariate_list
from placebolab.analysis._validate import levels_of, require_columns, require_frame, require_numeric
from placebolab.errors import AnalysisError

MEDIATION_COLUMNS = ["path", "label", "coef", "se", "p_val", "ci_low", "ci_high", "sig"]


def mediation(
    data: pd.DataFrame, x: str, m: str, y: str, covariates=None, moderator: str | None = None,
    n_boot: int = 5000, seed=None, alpha: float = 0.05,
) -> pd.DataFrame:  # fmt: skip
    """Does ``m`` carry the effect of ``x`` on ``y``? Paths a, b, c, c′ and the indirect effect a·b.

    Models (ordinary least squares, Hayes' PROCESS model 4; model 7 with ``moderator``)::

        m = i1 + a·x [+ a_w·w + a_xw·x·w] + covariates       (path a)
        y = i2 + c′·x + b·m + covariates                        (paths c′ and b)
        y = i3 + c·x + covariates                               (total effect c = c′ + a·b)

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant; rows missing any used column are left out.
    x : str
        The manipulated factor (two levels, coded 1 for its first level and 0 for the second,
        e.g. competence high = 1, low = 0) or a numeric column.
    m, y : str
        Numeric mediator (e.g. ``expectancy.expectancy``) and outcome (e.g. ``itch_post``).
    covariates : str or list of str, optional
        Adjusted for in every model; a two-level factor is coded 1/0 as ``x`` is.
    moderator : str, optional
        A two-level factor or numeric column ``w`` moderating path a (e.g. warmth moderating the
        competence → expectancy path): adds conditional indirect effects at each level of ``w``
        (or at mean ± 1 SD) and the index of moderated mediation ``a_xw · b`` (Hayes, 2015).
    n_boot : int
        Bootstrap resamples of participants for the CIs of indirect effects (default 5000).
    seed : int or numpy.random.Generator, optional
        Makes the bootstrap reproducible.
    alpha : float
        1 − confidence of the intervals (default 0.05 → 95 %).

    Returns
    -------
    pandas.DataFrame
        ``path, label, coef, se, p_val, ci_low, ci_high, sig``. ``path`` is ``a``, ``b``, ``c``,
        ``c'``, ``indirect`` (then ``a*w``, ``indirect | w=…`` and ``index`` with a moderator).
        Paths a, b, c, c′ have OLS standard errors, t-test p values and t intervals; indirect
        effects have the bootstrap SD as ``se``, percentile bootstrap CIs and no p value.
        ``sig`` says whether the interval excludes 0.

    Raises
    ------
    placebolab.errors.AnalysisError
        If a column is missing or not numeric, a factor does not have exactly two levels, or
        there are too few complete rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from placebolab.analysis import mediation
    >>> rng = np.random.default_rng(1)
    >>> x = np.repeat(["high", "low"], 50)
    >>> m = np.where(x == "high", 1.0, 0.0) + rng.normal(size=100)
    >>> df = pd.DataFrame({"competence": pd.Categorical(x, ["high", "low"]), "expectancy": m,
    ...                    "itch": -2.0 * m + rng.normal(size=100)})
    >>> res = mediation(df, "competence", "expectancy", "itch", n_boot=500, seed=1)
    >>> res[["path", "coef"]].round(2)
           path  coef
    0         a  1.08
    1         b -2.03
    2         c -2.20
    3        c' -0.01
    4  indirect -2.18
    """
    if not isinstance(n_boot, int) or n_boot < 100:
        raise AnalysisError(f"n_boot must be a whole number of at least 100 resamples, not {n_boot!r}.")
    covs = as_covariate_list(covariates)
    frame = _coded(data, x, m, y, covs, moderator)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    w_levels = None
    if moderator and not pd.api.types.is_numeric_dtype(data[moderator]):
        w_levels = levels_of(data.loc[frame.index, moderator])
    return _paths(frame, x, m, y, covs, moderator, n_boot, rng, alpha, w_levels)


def _coded(data, x, m, y, covs, moderator) -> pd.DataFrame:
    require_frame(data)
    columns = [x, m, y, *covs, *([moderator] if moderator else [])]
    require_columns(data, columns)
    if len(set(columns)) != len(columns):
        raise AnalysisError(
            f"The columns {columns} name one column twice; x, m, y, covariates and moderator must differ."
        )
    for column in (m, y):
        require_numeric(data, column)
    rows = data[columns].dropna()
    coded = pd.DataFrame(index=rows.index)
    for column in columns:
        coded[column] = _code(rows[column], column)
    if len(coded) < len(columns) + 3:
        raise AnalysisError(f"Too few complete rows ({len(coded)}) of {', '.join(columns)} for a mediation analysis.")
    return coded


def _code(series: pd.Series, column: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        if series.nunique() < 2:
            raise AnalysisError(f"Column '{column}' takes one value only, so it cannot predict anything.")
        return series.astype(float)
    levels = levels_of(series)
    if len(levels) != 2:
        raise AnalysisError(
            f"Column '{column}' has {len(levels)} level(s) ({', '.join(map(str, levels))}); mediation codes a factor "
            "as 1 (first level) vs 0 (second), so it needs exactly two."
        )
    return (series == levels[0]).astype(float)


def _ols(design: np.ndarray, target: np.ndarray):
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    resid = target - design @ coef
    dof = design.shape[0] - design.shape[1]
    cov = (resid @ resid / dof) * np.linalg.pinv(design.T @ design)
    return coef, np.sqrt(np.diag(cov)), dof


def _designs(frame: pd.DataFrame, x, m, covs, moderator) -> dict:
    ones = np.ones(len(frame))
    base = [frame[c].to_numpy() for c in covs]
    a_cols = [ones, frame[x].to_numpy()]
    if moderator:
        w = frame[moderator].to_numpy()
        a_cols += [w, frame[x].to_numpy() * w]
    return {
        "a": np.column_stack(a_cols + base),
        "b": np.column_stack([ones, frame[x].to_numpy(), frame[m].to_numpy()] + base),
        "c": np.column_stack([ones, frame[x].to_numpy()] + base),
    }


def _paths(frame, x, m, y, covs, moderator, n_boot, rng, alpha, w_levels=None) -> pd.DataFrame:
    from scipy import stats

    designs = _designs(frame, x, m, covs, moderator)
    mv, yv = frame[m].to_numpy(), frame[y].to_numpy()
    fits = {"a": _ols(designs["a"], mv), "b": _ols(designs["b"], yv), "c": _ols(designs["c"], yv)}
    rows = []

    def coefficient(path, label, model, index):
        coef, se, dof = fits[model]
        t = coef[index] / se[index]
        half = stats.t.ppf(1 - alpha / 2, dof) * se[index]
        rows.append({"path": path, "label": label, "coef": coef[index], "se": se[index],
                     "p_val": 2 * stats.t.sf(abs(t), dof), "ci_low": coef[index] - half, "ci_high": coef[index] + half})  # fmt: skip

    coefficient("a", f"{x} → {m}", "a", 1)
    coefficient("b", f"{m} → {y} (controlling {x})", "b", 2)
    coefficient("c", f"{x} → {y} (total)", "c", 1)
    coefficient("c'", f"{x} → {y} (direct, controlling {m})", "b", 1)
    if moderator:
        coefficient("a*w", f"{x} × {moderator} → {m}", "a", 3)
    boot = _bootstrap(designs, mv, yv, n_boot, rng)
    for path, label, point, draws in _indirect_effects(frame, fits, boot, (x, m, y), moderator, w_levels):
        low, high = np.nanpercentile(draws, [100 * alpha / 2, 100 * (1 - alpha / 2)])
        rows.append({"path": path, "label": label, "coef": point, "se": float(np.nanstd(draws, ddof=1)),
                     "p_val": np.nan, "ci_low": low, "ci_high": high})  # fmt: skip
    table = pd.DataFrame(rows)
    table["sig"] = (table["ci_low"] > 0) | (table["ci_high"] < 0)
    return table[MEDIATION_COLUMNS]


def _bootstrap(designs: dict, mv, yv, n_boot: int, rng) -> dict:
    """Coefficients of models a and b in each resample (batched least squares).

    A resample is a count per participant (how often drawn), so its cross-products X'WX and X'Wy are one
    matrix product of the counts with each row's x xᵀ and x y: no resampled copy of the data is made.
    """
    n = len(mv)
    idx = rng.integers(0, n, size=(n_boot, n))
    counts = np.bincount((idx + n * np.arange(n_boot)[:, None]).ravel(), minlength=n_boot * n).reshape(n_boot, n)
    counts = counts.astype(float)
    out = {}
    for model, target in (("a", mv), ("b", yv)):
        x = designs[model]
        p = x.shape[1]
        xtx = (counts @ np.einsum("ij,ik->ijk", x, x).reshape(n, p * p)).reshape(n_boot, p, p)
        xty = counts @ (x * target[:, None])
        # A degenerate resample (e.g. one level of x only) gives NaN and is left out of the percentiles.
        ok = np.abs(np.linalg.det(xtx)) > 1e-10
        coef = np.full((n_boot, xtx.shape[1]), np.nan)
        coef[ok] = np.linalg.solve(xtx[ok], xty[ok][..., None])[..., 0]
        out[model] = coef
    return out


def _indirect_effects(frame, fits, boot, names, moderator, w_levels):
    x, m, y = names
    a, b = fits["a"][0], fits["b"][0][2]
    ab, bb = boot["a"], boot["b"][:, 2]
    if not moderator:
        yield "indirect", f"{x} → {m} → {y} (a·b)", a[1] * b, ab[:, 1] * bb
        return
    for label, w in _moderator_values(frame[moderator], moderator, w_levels):
        yield (
            f"indirect | {label}",
            f"indirect effect at {label}",
            (a[1] + a[3] * w) * b,
            (ab[:, 1] + ab[:, 3] * w) * bb,
        )
    yield "index", f"index of moderated mediation ({moderator})", a[3] * b, ab[:, 3] * bb


def _moderator_values(w: pd.Series, name: str, levels: list | None):
    if levels:  # a two-level factor, coded 1 for its first level
        return [(f"{name}={levels[0]}", 1.0), (f"{name}={levels[1]}", 0.0)]
    mean, sd = float(w.mean()), float(w.std(ddof=1))
    return [(f"{name}=mean−1SD", mean - sd), (f"{name}=mean", mean), (f"{name}=mean+1SD", mean + sd)]
