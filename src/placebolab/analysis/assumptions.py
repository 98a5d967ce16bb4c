"""Assumption checks of a between-subjects ANOVA/ANCOVA, and a heteroscedasticity-robust alternative."""

from __future__ import annotations

import numpy as np
import pandas as pd

from placebolab.analysis._linear import anova_table, fit_linear, source_name

CHECK_COLUMNS = ["check", "statistic", "df1", "df2", "p_val", "ok", "note"]


def assumption_checks(data: pd.DataFrame, dv: str, between, covariates=None, alpha: float = 0.05) -> pd.DataFrame:
    """Test the assumptions of :func:`placebolab.analysis.anova` on the same model.

    Parameters
    ----------
    data, dv, between, covariates
        As :func:`placebolab.analysis.anova`.
    alpha : float
        A check with ``p_val < alpha`` is marked not ``ok`` (default .05).

    Returns
    -------
    pandas.DataFrame
        ``check, statistic, df1, df2, p_val, ok, note``; rows ``normality of residuals``
        (Shapiro–Wilk W on the model residuals), ``equal variances (Levene)`` (Levene's test on
        the residuals across cells, centred on the median as R's car::leveneTest) and, with
        covariates, ``homogeneity of regression slopes`` (F of the factors × covariate terms
        added to the model). When a check fails, ``note`` names the robust alternative
        (:func:`robust_anova`, HC3).

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import assumption_checks
    >>> df = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 5,
    ...                    "y": [1.0, 2.0, 3.0, 4.0, 5.0, 2.0, 3.0, 4.0, 5.0, 7.0]})
    >>> assumption_checks(df, "y", "g")[["check", "ok"]]
                            check    ok
    0    normality of residuals  True
    1  equal variances (Levene)  True
    """
    from scipy import stats

    fit = fit_linear(data, dv, between, covariates)
    resid = np.asarray(fit.result.resid)
    statistic, p_val = stats.shapiro(resid)
    rows = [_row("normality of residuals", statistic, p_val, np.nan, np.nan, alpha)]
    groups = [resid[idx] for idx in fit.rows.groupby(fit.factors, observed=True).indices.values()]
    levene = stats.levene(*groups, center="median")
    rows.append(_row("equal variances (Levene)", levene.statistic, levene.pvalue, len(groups) - 1,
                     len(resid) - len(groups), alpha))  # fmt: skip
    if any(c not in fit.categorical for c in fit.covariates):  # slopes exist for numeric covariates only
        rows.append(_slopes(data, dv, fit, alpha))
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def robust_anova(data: pd.DataFrame, dv: str, between, covariates=None, ss_type: int = 3) -> pd.DataFrame:
    """The ANOVA/ANCOVA table with HC3 heteroscedasticity-consistent Wald F tests.

    Same model and columns as :func:`placebolab.analysis.anova`, but ``F`` and ``p_unc`` use
    the HC3 covariance (MacKinnon & White, 1985; statsmodels ``anova_lm(robust="hc3")``), valid
    when cell variances differ. ``SS`` and ``np2`` are those of the ordinary model.
    """
    fit = fit_linear(data, dv, between, covariates)
    ordinary, robust = anova_table(fit, ss_type), anova_table(fit, ss_type, robust="hc3")
    robust = robust.set_index("Source").reindex(ordinary["Source"])
    ordinary["F"], ordinary["p_unc"] = robust["F"].to_numpy(), robust["p_unc"].to_numpy()
    return ordinary


def _row(check, statistic, p_val, df1, df2, alpha) -> dict:
    ok = bool(p_val >= alpha)
    note = "" if ok else "robust alternatives: HC3 tests (robust_anova), permutation p (permutation_anova)"
    return {
        "check": check,
        "statistic": float(statistic),
        "df1": df1,
        "df2": df2,
        "p_val": float(p_val),
        "ok": ok,
        "note": note,
    }


def _slopes(data, dv, fit, alpha) -> dict:
    """F test of the factor × covariate interactions (the ANCOVA's parallel-slopes assumption)."""
    import statsmodels.api as sm

    full = fit.result.model
    # Every cell its own slope: (all factor terms):covariate, i.e. the factors × covariate interactions.
    cells = "*".join(f"C({k}, Sum)" for k in fit.names if k.startswith("f"))
    extra = " + ".join(
        f"({cells}):{z}" for z, cov in fit.names.items() if z.startswith("z") and cov not in fit.categorical
    )
    import statsmodels.formula.api as smf

    wider = smf.ols(f"{full.formula} + {extra}", data=full.data.frame).fit()
    comparison = sm.stats.anova_lm(fit.result, wider)
    f_value, p_val = float(comparison["F"].iloc[1]), float(comparison["Pr(>F)"].iloc[1])
    row = _row(
        "homogeneity of regression slopes",
        f_value,
        p_val,
        int(comparison["df_diff"].iloc[1]),
        int(wider.df_resid),
        alpha,
    )
    if not row["ok"]:
        row["note"] = "slopes differ between cells: report the factor × covariate model or the change score"
    return row


def permutation_anova(
    data: pd.DataFrame, dv: str, between, covariates=None, n_perm: int = 5000, seed=None
) -> pd.DataFrame:
    """The type III ANOVA/ANCOVA with permutation p values (Freedman & Lane, 1983).

    For each effect, the residuals of the model without that effect are permuted, added back to
    its fitted values, and the full model's F of the effect is recomputed; ``p_perm`` is
    ``(1 + #{F* ≥ F}) / (n_perm + 1)``. No normality is assumed, and covariates and the other
    effects stay in the model (Anderson & Legendre, 1999, found Freedman–Lane the most reliable
    of the permutation schemes for partial tests).

    Parameters
    ----------
    data, dv, between, covariates
        As :func:`placebolab.analysis.anova`.
    n_perm : int
        Permutations per effect (default 5000; at least 100).
    seed : int or numpy.random.Generator, optional
        Makes the p values reproducible.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`placebolab.analysis.anova` (type III) plus ``p_perm``.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import permutation_anova
    >>> df = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 5,
    ...                    "y": [1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 5.0, 6.0, 7.0, 9.0]})
    >>> res = permutation_anova(df, "y", "g", n_perm=999, seed=1)
    >>> res.loc[0, "p_perm"] < 0.05
    np.True_
    """
    from placebolab.errors import AnalysisError

    if not isinstance(n_perm, int) or n_perm < 100:
        raise AnalysisError(f"n_perm must be a whole number of at least 100 permutations, not {n_perm!r}.")
    fit = fit_linear(data, dv, between, covariates)
    table = anova_table(fit, ss_type=3)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    design = np.asarray(fit.result.model.exog)
    y = np.asarray(fit.result.model.endog)
    spec = getattr(fit.result.model.data, "model_spec", None) or fit.result.model.data.design_info
    slices = {name: sl for name, sl in spec.term_name_slices.items() if name != "Intercept"}
    p_perm = {
        source_name(term, fit.names): _freedman_lane(design, y, columns, n_perm, rng)
        for term, columns in slices.items()
    }
    table["p_perm"] = table["Source"].map(p_perm).astype(float)  # the Residual row stays NaN
    return table


def _freedman_lane(design: np.ndarray, y: np.ndarray, columns: slice, n_perm: int, rng) -> float:
    keep = np.ones(design.shape[1], dtype=bool)
    keep[columns] = False
    reduced = design[:, keep]
    fitted_r = reduced @ np.linalg.lstsq(reduced, y, rcond=None)[0]
    resid_r = y - fitted_r
    # All permutations at once: one column per permuted outcome (n × n_perm).
    order = rng.permuted(np.tile(np.arange(len(y)), (n_perm, 1)), axis=1).T
    # y* = fitted_r + permuted residuals; fitted_r lies in both models' column spaces, so both residual
    # sums of squares of y* are those of the permuted residuals alone, ||e||² − ||Q'e||² (a permutation
    # keeps ||e||²): no n × n_perm matrix of outcomes or residuals is formed.
    q_full, q_reduced = np.linalg.qr(design)[0], np.linalg.qr(reduced)[0]
    total = float(resid_r @ resid_r)
    q, dof = columns.stop - columns.start, len(y) - np.linalg.matrix_rank(design)

    def f_of(outcomes):
        full = total - _squared_norms(q_full.T @ outcomes)
        return ((total - _squared_norms(q_reduced.T @ outcomes) - full) / q) / (full / dof)

    observed, permuted = f_of(resid_r[:, None])[0], f_of(resid_r[order])
    return float((1 + np.sum(permuted >= observed * (1 - 1e-12))) / (n_perm + 1))


def _squared_norms(columns: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->j", columns, columns)
