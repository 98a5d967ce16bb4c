"""N-way between-subjects ANOVA (pingouin), with input checks and a stable output shape."""

from __future__ import annotations

import pandas as pd

from placebolab.analysis._linear import anova_table, as_covariate_list, fit_linear
from placebolab.analysis._validate import (
    as_factor_list,
    complete_rows,
    require_columns,
    require_frame,
    require_full_factorial,
    require_numeric,
    require_two_levels,
)
from placebolab.errors import AnalysisError

ANOVA_COLUMNS = ["Source", "SS", "DF", "MS", "F", "p_unc", "np2"]
SS_TYPES = (1, 2, 3)


def anova(data: pd.DataFrame, dv: str, between, covariates=None, ss_type: int = 3) -> pd.DataFrame:
    """Between-subjects ANOVA (ANCOVA with ``covariates``) of ``dv`` on one or more crossed factors.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant. Rows missing ``dv`` or a factor level are dropped.
    dv : str
        Numeric dependent variable.
    between : str or list of str
        Between-subjects factor column(s); all their interactions are included.
    covariates : str or list of str, optional
        Numeric covariate column(s), e.g. the baseline of the outcome: the model becomes an ANCOVA,
        ``dv ~ factors (all interactions, sum-to-zero coding) + covariates``, fitted by
        statsmodels OLS; each covariate gets a row of its own. Rows missing a covariate are
        dropped. Adjusted means: :func:`placebolab.analysis.estimated_marginal_means`.
    ss_type : {1, 2, 3}
        Type of sums of squares for unbalanced cells (default 3, as SPSS, JASP and jamovi do).
        Type III uses sum-to-zero contrasts, so each effect is tested at the unweighted mean of
        the other factors' levels. With equal cell sizes all three types agree.

    Returns
    -------
    pandas.DataFrame
        Columns ``Source, SS, DF, MS, F, p_unc, np2``: one row per effect (interactions named
        ``"warmth * competence"``) and a last row ``"Residual"``. ``np2`` is partial eta squared,
        ``SS / (SS + SS_residual)``; ``DF`` is an integer.

    Raises
    ------
    placebolab.errors.AnalysisError
        If a column is missing; ``dv`` is not numeric or empty; a factor has fewer than two levels;
        a cell of the factorial has no data; there are too few participants for a residual
        degree of freedom; the values do not vary within cells; or ``ss_type`` is not 1, 2 or 3.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import anova
    >>> df = pd.DataFrame({
    ...     "warmth": ["warm"] * 4 + ["neutral"] * 4,
    ...     "itch": [20.0, 35.0, 30.0, 45.0, 40.0, 45.0, 60.0, 55.0],
    ... })
    >>> anova(df, "itch", "warmth").round(3)
         Source     SS  DF       MS      F  p_unc    np2
    0    warmth  612.5   1  612.500  6.391  0.045  0.516
    1  Residual  575.0   6   95.833    NaN    NaN    NaN
    >>> df["baseline"] = [30.0, 40.0, 35.0, 50.0, 42.0, 45.0, 58.0, 57.0]
    >>> anova(df, "itch", "warmth", covariates="baseline").round(3)
         Source       SS  DF       MS       F  p_unc    np2
    0    warmth   19.239   1   19.239    4.723  0.082  0.486
    1  baseline  554.631   1  554.631  136.144  0.000  0.965
    2  Residual   20.369   5    4.074      NaN    NaN    NaN
    """
    if covariates is not None and as_covariate_list(covariates):
        if ss_type not in SS_TYPES:
            raise AnalysisError(f"ss_type must be 1, 2 or 3, not {ss_type!r}.")
        return anova_table(fit_linear(data, dv, between, covariates), ss_type)
    rows = _checked_rows(data, dv, between, ss_type)
    factors = as_factor_list(between)
    return _pingouin_anova(rows, dv, factors, ss_type)


def _checked_rows(data, dv: str, between, ss_type) -> pd.DataFrame:
    if ss_type not in SS_TYPES:
        raise AnalysisError(f"ss_type must be 1, 2 or 3, not {ss_type!r}.")
    require_frame(data)
    factors = as_factor_list(between)
    require_columns(data, [dv, *factors])
    require_numeric(data, dv)
    rows = complete_rows(data, dv, factors)
    require_two_levels(rows, dv, factors)
    require_full_factorial(rows, dv, factors)
    n_cells = rows.groupby(factors, observed=True).ngroups
    if len(rows) - n_cells < 1:
        raise AnalysisError(
            f"Too few participants with a value of '{dv}': {len(rows)} in {n_cells} cells leave no "
            "residual degree of freedom; at least one cell needs a second participant."
        )
    within = rows.groupby(factors, observed=True)[dv].transform("mean")
    if ((rows[dv] - within) ** 2).sum() == 0:
        raise AnalysisError(
            f"Column '{dv}' does not vary within any cell, so there is no error variance to test against."
        )
    return rows


def _pingouin_anova(rows: pd.DataFrame, dv: str, factors: list[str], ss_type: int) -> pd.DataFrame:
    import warnings

    import pingouin

    # Placeholder names keep arbitrary column names (dots, '@', '+', quotes) away from the
    # formula that pingouin/statsmodels build; the sources are mapped back afterwards.
    names = {f"f{i}": factor for i, factor in enumerate(factors)}
    model_data = pd.DataFrame({"y": rows[dv].to_numpy(dtype=float)})
    for placeholder, factor in names.items():
        model_data[placeholder] = rows[factor].astype(str).to_numpy()
    between = list(names) if len(names) > 1 else next(iter(names))
    with warnings.catch_warnings():
        # pingouin's own uses of deprecated pandas API are not the analyst's to act on.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="pingouin")
        table = pingouin.anova(data=model_data, dv="y", between=between, ss_type=ss_type, detailed=True)
    return _normalise(table, names)


def _normalise(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Give pingouin's table the same shape whatever the design and the pingouin version."""
    table = table.rename(columns={"p-unc": "p_unc", "ddof": "DF"})
    table["Source"] = [
        "Residual" if source in ("Within", "Residual") else " * ".join(names[p] for p in source.split(" * "))
        for source in table["Source"]
    ]
    table["DF"] = table["DF"].round().astype(int)
    return table.reindex(columns=ANOVA_COLUMNS).reset_index(drop=True)
