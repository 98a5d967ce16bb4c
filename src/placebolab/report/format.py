"""APA-style number formatting for the report: F(1, 156) = 12.34, p < .001, ηp² = .07."""

from __future__ import annotations

import math

import pandas as pd

MISSING = "—"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def fmt_num(value, digits: int = 2) -> str:
    """A number with fixed decimals; an em dash when missing.

    Examples
    --------
    >>> fmt_num(3.14159), fmt_num(float("nan")), fmt_num(-0.001)
    ('3.14', '—', '0.00')
    """
    if _missing(value):
        return MISSING
    text = f"{float(value):.{digits}f}"
    # '-0.00' reads as a sign where there is none.
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def fmt_unit(value, digits: int = 2) -> str:
    """A number bounded by ±1 (p, ηp², r) without the leading zero, as APA asks.

    Examples
    --------
    >>> fmt_unit(0.0712), fmt_unit(0.5), fmt_unit(-0.25)
    ('.07', '.50', '-.25')
    """
    text = fmt_num(value, digits)
    return text.replace("0.", ".", 1) if text.lstrip("-").startswith("0.") else text


def fmt_int_or_num(value, digits: int = 2) -> str:
    """Whole degrees of freedom as integers, Welch-corrected ones with decimals.

    Examples
    --------
    >>> fmt_int_or_num(156.0), fmt_int_or_num(37.214)
    ('156', '37.21')
    """
    if _missing(value):
        return MISSING
    return str(int(round(value))) if float(value).is_integer() else fmt_num(value, digits)


def fmt_p(p, with_symbol: bool = True) -> str:
    """A p value the APA way: three decimals, no leading zero, ``< .001`` when smaller.

    Examples
    --------
    >>> fmt_p(0.00002), fmt_p(0.0344), fmt_p(0.6), fmt_p(0.0344, with_symbol=False)
    ('p < .001', 'p = .034', 'p = .600', '.034')
    """
    if _missing(p):
        return MISSING
    if p < 0.001:
        return "p < .001" if with_symbol else "< .001"
    value = fmt_unit(p, 3)
    return f"p = {value}" if with_symbol else value


def fmt_f(f_value, df1, df2) -> str:
    """``F(1, 156) = 12.34``.

    Examples
    --------
    >>> fmt_f(12.3449, 1, 156)
    'F(1, 156) = 12.34'
    """
    return f"F({fmt_int_or_num(df1)}, {fmt_int_or_num(df2)}) = {fmt_num(f_value)}"


def fmt_t(t_value, dof) -> str:
    """``t(37.21) = 3.10``.

    Examples
    --------
    >>> fmt_t(3.1, 37.214)
    't(37.21) = 3.10'
    """
    return f"t({fmt_int_or_num(dof)}) = {fmt_num(t_value)}"


def fmt_anova_effect(row, df_residual) -> str:
    """One ANOVA effect in a sentence: ``F(1, 156) = 12.34, p < .001, ηp² = .07``.

    Parameters
    ----------
    row : mapping
        A row of :func:`placebolab.analysis.anova` (``DF, F, p_unc, np2``).
    df_residual : int
        The residual degrees of freedom of the same table.

    Examples
    --------
    >>> fmt_anova_effect({"DF": 1, "F": 12.3449, "p_unc": 0.0006, "np2": 0.0733}, 156)
    'F(1, 156) = 12.34, p < .001, ηp² = .07'
    """
    return f"{fmt_f(row['F'], row['DF'], df_residual)}, {fmt_p(row['p_unc'])}, ηp² = {fmt_unit(row['np2'])}"


def fmt_ci(low, high, digits: int = 2) -> str:
    """``[0.12, 0.98]``.

    Examples
    --------
    >>> fmt_ci(0.123, 0.98)
    '[0.12, 0.98]'
    """
    return f"[{fmt_num(low, digits)}, {fmt_num(high, digits)}]"


def fmt_check(row) -> str:
    """A manipulation check in a sentence (Welch t with Hedges' g, or one-way F).

    Examples
    --------
    >>> fmt_check({"test": "welch_t", "statistic": 5.2, "df1": 77.6, "df2": float("nan"),
    ...            "p_val": 0.00001, "hedges_g": 1.15, "g_ci_low": 0.68, "g_ci_high": 1.62})
    't(77.60) = 5.20, p < .001, g = 1.15 [0.68, 1.62]'
    """
    if row["test"] == "welch_t":
        effect = f"g = {fmt_num(row['hedges_g'])} {fmt_ci(row['g_ci_low'], row['g_ci_high'])}"
        return f"{fmt_t(row['statistic'], row['df1'])}, {fmt_p(row['p_val'])}, {effect}"
    return f"{fmt_f(row['statistic'], row['df1'], row['df2'])}, {fmt_p(row['p_val'])}, ηp² = {fmt_unit(row['np2'])}"
