"""Commands of the analyst: export tidy tables, analyse into a report."""

from __future__ import annotations

import click

from placebolab.cli.app import main


@main.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Folder for the tables (default: STUDY/export).")
@click.option(
    "--blinded",
    is_flag=True,
    help="Replace factor levels and cells by neutral codes (key kept in the store; default folder STUDY/export-blinded).",
)
def export(study, out, blinded):
    """Write STUDY's data as tidy tables: long.csv, wide.csv, steps.csv and the codebook."""
    from placebolab.export import export_study
    from placebolab.study import Study

    folder = export_study(Study.open(study), out, blinded=blinded)
    click.echo(f"Exported to {folder}/ (long.csv, wide.csv, steps.csv, codebook.json, codebook.csv)")


@main.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--ss-type", type=click.Choice(["1", "2", "3"]), help="Sums of squares (default: the protocol's plan).")
@click.option("--include-pilot", is_flag=True, help="Analyse pilot sessions too (default: leave them out, counted).")
@click.option(
    "--blinded", is_flag=True, help="Analyse a blinded export: levels as neutral codes; STUDY/report-blinded.html."
)
def analyze(study, ss_type, include_pilot, blinded):
    """Export STUDY, run the planned analyses and write STUDY/report.html."""
    from placebolab.analysis.report import run_analyses, write_report
    from placebolab.export import export_study
    from placebolab.study import Study

    opened = Study.open(study)
    folder = export_study(opened, blinded=blinded)
    results = run_analyses(folder, ss_type=int(ss_type) if ss_type else None, include_pilot=include_pilot)
    header = results.get("header", {})
    if not header.get("n_analysed"):
        from placebolab.errors import AnalysisError

        raise AnalysisError(
            f"nothing to analyse in {study}: {header.get('n_rows', 0)} participants enrolled, "
            f"{header.get('n_completed', 0)} completed (pilot sessions count only with --include-pilot); "
            "run or simulate participants first"
        )
    report = write_report(results, opened.folder / ("report-blinded.html" if blinded else "report.html"))
    _print_primary(results)
    click.echo(f"Report: {report}")


def _print_primary(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    anova = results.get("primary_anova")
    if anova is None:
        return
    table = Table(title=f"ANOVA: {results.get('primary_outcome', 'primary outcome')}")
    for column in anova.columns:
        table.add_column(str(column), justify="left" if column == "Source" else "right")
    for row in anova.itertuples(index=False):
        table.add_row(*("" if _missing(v) else (f"{v:.4g}" if isinstance(v, float) else str(v)) for v in row))
    Console().print(table)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)
