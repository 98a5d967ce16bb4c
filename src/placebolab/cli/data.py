"""Commands of the analyst: export tidy tables, analyse into a report."""

from __future__ import annotations

import click


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Folder for the tables (default: STUDY/export).")
@click.option(
    "--format", "formats", default="csv", show_default=True,
    help="Comma-separated: csv, parquet (wide/long.parquet), sav (wide.sav for SPSS, labelled). CSV is always written.",
)  # fmt: skip
@click.option(
    "--blinded",
    is_flag=True,
    help="Replace factor levels and cells by neutral codes (key kept in the store; default folder STUDY/export-blinded).",
)
def export(study, out, formats, blinded):
    """Write STUDY's data as tidy tables: long.csv, wide.csv, steps.csv and the codebook."""
    from placebolab.export import export_study
    from placebolab.export.formats import parse_formats
    from placebolab.study import Study

    chosen = parse_formats(formats)
    folder = export_study(Study.open(study), out, formats=chosen, blinded=blinded)
    extra = [f for f in ("wide.parquet", "long.parquet", "wide.sav") if f.split(".")[1] in chosen]
    click.echo(
        f"Exported to {folder}/ (long.csv, wide.csv, steps.csv, codebook.json, codebook.csv, consort.json"
        f"{''.join(', ' + f for f in extra)})"
    )


@click.command()
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
    results["blinding_note"] = None if blinded else _early_unblinded_note(opened)
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


def _early_unblinded_note(opened) -> str | None:
    """Warn (not refuse) when real data are analysed with level names before `placebolab unblind`.

    Blinding is the lab's choice (docs/allocation.md): refusing would force an `unblind` entry into
    the log just to get a report, which would make that entry meaningless. The report says it too:
    a terminal warning is lost, the report is what gets shared.
    """
    from placebolab.export.blinding import early_unblinded_note

    note = early_unblinded_note(opened)
    if note:
        click.echo(f"Warning: {note}.", err=True)
    return note


def _print_primary(results: dict) -> None:
    """The primary ANOVA as a paper would print it (APA rounding)."""
    from rich.console import Console
    from rich.table import Table

    from placebolab.analysis.format import MISSING, fmt_int_or_num, fmt_num, fmt_p, fmt_unit

    anova = results.get("primary_anova")
    if anova is None:
        return
    primary = results.get("primary")
    covariates = getattr(primary, "covariates", None)
    title = f"{'ANCOVA' if covariates else 'ANOVA'} of {results.get('primary_outcome', 'the primary outcome')}"
    table = Table(title=title + (f", adjusted for {', '.join(covariates)}" if covariates else ""))
    for heading in ("Source", "SS", "df", "MS", "F", "p", "ηp²"):
        table.add_column(heading, justify="left" if heading == "Source" else "right")
    for row in anova.itertuples(index=False):
        cells = [fmt_num(row.SS), fmt_int_or_num(row.DF), fmt_num(row.MS), fmt_num(row.F)]
        cells += [fmt_p(row.p_unc, with_symbol=False), fmt_unit(row.np2)]
        table.add_row(row.Source.replace(" * ", " × "), *(" " if c == MISSING else c for c in cells))
    Console().print(table)
