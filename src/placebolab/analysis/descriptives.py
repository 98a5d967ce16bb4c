"""Cell descriptives: n, mean, SD, SE and a 95 % t confidence interval per cell."""

from __future__ import annotations

import numpy as np
import pandas as pd

from placebolab.analysis._validate import (
    as_factor_list,
    complete_rows,
    require_columns,
    require_frame,
    require_numeric,
)

DESCRIPTIVE_COLUMNS = ["n", "mean", "sd", "se", "ci_low", "ci_high"]


def cell_descriptives(data: pd.DataFrame, dv: str, between, confidence: float = 0.95) -> pd.DataFrame:
    """Describe ``dv`` in every cell of the between-subjects factors.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant.
    dv : str
        Numeric column to describe. Rows where it is missing are dropped.
    between : str or list of str
        Factor column(s); one row is returned per observed combination of their levels, in the
        categories' order when the factors are categorical, sorted otherwise.
    confidence : float
        Level of the t confidence interval around the mean (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One column per factor, then ``n, mean, sd, se, ci_low, ci_high``. ``sd`` is the sample
        standard deviation (ddof=1); ``se = sd / sqrt(n)``; the interval is
        ``mean ± t(1 - (1 - confidence) / 2, n - 1) * se``. With ``n == 1`` the spread columns are NaN.

    Raises
    ------
    placebolab.errors.AnalysisError
        If a column is missing, ``dv`` is not numeric or has no values.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import cell_descriptives
    >>> df = pd.DataFrame({"group": ["a", "a", "b", "b"], "itch": [10.0, 20.0, 30.0, 50.0]})
    >>> cell_descriptives(df, "itch", "group")[["group", "n", "mean", "sd"]]
      group  n  mean         sd
    0     a  2  15.0   7.071068
    1     b  2  40.0  14.142136
    """
    from scipy.stats import t as t_dist

    require_frame(data)
    factors = as_factor_list(between)
    require_columns(data, [dv, *factors])
    require_numeric(data, dv)
    rows = complete_rows(data, dv, factors)

    grouped = rows.groupby(factors, observed=True, sort=True)[dv]
    table = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    table["n"] = table["n"].astype(int)
    table["se"] = table["sd"] / np.sqrt(table["n"])
    dof = (table["n"] - 1).where(table["n"] > 1)  # NaN, not a t quantile with 0 df, for n == 1
    half_width = t_dist.ppf(1 - (1 - confidence) / 2, dof) * table["se"]
    table["ci_low"] = table["mean"] - half_width
    table["ci_high"] = table["mean"] + half_width
    return table[[*factors, *DESCRIPTIVE_COLUMNS]]
