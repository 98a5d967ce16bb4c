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
    with Study.open(study) as opened:
        folder = export_study(opened, out, formats=chosen, blinded=blinded)
    extra = [f for f in ("wide.parquet", "long.parquet", "wide.sav") if f.split(".")[1] in chosen]
    click.echo(
        f"Exported to {folder}/ (long.csv, wide.csv, steps.csv, codebook.json, codebook.csv, consort.json"
        f"{''.join(', ' + f for f in extra)})"
    )


SHOWN = ("primary", "manipulation-checks", "time-course", "mediation")


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--ss-type", type=click.Choice(["1", "2", "3"]), help="Sums of squares (default: the protocol's plan).")
@click.option("--include-pilot", is_flag=True, help="Analyse pilot sessions too (default: leave them out, counted).")
@click.option(
    "--blinded", is_flag=True, help="Analyse a blinded export: levels as neutral codes; STUDY/report-blinded.html."
)
@click.option(
    "--from-export",
    is_flag=True,
    help="Read the existing STUDY/export folder (STUDY/export-blinded with --blinded) instead of exporting the "
    "store first: for an analyst who has only the exported tables.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Where to write the report (default: STUDY/report.html).")
@click.option(
    "--show",
    type=click.Choice(SHOWN),
    help="Print one analysis as tables instead of writing the report (the scripts in analysis/ use this).",
)
@click.option(
    "--prereg",
    help="The preregistration `placebolab prereg` wrote (or the protocol SHA-256 it states): the report says "
    "whether the study ran on exactly that protocol and lists every deviation.",
)
def analyze(study, ss_type, include_pilot, blinded, from_export, out, show, prereg):
    """Export the study folder STUDY (or read its export: --from-export), run the planned analyses and write
    STUDY/report.html."""
    from pathlib import Path

    from placebolab.analysis.plan import run_analyses
    from placebolab.report import write_report
    from placebolab.report.text import print_anova_table

    ss = int(ss_type) if ss_type else None
    registration = None
    if prereg:
        from placebolab.report.registration import read_registration

        registration = read_registration(prereg)  # a wrong file is said before any work
    home, folder, note = _export_to_analyse(Path(study), blinded, from_export)
    if show:
        _show(show, folder, ss, include_pilot)
        return
    results = run_analyses(folder, ss_type=ss, include_pilot=include_pilot, blinding_note=note)
    report = write_report(
        results.require_analysed(study),
        out or home / ("report-blinded.html" if blinded else "report.html"),
        registration,
    )
    print_anova_table(results.primary)
    if registration is not None:
        from placebolab.report.registration import registration_view

        same = registration_view(registration, results.study.codebook)["same"]
        click.echo(
            "Ran on the preregistered protocol."
            if same
            else "Not the preregistered protocol: see the report's deviations."
        )
    click.echo(f"Report: {report}")


def _export_to_analyse(study, blinded: bool, from_export: bool):
    """The study folder, the export folder to analyse and the report's warning when real data are unblinded early."""
    if from_export:
        return study.resolve(), study / ("export-blinded" if blinded else "export"), None
    from placebolab.export import export_study
    from placebolab.study import Study

    with Study.open(study) as opened:
        return opened.folder, export_study(opened, blinded=blinded), None if blinded else _early_unblinded_note(opened)


def _show(what: str, folder, ss_type, include_pilot: bool) -> None:
    from placebolab.analysis import plan
    from placebolab.errors import AnalysisError
    from placebolab.report import text

    if what == "primary":
        text.print_primary(plan.primary_analysis(folder, ss_type=ss_type, include_pilot=include_pilot))
    elif what == "manipulation-checks":
        text.print_checks(plan.manipulation_check_table(folder, include_pilot=include_pilot))
    elif what == "time-course":
        text.print_time_course(plan.time_course_analysis(folder, ss_type=ss_type, include_pilot=include_pilot))
    else:
        mediations = plan.mediation_analyses(folder, include_pilot=include_pilot)
        text.print_mediations(mediations)
        failed = [m.error for m in mediations if m.error]
        if failed:
            raise AnalysisError(failed[0])


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


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--out", required=True, type=click.Path(), help="A new (or empty) folder for the dataset.")
@click.option(
    "--blinded", is_flag=True, help="Factor levels and cells as neutral codes, the key withheld (as export --blinded)."
)
@click.option(
    "--license",
    "license_",
    default="CC-BY-4.0",
    show_default=True,
    help="The dataset's licence: an SPDX id (CC-BY-4.0, CC0-1.0, …, written as its URL) or a URL.",
)
def share(study, out, blinded, license_):
    """Write STUDY as a Psych-DS dataset: data, codebook metadata, materials, analysis, report and audit.

    Exit codes: 4 the study folder is missing or damaged, or --out exists and is not empty; 7 nobody
    completed the study (no report); 9 the audit finds a break (nothing is shared).
    """
    from placebolab.share import share_study
    from placebolab.study import Study

    with Study.open(study) as opened:
        folder = share_study(opened, out, blinded=blinded, license=license_)
    click.echo(f"Dataset: {folder}/ (dataset_description.json, data/, materials/, analysis/, README.md)")
