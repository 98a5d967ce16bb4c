"""Assumption checks of a between-subjects ANOVA/ANCOVA, and a heteroscedasticity-robust alternative."""

from __future__ import annotations

import numpy as np
import pandas as pd

from placebolab.analysis._linear import anova_table, fit_linear

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
    rows = [_row("normality of residuals", *stats.shapiro(resid), np.nan, np.nan, alpha)]
    groups = [resid[idx] for idx in fit.rows.groupby(fit.factors, observed=True).indices.values()]
    levene = stats.levene(*groups, center="median")
    rows.append(_row("equal variances (Levene)", levene.statistic, levene.pvalue, len(groups) - 1,
                     len(resid) - len(groups), alpha))  # fmt: skip
    if fit.covariates:
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
    ordinary["F"], ordinary["p_unc"] = robust["F"].to_numpy(), robust["p_unc"].to_numpy()
    return ordinary


def _row(check, statistic, p_val, df1, df2, alpha) -> dict:
    ok = bool(p_val >= alpha)
    note = "" if ok else "robust alternative: HC3 standard errors (robust_anova)"
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
    extra = " + ".join(f"({cells}):{z}" for z in fit.names if z.startswith("z"))
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
