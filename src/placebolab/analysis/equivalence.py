"""Evidence for "no difference" between the two levels of a factor: equivalence tests and Bayes factors.

Both work on the contrast of a two-level factor in the outcome's model (first level minus second,
averaged over the other factors' levels, covariates at their mean; as ``pairs(emmeans(fit, ~ factor))``):

* **TOST** (two one-sided tests; Schuirmann 1987, Lakens 2017): the difference is shown to lie inside
  ``(−bound, bound)`` when both one-sided t tests reject at ``alpha``; equivalently the 1 − 2·alpha CI
  lies inside the bounds. A standardized bound (Cohen's d) is turned into raw units with the pooled
  within-cell SD of the outcome (the d_s denominator; JASP's equivalence t-test does the same).
* **JZS Bayes factor** (Rouder et al. 2009, eq. 1; JASP's default Cauchy prior r = √2/2 on the effect in
  SD units): computed from the contrast's t, its residual df and effective sample size
  n_eff = σ̂² / SE². With one factor and no covariate this is exactly JASP's Bayesian independent-samples
  t-test (BayesFactor::ttestBF, n_eff = n1·n2 / (n1 + n2)); with covariates or other factors it is the same
  test of the adjusted contrast, whose effect size is in units of the model's residual SD.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from placebolab.analysis._linear import cell_design, fit_linear, linear_estimates
from placebolab.analysis._validate import as_factor_list
from placebolab.errors import AnalysisError

JZS_SCALE = math.sqrt(2) / 2  # JASP's and BayesFactor's default ("medium") Cauchy prior scale

CONTRAST_COLUMNS = ["factor", "contrast", "estimate", "se", "df", "t", "n_eff", "sd_pooled"]


def two_level_contrasts(data: pd.DataFrame, dv: str, between, covariates=None) -> pd.DataFrame:
    """The contrast of each two-level factor of ``between`` in the model of ``dv`` (all interactions and
    the covariates): ``factor, contrast, estimate, se, df, t, n_eff, sd_pooled`` (``sd_pooled``: the
    pooled within-cell SD of ``dv``, which standardizes a bound given as Cohen's d)."""
    fit = fit_linear(data, dv, between, covariates)
    grid, design = cell_design(fit)
    sigma2 = float(fit.result.scale)
    within = fit.rows.groupby(fit.factors, observed=True)[dv]
    sd_pooled = math.sqrt(float((within.var(ddof=1) * (within.count() - 1)).sum()) / (len(fit.rows) - within.ngroups))
    rows = []
    for i, factor in enumerate(fit.factors):
        levels = fit.levels[factor]
        if len(levels) != 2:
            continue
        key = f"f{i}"
        means = [((grid[key] == str(level)).to_numpy() / (grid[key] == str(level)).sum()) for level in levels]
        estimate = linear_estimates(fit, np.array([means[0] - means[1]]) @ design).iloc[0]
        rows.append({
            "factor": factor, "contrast": f"{levels[0]} − {levels[1]}", "estimate": estimate["estimate"],
            "se": estimate["se"], "df": fit.df_resid, "t": estimate["t"], "n_eff": sigma2 / estimate["se"] ** 2,
            "sd_pooled": sd_pooled,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=CONTRAST_COLUMNS)


def tost(estimate: float, se: float, df: float, low: float, high: float, alpha: float = 0.05) -> dict:
    """Two one-sided t tests of ``low < difference < high``: ``t_low, p_low, t_high, p_high, p`` (the
    larger one-sided p) and the 1 − 2·alpha CI ``ci_low, ci_high``.

    Lakens (2017, SPPS 8:355; TOSTER's TOSTtwo.raw example) reports for Moery & Calin-Jageman (2016):
    M = 5.25 vs 5.22, SD 0.95 vs 0.83, n 95 vs 89, bounds ±0.384: t(182) = −2.69, p = 0.004.
    """
    from scipy import stats

    if not low < high:
        raise AnalysisError(f"The equivalence bounds must be low < high; got {low:g} and {high:g}.")
    t_low, t_high = (estimate - low) / se, (estimate - high) / se
    p_low, p_high = float(stats.t.sf(t_low, df)), float(stats.t.cdf(t_high, df))
    half = stats.t.ppf(1 - alpha, df) * se
    return {"t_low": t_low, "p_low": p_low, "t_high": t_high, "p_high": p_high, "p": max(p_low, p_high),
            "ci_low": estimate - half, "ci_high": estimate + half}  # fmt: skip


def jzs_bayes_factor(t: float, n_eff: float, df: float, r: float = JZS_SCALE) -> float:
    """BF10 of the JZS test (Rouder et al. 2009, eq. 1) from t, the effective n and the error df.

    Two independent samples: ``n_eff = n1·n2/(n1 + n2)``, ``df = n1 + n2 − 2`` (as
    ``pingouin.bayesfactor_ttest`` and ``BayesFactor::ttest.tstat``).
    """
    from scipy import integrate

    def integrand(g):
        spread = 1 + n_eff * g * r**2
        return (
            spread**-0.5 * (1 + t**2 / (spread * df)) ** (-(df + 1) / 2)
            * (2 * math.pi) ** -0.5 * g**-1.5 * math.exp(-1 / (2 * g))
        )  # fmt: skip

    alternative = integrate.quad(integrand, 0, np.inf, limit=200)[0]
    return float(alternative / (1 + t**2 / df) ** (-(df + 1) / 2))


def equivalence_tests(
    data: pd.DataFrame, dv: str, between, bound: float, standardized: bool = False, covariates=None,
    alpha: float = 0.05,
) -> pd.DataFrame:  # fmt: skip
    """TOST of each two-level factor of ``between``, bounds ``±bound`` (raw units, or Cohen's d when
    ``standardized``): ``factor, contrast, estimate, se, df, bound_raw, bound_d, t_low, p_low, t_high, p_high,
    p, ci_low, ci_high, equivalent`` (``ci_*`` the 1 − 2·alpha interval; ``equivalent``: p < alpha).

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import equivalence_tests
    >>> df = pd.DataFrame({"arm": ["a"] * 5 + ["b"] * 5, "pain": [40., 42, 38, 45, 41, 43, 39, 44, 40, 42]})
    >>> equivalence_tests(df, "pain", "arm", bound=5)[["contrast", "estimate", "ci_low", "ci_high", "p", "equivalent"]].round(3)
      contrast  estimate  ci_low  ci_high      p  equivalent
    0    a − b      -0.4  -3.158    2.358  0.007        True
    """
    if not bound > 0:
        raise AnalysisError(f"The equivalence bound must be positive (the test is of −bound to +bound); got {bound!r}.")
    contrasts = _two_level(data, dv, between, covariates)
    rows = []
    for _, c in contrasts.iterrows():
        raw = bound * c["sd_pooled"] if standardized else bound
        test = tost(c["estimate"], c["se"], c["df"], -raw, raw, alpha)
        rows.append({**c[["factor", "contrast", "estimate", "se", "df"]].to_dict(), "bound_raw": raw,
                     "bound_d": raw / c["sd_pooled"], **test, "equivalent": test["p"] < alpha})  # fmt: skip
    return pd.DataFrame(rows)


def bayes_factors(data: pd.DataFrame, dv: str, between, covariates=None, r: float = JZS_SCALE) -> pd.DataFrame:
    """JZS Bayes factor of each two-level factor of ``between``: ``factor, contrast, estimate, t, df, n_eff,
    r, bf10, bf01``.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import bayes_factors
    >>> df = pd.DataFrame({"arm": ["a"] * 5 + ["b"] * 5, "pain": [40., 42, 38, 45, 41, 43, 39, 44, 40, 42]})
    >>> bayes_factors(df, "pain", "arm")[["contrast", "t", "bf10", "bf01"]].round(3)
      contrast     t   bf10   bf01
    0    a − b -0.27  0.504  1.985
    """
    contrasts = _two_level(data, dv, between, covariates)
    bf10 = [jzs_bayes_factor(c["t"], c["n_eff"], c["df"], r) for _, c in contrasts.iterrows()]
    out = contrasts[["factor", "contrast", "estimate", "t", "df", "n_eff"]].copy()
    out["r"], out["bf10"] = r, bf10
    out["bf01"] = 1 / out["bf10"]
    return out


def _two_level(data, dv, between, covariates) -> pd.DataFrame:
    contrasts = two_level_contrasts(data, dv, between, covariates)
    if contrasts.empty:
        raise AnalysisError(
            f"None of the factors {', '.join(as_factor_list(between))} has two levels; equivalence tests and "
            "Bayes factors compare the two levels of a factor."
        )
    return contrasts
