"""Pairwise comparisons, planned contrasts and interaction contrasts of (adjusted) marginal means, as emmeans.

One model is fitted (all the factors' interactions, plus covariates held at their means) and every
comparison is a linear combination of its cell means, tested against its residual variance:
``emmeans(lm(y ~ a * b + baseline), pairwise ~ a)``. A factor's marginal means average the cells
of the other factors with equal weights, as emmeans does.

Multiplicity. The family is the rows of one table (one call): Holm and Bonferroni adjust over
them (confidence intervals then use Bonferroni, as emmeans does, for Holm has none); Tukey is the
studentized range over the factor's k means (``ptukey(√2·|t|, k, df)``, emmeans' "tukey"); Dunnett
is the exact multivariate t of the comparisons with the control, with their actual correlations
(emmeans' ``adjust = "mvt"`` and multcomp's ``glht``); "dunnettx" is emmeans' default for
``trt.vs.ctrl``, its closed-form approximation (a Tukey–Šidák blend).

Every comparison also has Hedges' g, the difference standardised by the model's residual SD (for an
ANCOVA the covariate-adjusted SD), with the noncentral-t interval of effectsize
(:func:`placebolab.analysis.effect_sizes.contrast_hedges_g`).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from placebolab.analysis._linear import LinearFit, cell_design, fit_linear, linear_estimates
from placebolab.analysis._validate import as_factor_list
from placebolab.analysis.effect_sizes import contrast_hedges_g
from placebolab.errors import AnalysisError

PADJUST = ("holm", "tukey", "dunnett", "dunnettx", "bonferroni", "none")
PLANNED_PADJUST = ("holm", "bonferroni", "none")
CONTRAST_COLUMNS = [
    "effect", "contrast", "estimate", "se", "df", "t", "p_unc", "p_adj", "ci_low", "ci_high",
    "hedges_g", "g_ci_low", "g_ci_high",
]  # fmt: skip
MVT_POINTS = 50_000  # quasi-Monte-Carlo points per dimension of the multivariate t: about 4e-6 absolute error
MVT_SEED = 20261202  # fixed, so the same data always give the same Dunnett p values

_ADJUST_WORDS = {  # name, and how it is computed
    "holm": ("Holm", ""), "bonferroni": ("Bonferroni", ""), "none": ("not", ""),
    "tukey": ("Tukey", "studentized range"), "dunnett": ("Dunnett", "multivariate t"),
    "dunnettx": ("Dunnett", "emmeans' dunnettx approximation"),
}  # fmt: skip


def pairwise(
    data: pd.DataFrame,
    dv: str,
    between,
    covariates=None,
    padjust: str = "holm",
    control=None,
    effect: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Every pair of a factor's (adjusted) marginal means, or every level against a control.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant.
    dv : str
        Numeric outcome.
    between : str or list of str
        The model's factors (all interactions). For a multi-arm trial use the column that names
        each participant's arm (``cell`` in ``wide.csv``, which names arms outside the factorial too).
    covariates : str or list of str, optional
        Numeric covariates (ANCOVA, e.g. the baseline), held at their means.
    padjust : {"holm", "tukey", "dunnett", "dunnettx", "bonferroni", "none"}
        Multiplicity adjustment over the rows of the table (see the module's docstring). Tukey is
        for all pairs (no ``control``); Dunnett and dunnettx for comparisons with ``control``.
    control : str, optional
        Compare each other level with this one (``level − control``) instead of every pair.
    effect : str, optional
        The factor whose means are compared; needed when ``between`` has several.
    confidence : float
        Level of the (adjusted) intervals and of the interval of g.

    Returns
    -------
    pandas.DataFrame
        ``effect, contrast, estimate, se, df, t, p_unc, p_adj, ci_low, ci_high, hedges_g,
        g_ci_low, g_ci_high``; ``contrast`` reads ``"a − b"`` (first minus second level, in the
        order of the data's levels, as emmeans' ``pairwise``). ``attrs["family"]`` says which tests
        were adjusted together and how; ``attrs["intervals"]`` how the intervals are adjusted.

    Raises
    ------
    placebolab.errors.AnalysisError
        As :func:`placebolab.analysis.anova`; or an unknown ``padjust``, ``control`` or
        ``effect``; or Tukey with a control, Dunnett without one.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import pairwise
    >>> df = pd.DataFrame({"arm": list("aaabbbccc"), "y": [1.0, 2, 3, 3, 4, 5, 6, 7, 9]})
    >>> pairwise(df, "y", "arm", padjust="tukey")[["contrast", "estimate", "t", "p_adj"]].round(4)
      contrast  estimate       t   p_adj
    0    a − b   -2.0000 -2.0381  0.1839
    1    a − c   -5.3333 -5.4349  0.0039
    2    b − c   -3.3333 -3.3968  0.0336

    (R: ``pairs(emmeans(lm(y ~ arm, d), ~ arm), adjust = "tukey")``: t −2.038, −5.435, −3.397;
    p .1839, .0039, .0336.)
    """
    _require_padjust(padjust, PADJUST)
    fit = fit_linear(data, dv, between, covariates)
    effect = _effect(fit, effect)
    levels = [str(v) for v in fit.levels[effect]]
    means = _marginal_means(fit, effect)
    if control is None:
        if padjust in ("dunnett", "dunnettx"):
            raise AnalysisError(
                f"padjust={padjust!r} compares each level with a control: give control=, one of {', '.join(levels)}."
            )
        pairs = list(itertools.combinations(range(len(levels)), 2))
    else:
        if str(control) not in levels:
            raise AnalysisError(f"control {control!r} is not a level of '{effect}' ({', '.join(levels)}).")
        if padjust == "tukey":
            raise AnalysisError(
                "padjust='tukey' is for all pairs of means; with a control use 'dunnett' (or holm, bonferroni, none)."
            )
        ref = levels.index(str(control))
        pairs = [(i, ref) for i in range(len(levels)) if i != ref]
    weights = np.array([means[i] - means[j] for i, j in pairs])
    labels = [f"{levels[i]} − {levels[j]}" for i, j in pairs]
    what = f"pairs of the {len(levels)} {effect} means" if control is None else f"{effect} levels against {control}"
    return _table(fit, effect, labels, weights, padjust, confidence, len(levels), what)


def contrasts(
    data: pd.DataFrame,
    dv: str,
    between,
    comparisons,
    covariates=None,
    padjust: str = "holm",
    effect: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Planned comparisons of two (adjusted) marginal means each, e.g. ``["augmented - limited"]``.

    ``comparisons`` holds ``(a, b)`` pairs or strings ``"a - b"`` (``−`` also reads as minus) naming
    levels of ``effect`` (or of the one factor of ``between``); each is tested as ``a − b``. The
    other parameters and the result are those of :func:`pairwise`; ``padjust`` is one of holm,
    bonferroni or none over the listed comparisons (Tukey and Dunnett are for complete sets, use
    :func:`pairwise`).

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import contrasts
    >>> df = pd.DataFrame({"arm": list("aaabbbccc"), "y": [1.0, 2, 3, 3, 4, 5, 6, 7, 9]})
    >>> contrasts(df, "y", "arm", ["c - b", "b - a"])[["contrast", "estimate", "p_adj"]].round(4)
      contrast  estimate   p_adj
    0    c − b    3.3333  0.0291
    1    b − a    2.0000  0.0877

    (R: ``contrast(emm, list("c - b" = c(0, -1, 1), "b - a" = c(-1, 1, 0)), adjust = "holm")``:
    p .0291, .0877.)
    """
    _require_padjust(padjust, PLANNED_PADJUST)
    fit = fit_linear(data, dv, between, covariates)
    effect = _effect(fit, effect)
    levels = [str(v) for v in fit.levels[effect]]
    pairs = [split_comparison(c, levels) if isinstance(c, str) else tuple(map(str, c)) for c in comparisons]
    if not pairs:
        raise AnalysisError("No comparison given; list them as 'a - b'.")
    for a, b in pairs:
        for level in (a, b):
            if level not in levels:
                raise AnalysisError(f"'{level}' is not a level of '{effect}' ({', '.join(levels)}).")
        if a == b:
            raise AnalysisError(f"'{a} - {b}' compares a level with itself.")
    means = _marginal_means(fit, effect)
    weights = np.array([means[levels.index(a)] - means[levels.index(b)] for a, b in pairs])
    labels = [f"{a} − {b}" for a, b in pairs]
    what = f"planned comparisons of the {'cells and arms' if effect == 'cell' else effect} means"
    return _table(fit, effect, labels, weights, padjust, confidence, len(levels), what)


def interaction_contrasts(
    data: pd.DataFrame,
    dv: str,
    between,
    covariates=None,
    padjust: str = "holm",
    factors=None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Differences of differences in a two-factor interaction, e.g. 2 × 3: does warmth's effect differ between competence levels?

    Each row is a pair of the first factor's levels crossed with a pair of the second's:
    ``(warm − neutral) × (high − low)`` = (warm − neutral at high) − (warm − neutral at low), as
    ``contrast(emmeans(fit, ~ a * b), interaction = c("pairwise", "pairwise"))``. ``factors`` names
    the two factors (default: ``between``, which must then have two); ``padjust`` is holm,
    bonferroni or none over the table's rows. Columns as :func:`pairwise`, with ``effect``
    ``"a * b"``.
    """
    _require_padjust(padjust, PLANNED_PADJUST)
    fit = fit_linear(data, dv, between, covariates)
    pair = as_factor_list(factors) if factors is not None else fit.factors
    if len(pair) != 2 or any(f not in fit.factors for f in pair) or pair[0] == pair[1]:
        raise AnalysisError(
            f"Interaction contrasts need two distinct factors of the model ({', '.join(fit.factors)}); got {', '.join(pair)}."
        )
    grid, design = cell_design(fit)
    first, second = ([str(v) for v in fit.levels[f]] for f in pair)
    cell = {}
    for a, b in itertools.product(first, second):
        mask = _mask(fit, grid, {pair[0]: a, pair[1]: b})
        cell[a, b] = (mask / mask.sum()) @ design
    weights, labels = [], []
    for (i, j), (k, m) in itertools.product(itertools.combinations(first, 2), itertools.combinations(second, 2)):
        weights.append(cell[i, k] - cell[j, k] - cell[i, m] + cell[j, m])
        labels.append(f"({i} − {j}) × ({k} − {m})")
    what = f"{' × '.join(pair)} interaction contrasts"
    return _table(fit, " * ".join(pair), labels, np.array(weights), padjust, confidence, 0, what)


def split_comparison(text: str, levels: list[str]) -> tuple[str, str]:
    """``"augmented - limited"`` → ``("augmented", "limited")``; a level may itself contain a hyphen."""
    normal = str(text).replace("−", "-")
    splits = [
        (normal[:i].strip(), normal[i + 1 :].strip())
        for i, char in enumerate(normal)
        if char == "-" and normal[:i].strip() in levels and normal[i + 1 :].strip() in levels
    ]
    if len(splits) != 1:
        raise AnalysisError(f"Comparison '{text}' must read 'a - b' with a and b among {', '.join(levels)}.")
    return splits[0]


def _require_padjust(padjust: str, allowed) -> None:
    if padjust not in allowed:
        raise AnalysisError(f"padjust must be one of {', '.join(allowed)}, not {padjust!r}.")


def _effect(fit: LinearFit, effect: str | None) -> str:
    if effect is None:
        if len(fit.factors) > 1:
            raise AnalysisError(f"Name the factor whose means to compare: effect= one of {', '.join(fit.factors)}.")
        return fit.factors[0]
    if effect not in fit.factors:
        raise AnalysisError(f"effect '{effect}' is not a factor of the model ({', '.join(fit.factors)}).")
    return effect


def _mask(fit: LinearFit, grid: pd.DataFrame, at: dict) -> np.ndarray:
    keys = {name: key for key, name in fit.names.items() if key.startswith("f")}
    mask = np.ones(len(grid), dtype=bool)
    for factor, level in at.items():
        mask &= (grid[keys[factor]] == str(level)).to_numpy()
    return mask.astype(float)


def _marginal_means(fit: LinearFit, effect: str) -> list[np.ndarray]:
    """Rows of the design giving each level's mean over the other factors' cells, equally weighted."""
    grid, design = cell_design(fit)
    rows = []
    for level in fit.levels[effect]:
        mask = _mask(fit, grid, {effect: level})
        rows.append((mask / mask.sum()) @ design)
    return rows


def _table(fit, effect, labels, weights, padjust, confidence, n_means, what) -> pd.DataFrame:
    from scipy import stats

    est = linear_estimates(fit, weights)
    df, m = fit.df_resid, len(labels)
    t = est["t"].to_numpy()
    if padjust == "tukey":
        p_adj = stats.studentized_range.sf(np.sqrt(2) * np.abs(t), n_means, df)
        crit = stats.studentized_range.ppf(confidence, n_means, df) / np.sqrt(2)
    elif padjust in ("dunnett", "dunnettx") and m > 1:
        corr = _correlation(fit, weights)
        # A family's p is never below the comparison's own (this also absorbs the integration error near 0).
        p_adj = np.maximum([1 - _p_within(abs(x), corr, df, padjust) for x in t], est["p"].to_numpy())
        crit = _critical(confidence, corr, df, padjust)
    else:
        p_adj = _holm_like(est["p"].to_numpy(), padjust)
        level = confidence if padjust == "none" or m == 1 else 1 - (1 - confidence) / m
        crit = stats.t.ppf(1 - (1 - level) / 2, df)
    sigma = float(np.sqrt(fit.result.scale))
    sizes = [contrast_hedges_g(e, s, sigma, df, confidence) for e, s in zip(est["estimate"], est["se"], strict=True)]
    table = pd.DataFrame({
        "effect": effect, "contrast": labels, "estimate": est["estimate"], "se": est["se"], "df": df,
        "t": t, "p_unc": est["p"], "p_adj": np.minimum(p_adj, 1.0),
        "ci_low": est["estimate"] - crit * est["se"], "ci_high": est["estimate"] + crit * est["se"],
        "hedges_g": [g[0] for g in sizes], "g_ci_low": [g[1] for g in sizes], "g_ci_high": [g[2] for g in sizes],
    })  # fmt: skip
    table.attrs["family"] = family_sentence(padjust, m, what)
    table.attrs["intervals"] = _interval_sentence(padjust, m, confidence)
    return table[CONTRAST_COLUMNS]


def family_sentence(padjust: str, m: int, what: str) -> str:
    """``Tukey-adjusted (studentized range) over the 3 comparisons of this table (pairs of the 3 dose means)``."""
    if m == 1:
        return f"one comparison ({what}), not adjusted"
    if padjust == "none":
        return f"{m} comparisons ({what}), not adjusted for multiplicity"
    name, how = _ADJUST_WORDS[padjust]
    return f"{name}-adjusted{f' ({how})' if how else ''} over the {m} comparisons of this table ({what})"


def _interval_sentence(padjust: str, m: int, confidence: float) -> str:
    level = f"{confidence:.0%}"
    if padjust == "none" or m == 1:
        return f"{level} CIs, unadjusted"
    # Holm has no interval of its own: emmeans gives Bonferroni intervals with Holm p values.
    return f"simultaneous {level} CIs ({'Bonferroni' if padjust == 'holm' else _ADJUST_WORDS[padjust][0]})"


def _holm_like(p: np.ndarray, method: str) -> np.ndarray:
    if method == "none" or len(p) == 1:
        return p
    from statsmodels.stats.multitest import multipletests

    return multipletests(p, method=method)[1]


def _correlation(fit: LinearFit, weights: np.ndarray) -> np.ndarray:
    cov = weights @ np.asarray(fit.result.cov_params()) @ weights.T
    scale = np.sqrt(np.diag(cov))
    return cov / np.outer(scale, scale)


def _p_within(x: float, corr: np.ndarray, df: int, method: str) -> float:
    """P(max |T_i| ≤ x) for the comparisons' t statistics."""
    from scipy import stats

    k = len(corr)
    if method == "dunnettx":  # emmeans' .pdunnx: a blend of the studentized range and Šidák
        fam = (1 + np.sqrt(1 + 8 * k)) / 2
        tukey = stats.studentized_range.cdf(np.sqrt(2) * x, fam, df)
        sidak = stats.f.cdf(x**2, 1, df) ** k
        return float((k - 1) / k * tukey + (1 - (k - 1) / k) * sidak)
    dist = stats.multivariate_t(shape=corr, df=df)
    limit = np.full(k, x)
    return float(dist.cdf(limit, lower_limit=-limit, maxpts=MVT_POINTS * k, random_state=MVT_SEED))


def _critical(confidence: float, corr: np.ndarray, df: int, method: str) -> float:
    from scipy import optimize, stats

    low = stats.t.ppf(1 - (1 - confidence) / 2, df)
    high = stats.t.ppf(1 - (1 - confidence) / (2 * len(corr)), df) + 0.01  # between unadjusted and Bonferroni
    return float(optimize.brentq(lambda c: _p_within(c, corr, df, method) - confidence, low, high, xtol=1e-5))
