"""The analyses as terminal text: the primary ANOVA as a paper prints it, and the prepared scripts' tables.

``placebolab analyze`` prints :func:`print_anova_table`; ``placebolab analyze --show WHAT`` (what the
scripts in the top-level ``analysis/`` folder run) prints one analysis with the functions below.
"""

from __future__ import annotations

import pandas as pd

from placebolab.analysis.plan import OutcomeResult
from placebolab.analysis.suite import MediationResult, TimeCourseResult
from placebolab.errors import InternalError
from placebolab.report import format as fmt


def print_anova_table(primary: OutcomeResult) -> None:
    """The primary ANOVA as a paper would print it (APA rounding); nothing when it could not be run."""
    from rich.console import Console
    from rich.table import Table

    if primary.categorical is not None and primary.categorical.model is not None:
        _print_model_table(primary)
        return
    if primary.anova is None:
        return
    covariates = primary.covariates
    title = f"{'ANCOVA' if covariates else 'ANOVA'} of {primary.name}"
    table = Table(title=title + (f", adjusted for {', '.join(covariates)}" if covariates else ""))
    for heading in ("Source", "SS", "df", "MS", "F", "p", "ηp²"):
        table.add_column(heading, justify="left" if heading == "Source" else "right")
    for row in primary.anova.itertuples(index=False):
        cells = [fmt.fmt_num(row.SS), fmt.fmt_int_or_num(row.DF), fmt.fmt_num(row.MS), fmt.fmt_num(row.F)]
        cells += [fmt.fmt_p(row.p_unc, with_symbol=False), fmt.fmt_unit(row.np2)]
        table.add_row(row.Source.replace(" * ", " × "), *(" " if c == fmt.MISSING else c for c in cells))
    Console().print(table)


def _print_model_table(primary: OutcomeResult) -> None:
    """The likelihood-ratio tests of a binary or ordinal primary outcome's model."""
    from rich.console import Console
    from rich.table import Table

    result = primary.categorical
    if result is None or result.model is None:
        raise InternalError("called for a categorical outcome with its model")
    name = "Logistic regression" if result.measurement == "binary" else "Proportional-odds model"
    adjusted = f", adjusted for {', '.join(primary.covariates)}" if primary.covariates else ""
    table = Table(title=f"{name} of {primary.name}{adjusted}: likelihood-ratio tests")
    for heading in ("Source", "LR χ²", "df", "p"):
        table.add_column(heading, justify="left" if heading == "Source" else "right")
    for row in result.model.itertuples(index=False):
        table.add_row(row.Source.replace(" * ", " × "), fmt.fmt_num(row.chi2), str(row.DF), fmt.fmt_p(row.p, False))
    Console().print(table)


def print_primary(result: OutcomeResult) -> None:
    """Cell descriptives, the ANOVA (and adjusted means of an ANCOVA), then one APA line per effect; for a
    binary or ordinal outcome its distribution per cell, tests, model and odds ratios."""
    if result.categorical is not None:
        found = result.categorical
        print(f"Primary outcome: {result.name} ({result.label}), {found.measurement}\n")
        tables = [found.distribution, found.tests, found.model, found.odds_ratios]
        print("\n\n".join(_table(t) for t in tables if t is not None))
        if found.model_error:
            print(f"\nNot computed: {found.model_error}")
        return
    adjusted = f", adjusted for {', '.join(result.covariates)} (ANCOVA)" if result.covariates else ""
    print(f"Primary outcome: {result.name} ({result.label}){adjusted}\n")
    print(_table(result.descriptives))
    print()
    if result.anova is None:
        raise InternalError("primary_analysis raises when the ANOVA cannot be run")
    print(_table(result.anova))
    if result.covariates and result.emmeans is not None:
        print("\nAdjusted (estimated marginal) means:")
        print(_table(result.emmeans))
    df_residual = int(result.anova.iloc[-1]["DF"])
    print()
    for _, row in result.anova.iloc[:-1].iterrows():
        print(f"{row['Source']}: {fmt.fmt_anova_effect(row, df_residual)}")


def print_checks(table: pd.DataFrame) -> None:
    """The manipulation-check table, then one APA line per check."""
    if table.empty:
        print("The analysis plan lists no manipulation checks.")
        return
    print(_table(table))
    print()
    for _, row in table.iterrows():
        print(f"{row['measure']} by {row['factor']}: {fmt.fmt_check(row)}")


def print_time_course(course: TimeCourseResult) -> None:
    print(f"Time course of {course.outcome} over {', '.join(course.occasions)}\n\nMixed ANOVA:")
    print(_table(course.anova))
    model = course.mixed_model
    if model is None:
        print("\nLinear mixed model not fitted:", course.lmm_error)
        return
    slope = " and slope for time" if model.random_slope else ""
    singular = "; singular fit (a variance at 0 or a correlation at ±1)" if model.singular else ""
    print(f"\nLinear mixed model (REML, random intercept{slope} per participant; {model.ddf.title()} df{singular}):")
    print(_table(model.anova))
    print(f"\nVariance components (ICC {model.icc:.3f}):")
    print(_table(model.variance))
    print("\nModel-based means:")
    print(_table(model.emmeans))


def print_mediations(results: list[MediationResult]) -> None:
    if not results:
        print("The analysis plan lists no mediation analysis.")
    for result in results:
        spec = result.spec
        moderator = f" (moderator {spec['moderator']})" if spec.get("moderator") else ""
        print(f"{spec['x']} → {spec['m']} → {spec['y']}{moderator}")
        print(_table(result.table) if result.error is None else f"not analysed: {result.error}")
        print()


def _table(table: pd.DataFrame) -> str:
    with pd.option_context("display.width", 200, "display.max_columns", None):
        return table.round(4).to_string(index=False)
