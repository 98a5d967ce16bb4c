"""The bodies of the prepared scripts in the top-level ``analysis/`` folder.

Each script is ``python analysis/<name>.py experiments/NAME``: it reads ``experiments/NAME/export/``
and, on a :class:`~placebolab.errors.PlaceboLabError`, prints one line and exits with the error's
code (4 when the export is missing, 7 for data that cannot be analysed), never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from placebolab.errors import PlaceboLabError


def primary_anova_main(argv=None) -> int:
    """Print the cell descriptives and the ANOVA of the primary outcome."""
    parser = _parser("Descriptives and between-subjects ANOVA of the primary outcome.")
    _add_ss_type(parser)
    args = parser.parse_args(argv)
    return _guarded(lambda: _print_primary(_export_dir(args), args.ss_type, args.include_pilot))


def manipulation_checks_main(argv=None) -> int:
    """Print the manipulation-check table."""
    parser = _parser("Manipulation checks: Welch t-tests and Hedges' g per checked factor.")
    args = parser.parse_args(argv)
    return _guarded(lambda: _print_checks(_export_dir(args), args.include_pilot))


def time_course_main(argv=None) -> int:
    """Print the mixed ANOVA and the mixed model of the primary outcome over its occasions."""
    parser = _parser("Time course of the primary outcome: mixed ANOVA (GG-corrected) and random-intercept model.")
    _add_ss_type(parser)
    args = parser.parse_args(argv)
    return _guarded(lambda: _print_time_course(_export_dir(args), args.ss_type, args.include_pilot))


def mediation_main(argv=None) -> int:
    """Print each mediation analysis of the plan."""
    parser = _parser("Mediation analyses of the plan: paths a, b, c, c' and bootstrap CIs of indirect effects.")
    args = parser.parse_args(argv)
    return _guarded(lambda: _print_mediation(_export_dir(args), args.include_pilot))


def report_main(argv=None) -> int:
    """Write the HTML report and print its path."""
    parser = _parser("Write the HTML report of the study (default experiments/NAME/report.html).")
    _add_ss_type(parser)
    parser.add_argument("--out", type=Path, default=None, help="where to write the report")
    args = parser.parse_args(argv)
    return _guarded(lambda: print(_build(args)))


def _parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("study", type=Path, help="study folder, e.g. experiments/demo; its export/ folder is read")
    parser.add_argument(
        "--include-pilot", action="store_true", help="analyse pilot sessions too (default: leave them out)"
    )
    return parser


def _add_ss_type(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ss-type", type=int, choices=(1, 2, 3), default=None,
        help="type of sums of squares (default: the protocol's analysis plan, else 3)",
    )  # fmt: skip


def _export_dir(args) -> Path:
    return args.study / "export"


def _guarded(action) -> int:
    try:
        action()
    except PlaceboLabError as err:
        # One line an analyst can act on; the exit code says which kind of problem it was.
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return err.exit_code
    return 0


def _print_primary(export_dir: Path, ss_type, include_pilot: bool) -> None:
    from placebolab.analysis import format as fmt
    from placebolab.analysis.report import primary_analysis

    result = primary_analysis(export_dir, ss_type=ss_type, include_pilot=include_pilot)
    adjusted = f", adjusted for {', '.join(result.covariates)} (ANCOVA)" if result.covariates else ""
    print(f"Primary outcome: {result.name} ({result.label}){adjusted}\n")
    print(_table(result.descriptives))
    print()
    print(_table(result.anova))
    if result.covariates and result.emmeans is not None:
        print("\nAdjusted (estimated marginal) means:")
        print(_table(result.emmeans))
    df_residual = int(result.anova.iloc[-1]["DF"])
    print()
    for _, row in result.anova.iloc[:-1].iterrows():
        print(f"{row['Source']}: {fmt.fmt_anova_effect(row, df_residual)}")


def _print_checks(export_dir: Path, include_pilot: bool) -> None:
    from placebolab.analysis import format as fmt
    from placebolab.analysis.report import manipulation_check_table

    table = manipulation_check_table(export_dir, include_pilot=include_pilot)
    if table.empty:
        print("The analysis plan lists no manipulation checks.")
        return
    print(_table(table))
    print()
    for _, row in table.iterrows():
        print(f"{row['measure']} by {row['factor']}: {fmt.fmt_check(row)}")


def _sample(export_dir: Path, include_pilot: bool):
    from placebolab.analysis.report import analysed_sample, analysis_plan, load_export

    study = load_export(export_dir)
    data, _ = analysed_sample(study, include_pilot)
    return study, analysis_plan(study), data


def _print_time_course(export_dir: Path, ss_type, include_pilot: bool) -> None:
    from placebolab.analysis.suite import run_time_course
    from placebolab.errors import AnalysisError

    study, plan, data = _sample(export_dir, include_pilot)
    course = run_time_course(study, data, plan, ss_type or plan.get("ss_type", 3))
    if course is None:
        raise AnalysisError(
            f"The primary outcome '{plan['primary']['outcome']}' has no scheduled occasions (no `at:`)."
        )
    if course.error:
        raise AnalysisError(course.error)
    print(f"Time course of {course.outcome} over {', '.join(course.occasions)}\n\nMixed ANOVA:")
    print(_table(course.anova))
    print("\nLinear mixed model (random intercept per participant):")
    print(_table(course.lmm) if course.lmm is not None else course.lmm_error)


def _print_mediation(export_dir: Path, include_pilot: bool) -> None:
    from placebolab.analysis.suite import run_mediations
    from placebolab.errors import AnalysisError

    study, plan, data = _sample(export_dir, include_pilot)
    results = run_mediations(data, plan, study.factors)
    if not results:
        print("The analysis plan lists no mediation analysis.")
    for result in results:
        spec = result.spec
        print(
            f"{spec['x']} → {spec['m']} → {spec['y']}"
            + (f" (moderator {spec['moderator']})" if spec.get("moderator") else "")
        )
        print(_table(result.table) if result.error is None else f"not analysed: {result.error}")
        print()
    failed = [r.error for r in results if r.error]
    if failed:
        raise AnalysisError(failed[0])


def _build(args) -> Path:
    from placebolab.analysis.report import build_report

    return build_report(_export_dir(args), out_path=args.out, ss_type=args.ss_type, include_pilot=args.include_pilot)


def _table(table: pd.DataFrame) -> str:
    with pd.option_context("display.width", 200, "display.max_columns", None):
        return table.round(4).to_string(index=False)
