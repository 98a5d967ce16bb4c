"""Manipulation checks: did each manipulated factor move the rating meant to measure it?"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from placebolab.analysis._validate import (
    complete_rows,
    levels_of,
    require_columns,
    require_frame,
    require_numeric,
    require_two_levels,
)
from placebolab.errors import AnalysisError

CHECK_COLUMNS = [
    "measure", "factor", "test",
    "level_a", "mean_a", "sd_a", "n_a",
    "level_b", "mean_b", "sd_b", "n_b",
    "statistic", "df1", "df2", "p_val",
    "hedges_g", "g_ci_low", "g_ci_high", "np2",
]  # fmt: skip


def manipulation_checks(data: pd.DataFrame, checks, factors=None) -> pd.DataFrame:
    """Test each manipulation-check measure between the levels of the factor it checks.

    A two-level factor gets a Welch t-test (no equal-variance assumption) with Hedges' g and its
    95 % CI; a factor with more levels gets a one-way ANOVA with partial eta squared.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant.
    checks : list of dict
        Each ``{"measure": column, "factor": column}``, as in the codebook's analysis plan.
    factors : dict, optional
        ``{factor: [level, …]}``: the level order. ``level_a`` is the first level, so a positive
        ``hedges_g`` means the first level scored higher (e.g. ``warm`` rated warmer than
        ``neutral``). Without it, categorical order or sorted order is used.

    Returns
    -------
    pandas.DataFrame
        One row per check with columns ``measure, factor, test, level_a, mean_a, sd_a, n_a,
        level_b, mean_b, sd_b, n_b, statistic, df1, df2, p_val, hedges_g, g_ci_low, g_ci_high,
        np2``. ``test`` is ``"welch_t"`` (``statistic`` = t, ``df1`` = Welch df, ``df2`` NaN,
        ``np2`` NaN) or ``"anova"`` (``statistic`` = F with ``df1, df2``; the level and g columns
        are NaN). Rows missing the measure or the level are left out of that check.

    Raises
    ------
    placebolab.errors.AnalysisError
        If a column is missing, a measure is not numeric, or a factor has fewer than two levels.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import manipulation_checks
    >>> df = pd.DataFrame({"warmth": ["warm"] * 3 + ["neutral"] * 3,
    ...                    "check.warmth": [6.0, 7.0, 5.0, 3.0, 2.0, 4.0]})
    >>> res = manipulation_checks(df, [{"measure": "check.warmth", "factor": "warmth"}],
    ...                           {"warmth": ["warm", "neutral"]})
    >>> res[["level_a", "mean_a", "level_b", "mean_b", "statistic"]].round(3)
      level_a  mean_a  level_b  mean_b  statistic
    0    warm     6.0  neutral     3.0      3.674
    """
    require_frame(data)
    rows = [_one_check(data, check, factors or {}) for check in _checked_specs(checks)]
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def manipulation_checks_by_cell(data: pd.DataFrame, checks, factors: dict) -> pd.DataFrame:
    """Each manipulation check within each level of the other factors (did warmth work at both competence levels?).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant.
    checks : list of dict
        As :func:`manipulation_checks`.
    factors : dict
        ``{factor: [level, …]}`` of the design: the other factors of a check are those not checked.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`manipulation_checks` preceded by ``at`` (``"competence = high"``),
        one row per check and level combination of the other factors.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis.manipulation import manipulation_checks_by_cell
    >>> df = pd.DataFrame({"warmth": ["warm", "warm", "neutral", "neutral"] * 2,
    ...                    "competence": ["high"] * 4 + ["low"] * 4,
    ...                    "check.warmth": [6.0, 7.0, 3.0, 4.0, 5.0, 6.5, 3.5, 2.0]})
    >>> res = manipulation_checks_by_cell(df, [{"measure": "check.warmth", "factor": "warmth"}],
    ...                                   {"warmth": ["warm", "neutral"], "competence": ["high", "low"]})
    >>> res[["at", "mean_a", "mean_b"]]
                     at  mean_a  mean_b
    0  competence = high    6.50    3.50
    1   competence = low    5.75    2.75
    """
    require_frame(data)
    rows = []
    for check in _checked_specs(checks):
        others = [f for f in factors if f != check["factor"] and f in data.columns]
        require_columns(data, others)
        for levels in itertools.product(*[factors[f] for f in others]):
            mask = np.ones(len(data), dtype=bool)
            for factor, level in zip(others, levels, strict=True):
                mask &= (data[factor].astype(str) == str(level)).to_numpy()
            at = ", ".join(f"{f} = {lv}" for f, lv in zip(others, levels, strict=True))
            rows.append({"at": at, **_one_check(data.loc[mask], check, factors)})
    return pd.DataFrame(rows, columns=["at", *CHECK_COLUMNS])


def _checked_specs(checks) -> list[dict]:
    specs = list(checks or [])
    for spec in specs:
        if not isinstance(spec, dict) or not {"measure", "factor"} <= set(spec):
            raise AnalysisError(f"A manipulation check must name a 'measure' and a 'factor', not {spec!r}.")
    return specs


def _one_check(data: pd.DataFrame, check: dict, factors: dict) -> dict:
    measure, factor = check["measure"], check["factor"]
    require_columns(data, [measure, factor])
    require_numeric(data, measure)
    rows = complete_rows(data, measure, [factor])
    require_two_levels(rows, measure, [factor])
    levels = _ordered_levels(rows[factor], factors.get(factor))
    samples = [rows.loc[rows[factor] == level, measure].to_numpy(dtype=float) for level in levels]
    for level, sample in zip(levels, samples, strict=True):
        if len(sample) < 2:
            raise AnalysisError(
                f"Column '{measure}' has {len(sample)} value(s) at level {level!r} of '{factor}'; "
                "a manipulation check needs at least two per level."
            )
    result = {"measure": measure, "factor": factor}
    if len(levels) == 2:
        result |= _welch(levels, samples)
    else:
        result |= _oneway(rows, measure, factor)
    return result


def _ordered_levels(series: pd.Series, declared) -> list:
    observed = levels_of(series)
    if not declared:
        return observed
    # Declared order first; a level seen in the data but not declared still gets tested.
    return [lv for lv in declared if lv in observed] + [lv for lv in observed if lv not in declared]


def _welch(levels: list, samples: list[np.ndarray]) -> dict:
    import pingouin

    a, b = samples
    test = pingouin.ttest(a, b, correction=True).iloc[0]
    g = pingouin.compute_effsize(a, b, eftype="hedges")
    ci = pingouin.compute_esci(stat=g, nx=len(a), ny=len(b), eftype="hedges", decimals=12)
    return {
        "test": "welch_t",
        **_level_summary("a", levels[0], a),
        **_level_summary("b", levels[1], b),
        "statistic": float(test["T"]), "df1": float(test["dof"]), "df2": np.nan,
        "p_val": float(test["p_val"] if "p_val" in test else test["p-val"]),
        "hedges_g": float(g), "g_ci_low": float(ci[0]), "g_ci_high": float(ci[1]), "np2": np.nan,
    }  # fmt: skip


def _level_summary(suffix: str, level, values: np.ndarray) -> dict:
    return {
        f"level_{suffix}": level,
        f"mean_{suffix}": float(np.mean(values)),
        f"sd_{suffix}": float(np.std(values, ddof=1)),
        f"n_{suffix}": len(values),
    }


def _oneway(rows: pd.DataFrame, measure: str, factor: str) -> dict:
    from placebolab.analysis.anova import anova

    table = anova(rows, measure, factor)
    effect, residual = table.iloc[0], table.iloc[-1]
    return {
        "test": "anova",
        "statistic": effect["F"], "df1": float(effect["DF"]), "df2": float(residual["DF"]),
        "p_val": effect["p_unc"], "np2": effect["np2"],
    }  # fmt: skip
