"""Commands writing the study's documents: the preregistration and the reporting checklists."""

from __future__ import annotations

import click


def _document_path(_ctx, _param, value: str) -> str:
    if not value.lower().endswith((".md", ".html", ".htm")):
        raise click.BadParameter(f"'{value}': the file name must end in .md (Markdown) or .html")
    return value


@click.command()
@click.argument("protocol", type=click.Path())
@click.option("--out", required=True, type=click.Path(dir_okay=False), callback=_document_path,
              help="The preregistration to write: prereg.md (Markdown) or prereg.html.")  # fmt: skip
@click.option("--format", "form", type=click.Choice(["osf", "aspredicted"]), default="osf", show_default=True,
              help="osf: the OSF Prereg template's sections; aspredicted: AsPredicted's questions.")  # fmt: skip
@click.option("--effects", type=click.Path(dir_okay=False), default=None,
              help="Effects file (as `power` and `simulate` take it): the power analysis justifying the sample size.")  # fmt: skip
@click.option("--alpha", default=0.05, show_default=True, type=float, help="Significance level of the power analysis.")
@click.option("--target", default=0.8, show_default=True, type=float, help="Power the n per cell needed is given for.")
def prereg(protocol, out, form, effects, alpha, target):
    """Write a preregistration of PROTOCOL, generated from it: hypotheses, design, sampling plan, variables, analysis plan.

    PROTOCOL is a protocol file, or the study folder `placebolab init` made from it (then the sealed
    allocation list's commitment is written in too). What the protocol cannot know is marked TODO. The document states the protocol's SHA-256; give it to
    `placebolab analyze STUDY --prereg FILE` and the report says whether the study ran on exactly this
    protocol and lists every deviation.
    """
    from placebolab.documents.prereg import preregistration, protocol_facts
    from placebolab.documents.render import TODO, write

    facts = protocol_facts(protocol, effects, alpha, target)
    text = write(preregistration(facts, form), out)
    click.echo(f"Preregistration: {out} (protocol SHA-256 {facts.sha256}); {text.count(TODO)} TODO items to fill in")
    if facts.power_problem:
        click.echo(f"No power analysis: {facts.power_problem}", err=True)


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the checklists (default: STUDY/checklists).")  # fmt: skip
@click.option("--include-pilot", is_flag=True, help="Count pilot sessions as analysed (as `analyze --include-pilot`).")
def checklist(study, out, include_pilot):
    """Write STUDY's reporting checklists, pre-filled: CONSORT 2025, TIDieR-Placebo and the SPIRIT schedule.

    Each as Markdown and HTML in --out (consort-2025.*, tidier-placebo.*, spirit-schedule.*); the items
    only a person can answer are marked TODO.
    """
    from pathlib import Path

    from placebolab.analysis.plan import run_analyses
    from placebolab.documents.checklists import write_checklists
    from placebolab.export import export_study
    from placebolab.study import Study

    with Study.open(study) as opened:
        folder = export_study(opened)
        results = run_analyses(folder, include_pilot=include_pilot)
        written = write_checklists(opened, results, Path(out) if out else opened.folder / "checklists")
    for path in written:
        click.echo(f"Written: {path}")
