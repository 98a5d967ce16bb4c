"""Input checks shared by the analysis functions.

Each check raises :class:`placebolab.errors.AnalysisError` with one sentence that names the column
and says what is wrong, because the analyst reading it has only the exported tables at hand.
"""

from __future__ import annotations

import pandas as pd

from placebolab.errors import AnalysisError


def as_factor_list(between) -> list[str]:
    """Return ``between`` as a list of column names (a single name is allowed)."""
    if isinstance(between, str):
        return [between]
    factors = list(between) if between is not None else []
    if not factors:
        raise AnalysisError("No between-subjects factor given: pass one column name or a list of them.")
    if len(set(factors)) != len(factors):
        raise AnalysisError(f"The factors {factors} name a column twice; give each factor once.")
    return factors


def require_frame(data) -> None:
    if not isinstance(data, pd.DataFrame):
        raise AnalysisError(f"The data must be a pandas DataFrame, not {type(data).__name__}.")


def require_columns(data: pd.DataFrame, columns: list[str]) -> None:
    for column in columns:
        if column not in data.columns:
            known = ", ".join(map(str, data.columns[:12]))
            more = ", …" if len(data.columns) > 12 else ""
            raise AnalysisError(f"Column '{column}' is not in the data (columns: {known}{more}).")


def require_numeric(data: pd.DataFrame, column: str) -> None:
    series = data[column]
    # Booleans are numeric to pandas, but a flag is never a meaningful dependent variable.
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        example = series.dropna().iloc[0] if series.notna().any() else None
        raise AnalysisError(
            f"Column '{column}' must hold numbers, but it holds {series.dtype} values"
            + (f" such as {example!r}." if example is not None else ".")
        )
    if series.notna().sum() == 0:
        raise AnalysisError(f"Column '{column}' has no values (every row is empty).")


def complete_rows(data: pd.DataFrame, dv: str, factors: list[str]) -> pd.DataFrame:
    """Rows with a value for ``dv`` and a level for every factor; unused categories removed."""
    rows = data.loc[data[[dv, *factors]].notna().all(axis=1), [dv, *factors]]
    for factor in factors:
        if isinstance(rows[factor].dtype, pd.CategoricalDtype):
            # An unused category would otherwise become an empty cell of the design.
            rows[factor] = rows[factor].cat.remove_unused_categories()
    return rows


def levels_of(series: pd.Series) -> list:
    """Levels in their declared order (categorical) or sorted order of appearance otherwise."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    return sorted(series.dropna().unique().tolist(), key=str)


def require_two_levels(rows: pd.DataFrame, dv: str, factors: list[str]) -> None:
    for factor in factors:
        levels = levels_of(rows[factor])
        if len(levels) < 2:
            found = f"only the level {levels[0]!r}" if levels else "no level"
            raise AnalysisError(
                f"Factor '{factor}' has {found} among the rows with a value of '{dv}'; it needs at least two levels."
            )


def require_full_factorial(rows: pd.DataFrame, dv: str, factors: list[str]) -> None:
    if len(factors) < 2:
        return  # a single factor's levels are, by construction, the observed ones
    counts = rows.groupby(factors, observed=True).size()
    full = pd.MultiIndex.from_product([levels_of(rows[f]) for f in factors], names=factors)
    counts = counts.reindex(full, fill_value=0)
    empty = counts[counts == 0]
    if len(empty):
        cell = ", ".join(f"{f}={level}" for f, level in zip(factors, empty.index[0], strict=True))
        raise AnalysisError(
            f"The cell {cell} has no participant with a value of '{dv}'; every cell of the factorial design needs data."
        )
