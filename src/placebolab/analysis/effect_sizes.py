"""Effect sizes with confidence intervals from noncentral distributions, as R's effectsize (0.8) computes them.

* Partial η² and partial ω² of each ANOVA/ANCOVA effect, with the interval of the noncentral F
  (Steiger 2004): the noncentralities λ at which the observed F is the upper and lower quantile of
  the noncentral F distribution, each turned into a bound λ / (λ + df2) (the η² of F = λ / df1), as
  ``effectsize:::.F_to_pve`` does. The default is effectsize's: ``alternative="greater"``, a
  one-sided 95 % interval ``[lower, 1]`` (its lower bound is that of the two-sided 90 % interval).
* Hedges' g of a contrast with the noncentral-t interval (``effectsize::hedges_g``'s method): the
  t of the contrast fixes the noncentrality bounds, which scale to g by ``se / σ``.

effectsize finds the noncentrality with ``optim``; here it is a root of the distribution function
(``brentq``), so the bounds agree with effectsize to its optimiser's tolerance (about 1e-6) and with
an exact ``uniroot`` in R to 1e-8.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from placebolab.errors import AnalysisError

EFFECT_SIZE_COLUMNS = ["Source", "np2", "np2_ci_low", "np2_ci_high", "omega2", "omega2_ci_low", "omega2_ci_high"]
ALTERNATIVES = ("greater", "two-sided")


def anova_effect_sizes(table: pd.DataFrame, confidence: float = 0.95, alternative: str = "greater") -> pd.DataFrame:
    """Partial η² and partial ω² with noncentral-F intervals for each effect of an ANOVA table.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`placebolab.analysis.anova` (``Source, SS, DF, …`` with a last row
        ``Residual``); covariate rows get their own sizes, as in effectsize.
    confidence : float
        Coverage of the interval (default 0.95).
    alternative : {"greater", "two-sided"}
        ``"greater"`` (effectsize's default): one-sided, the upper bound is 1. ``"two-sided"``:
        both bounds at ``(1 − confidence) / 2``.

    Returns
    -------
    pandas.DataFrame
        ``Source, np2, np2_ci_low, np2_ci_high, omega2, omega2_ci_low, omega2_ci_high``, one row
        per effect. ``omega2`` is partial ω² = (SS − df·MSE) / (SS + (N − df)·MSE), floored at 0
        (``effectsize::omega_squared(partial = TRUE)``; for one effect alone it is ω²). Its
        interval is the η² interval of the F that ω² implies, as effectsize computes it.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import anova
    >>> from placebolab.analysis.effect_sizes import anova_effect_sizes
    >>> df = pd.DataFrame({"g": list("aaabbbccc"), "y": [1.0, 2, 3, 3, 4, 5, 6, 7, 9]})
    >>> anova_effect_sizes(anova(df, "y", "g")).round(3)
      Source    np2  np2_ci_low  np2_ci_high  omega2  omega2_ci_low  omega2_ci_high
    0      g  0.834       0.433          1.0   0.758          0.233             1.0

    (R: ``eta_squared(lm(y ~ g, d))`` 0.834043, 95% CI [0.433461, 1]; ``omega_squared(…)`` 0.757764,
    [0.232623, 1].)
    """
    if alternative not in ALTERNATIVES:
        raise AnalysisError(f"alternative must be one of {', '.join(ALTERNATIVES)}, not {alternative!r}.")
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence must be between 0 and 1, not {confidence!r}.")
    residual = table[table["Source"] == "Residual"]
    if residual.empty:
        raise AnalysisError("The ANOVA table has no 'Residual' row, so no effect size can be computed.")
    ss_error, df_error = float(residual["SS"].iloc[0]), int(residual["DF"].iloc[0])
    ms_error = ss_error / df_error
    n = int(table["DF"].sum()) + 1  # observations: every degree of freedom plus the intercept's
    rows = []
    for _, row in table[table["Source"] != "Residual"].iterrows():
        ss, df = float(row["SS"]), int(row["DF"])
        np2 = ss / (ss + ss_error)
        omega2 = max(0.0, (ss - df * ms_error) / (ss + (n - df) * ms_error))
        rows.append({
            "Source": row["Source"], "np2": np2,
            **dict(zip(["np2_ci_low", "np2_ci_high"], pve_interval(np2, df, df_error, confidence, alternative), strict=True)),
            "omega2": omega2,
            **dict(zip(["omega2_ci_low", "omega2_ci_high"], pve_interval(omega2, df, df_error, confidence, alternative), strict=True)),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=EFFECT_SIZE_COLUMNS)


def pve_interval(es: float, df: int, df_error: int, confidence: float, alternative: str) -> tuple[float, float]:
    """The interval of a proportion of variance explained, via the F it implies (effectsize ``.F_to_pve``)."""
    es = max(0.0, es)
    f = (es / df) / ((1 - es) / df_error) if es < 1 else np.inf
    level = confidence if alternative == "two-sided" else 2 * confidence - 1
    low, high = (lam / df for lam in ncp_f_interval(f, df, df_error, level))
    bounds = [lo_hi * df / (lo_hi * df + df_error) for lo_hi in (low, high)]
    if alternative == "greater":
        bounds[1] = 1.0
    return bounds[0], bounds[1]


def ncp_f_interval(f: float, df1: int, df2: int, level: float) -> tuple[float, float]:
    """Noncentralities λ with ``P(F ≤ f; λ) = 1 − α/2`` (lower) and ``α/2`` (upper); 0 where none is positive."""
    from scipy import stats

    alpha = 1 - level
    if not np.isfinite(f):
        return np.inf, np.inf
    return (
        _root_in_ncp(lambda lam: stats.ncf.cdf(f, df1, df2, lam) - (1 - alpha / 2), f * df1),
        _root_in_ncp(lambda lam: stats.ncf.cdf(f, df1, df2, lam) - alpha / 2, f * df1),
    )


def _root_in_ncp(excess, guess: float) -> float:
    """The λ ≥ 0 where the (decreasing in λ) ``excess`` crosses 0; 0 if it is already ≤ 0 at λ = 0."""
    from scipy import optimize

    if excess(0.0) <= 0:
        return 0.0
    high = max(1.0, 2 * guess)
    while excess(high) > 0:
        high *= 2
    return float(optimize.brentq(excess, 0.0, high, xtol=1e-12, rtol=1e-12))


def ncp_t_interval(t: float, df: float, confidence: float = 0.95) -> tuple[float, float]:
    """Noncentralities δ with ``P(T ≤ t; δ) = 1 − α/2`` and ``α/2`` (``effectsize:::.get_ncp_t``)."""
    from scipy import optimize, stats

    alpha = 1 - confidence

    def bound(p: float) -> float:
        excess = lambda d: stats.nct.cdf(t, df, d) - p  # noqa: E731 (decreasing in d)
        low, high = t - 1.0, t + 1.0
        while excess(low) < 0:
            low -= 2 * (t - low) if low < t else 1.0
        while excess(high) > 0:
            high += 2 * (high - t) if high > t else 1.0
        return float(optimize.brentq(excess, low, high, xtol=1e-12, rtol=1e-12))

    return bound(1 - alpha / 2), bound(alpha / 2)


def hedges_correction(df: float) -> float:
    """Hedges' small-sample factor J = Γ(df/2) / (√(df/2) Γ((df−1)/2)), as effectsize applies it."""
    from scipy.special import gammaln

    return float(np.exp(gammaln(df / 2) - np.log(np.sqrt(df / 2)) - gammaln((df - 1) / 2)))


def contrast_hedges_g(
    estimate: float, se: float, sigma: float, df: float, confidence: float = 0.95
) -> tuple[float, float, float]:
    """``(g, ci_low, ci_high)`` of a contrast standardised by the model's residual SD ``sigma``.

    d = estimate / σ; the contrast's t = estimate / se is noncentral t with δ = d · σ / se, so the
    noncentral-t bounds of δ scale to d by se / σ; all three are multiplied by J(df). For two
    groups without covariates this is ``effectsize::hedges_g(y ~ group)`` exactly.
    """
    scale = se / sigma
    low, high = ncp_t_interval(estimate / se, df, confidence)
    j = hedges_correction(df)
    return j * estimate / sigma, j * low * scale, j * high * scale
