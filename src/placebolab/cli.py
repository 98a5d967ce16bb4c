"""The command line: thin. Parse arguments, call the library, turn a PlaceboLabError into one line and
its exit code (see ``placebolab.errors``). Heavy modules are imported inside commands, so ``--help``
stays quick."""

from __future__ import annotations

import os
import sys

import click

from placebolab import __version__
from placebolab.errors import PlaceboLabError

EXIT_CODES = """\b
Exit codes: 0 ok · 1 internal error · 2 usage · 3 invalid protocol or effects file ·
4 study folder/store · 5 allocation · 6 session · 7 analysis · 8 session stopped (resumable)"""


class _Group(click.Group):
    """Every user mistake ends as one clean line on stderr and a documented exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PlaceboLabError as exc:
            lines = str(exc).splitlines() or [type(exc).__name__]
            prefix = "error" if len(lines) == 1 else f"{len(lines)} problems"
            click.echo(f"{prefix}: {lines[0]}" if len(lines) == 1 else f"{prefix}:", err=True)
            for line in lines[1:] if len(lines) == 1 else lines:
                click.echo(f"  {line}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("PLACEBOLAB_DEBUG"):
                raise
            click.echo(
                f"internal error: {type(exc).__name__}: {exc} — this is a bug in placebolab, not your mistake; "
                "rerun with PLACEBOLAB_DEBUG=1 for the details and report them",
                err=True,
            )
            sys.exit(1)


@click.group(cls=_Group, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="placebolab")
def main():
    """placebolab: placebo experiments that manipulate the clinician–patient relationship.

    A researcher validates a protocol and inits a study from it; an experimenter runs participants;
    simulate runs the whole study with simulated participants; analyze writes the report.
    """


@main.command()
@click.argument("protocols", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(protocols):
    """Check PROTOCOLS (YAML files): every problem is listed with file, line and what would be right."""
    from placebolab.errors import ProtocolError
    from placebolab.protocol import load_protocol

    problems = []
    for path in protocols:
        try:
            protocol = load_protocol(path)
        except ProtocolError as exc:
            problems += exc.problems
            continue
        click.echo(
            f"✓ {path}: valid — {len(protocol.cells)} cells ({', '.join(c.id for c in protocol.cells)}), "
            f"{len(protocol.timeline)} steps"
        )
    if problems:
        raise ProtocolError(problems)


@main.command()
@click.argument("protocol", type=click.Path(dir_okay=False))
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--seed", type=int, help="Seed of the allocation list (default: the protocol's, else random; recorded).")
def init(protocol, study, seed):
    """Make the study folder STUDY from PROTOCOL: freeze the protocol and its stimuli, generate the allocation list."""
    from placebolab.study import Study

    made = Study.init(protocol, study, seed=seed)
    summary = made.store.allocation_summary()
    click.echo(f"Initialised {made.folder} from {protocol}")
    click.echo(f"  cells:            {', '.join(c.id for c in made.protocol.cells)}")
    click.echo(
        f"  allocation:       {made.protocol.allocation.scheme}, {summary['slots']} slots, seed {made.meta['seed']}"
    )
    click.echo(f"  protocol sha256:  {made.protocol_sha256}")
    click.echo(f"Next: placebolab run {made.folder} --participant P001 --frontend console")


@main.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option(
    "--participant",
    "-p",
    required=True,
    callback=lambda _ctx, _param, value: _participant_id(value),
    help="Participant ID, e.g. P001.",
)
@click.option(
    "--frontend", type=click.Choice(["console"]), default="console", show_default=True, help="How steps are shown."
)
@click.option("--resume", is_flag=True, help="Continue an interrupted session at its first unanswered step.")
@click.option(
    "--intake", "intake", multiple=True, metavar="FIELD=VALUE", help="Intake answers given up front (repeatable)."
)
@click.option("--pilot", is_flag=True, help="Flag this participant's data as pilot data.")
def run(study, participant, frontend, resume, intake, pilot):
    """Run PARTICIPANT through the protocol of STUDY."""
    from placebolab.errors import SessionError, SessionInterrupted
    from placebolab.frontends.base import drive
    from placebolab.frontends.console import ConsoleFrontend
    from placebolab.session import RealClock, Session
    from placebolab.study import Study

    opened = Study.open(study)
    clock = RealClock()
    ui = ConsoleFrontend(clock)
    given = _parse_intake(intake)
    if resume:
        if given or pilot:
            raise click.UsageError(
                "--intake and --pilot are for a new participant; --resume keeps what was given at enrolment"
            )
        session = Session.resume(opened, participant, ui.name, clock)
    else:
        Session.ensure_new(opened, participant)  # refuse before asking any intake question
        unknown = set(given) - {f.id for f in opened.protocol.intake}
        if unknown:
            raise SessionError(f"--intake names unknown fields: {', '.join(sorted(unknown))}")
        for field in opened.protocol.intake:  # a wrong value given up front is refused before any question
            if field.id in given:
                try:
                    field.check(given[field.id])
                except ValueError as exc:
                    raise SessionError(f"--intake {field.id}={given[field.id]}: {exc}") from None
        try:
            values = ui.ask_intake(opened.protocol.intake, given)
        except SessionInterrupted:
            raise SessionInterrupted(
                f"the session was stopped during the intake, before {participant} was enrolled: nothing is stored; "
                f"start again with `placebolab run {study} --participant {participant}` (without --resume)"
            ) from None
        session = Session.start(opened, participant, values, ui.name, clock, pilot=pilot)
    try:
        drive(session, ui)
    except (SessionInterrupted, KeyboardInterrupt) as exc:  # Ctrl-C where the console could not ask
        stopped = (
            exc if isinstance(exc, SessionInterrupted) else "the session was stopped; every answer so far is stored"
        )
        raise SessionInterrupted(
            f"{stopped}; continue with `placebolab run {study} --participant {participant} --resume`"
        ) from None
    click.echo(f"Session of {participant} complete ({session.participant.cell}); every answer is stored.")


def _participant_id(value: str) -> str:
    from placebolab.errors import SessionError
    from placebolab.session.engine import check_participant_id

    try:
        return check_participant_id(value)
    except SessionError as exc:
        raise click.BadParameter(str(exc)) from None


def _parse_intake(pairs) -> dict:
    values = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"'{pair}' is not FIELD=VALUE", param_hint="--intake")
        key, value = pair.split("=", 1)
        values[key.strip()] = value.strip()
    return values


@main.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("-n", "count", type=click.IntRange(min=1), required=True, help="How many simulated participants.")
@click.option("--effects", type=click.Path(dir_okay=False), help="YAML file of cell means, sds, correlations.")
@click.option("--seed", type=int, default=None, help="Seed for the simulated answers (default: random, printed).")
def simulate(study, count, effects, seed):
    """Run COUNT simulated participants through STUDY: the real engine and store, answers from a model."""
    import secrets

    from rich.progress import Progress

    from placebolab.simulation.model import load_effects
    from placebolab.simulation.run import simulate_study
    from placebolab.study import Study

    opened = Study.open(study)
    model = load_effects(effects, opened.protocol)
    seed = secrets.randbits(32) if seed is None else seed
    if effects is None:
        click.echo("No --effects file: every cell has the same means (a null model).")
    with Progress(transient=True) as progress:
        task = progress.add_task("Simulating participants", total=count)
        ids = simulate_study(opened, count, model, seed, on_participant=lambda _: progress.advance(task))
    click.echo(f"Simulated {len(ids)} participants ({ids[0]}–{ids[-1]}) with seed {seed}; marked as simulated.")


@main.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Folder for the tables (default: STUDY/export).")
def export(study, out):
    """Write STUDY's data as tidy tables: long.csv, wide.csv, steps.csv and the codebook."""
    from placebolab.export import export_study
    from placebolab.study import Study

    folder = export_study(Study.open(study), out)
    click.echo(f"Exported to {folder}/ (long.csv, wide.csv, steps.csv, codebook.json, codebook.csv)")


@main.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--ss-type", type=click.Choice(["1", "2", "3"]), help="Sums of squares (default: the protocol's plan).")
@click.option("--include-pilot", is_flag=True, help="Analyse pilot sessions too (default: leave them out, counted).")
def analyze(study, ss_type, include_pilot):
    """Export STUDY, run the planned analyses and write STUDY/report.html."""
    from placebolab.analysis.report import run_analyses, write_report
    from placebolab.export import export_study
    from placebolab.study import Study

    opened = Study.open(study)
    folder = export_study(opened)
    results = run_analyses(folder, ss_type=int(ss_type) if ss_type else None, include_pilot=include_pilot)
    header = results.get("header", {})
    if not header.get("n_analysed"):
        from placebolab.errors import AnalysisError

        raise AnalysisError(
            f"nothing to analyse in {study}: {header.get('n_rows', 0)} participants enrolled, "
            f"{header.get('n_completed', 0)} completed (pilot sessions count only with --include-pilot); "
            "run or simulate participants first"
        )
    report = write_report(results, opened.folder / "report.html")
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


if __name__ == "__main__":
    main()
