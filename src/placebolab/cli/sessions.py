"""Commands of the experimenter: run a participant; and simulated participants."""

from __future__ import annotations

import click


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option(
    "--participant",
    "-p",
    required=True,
    callback=lambda _ctx, _param, value: _participant_id(value),
    help="Participant ID, e.g. P001.",
)
@click.option(
    "--frontend",
    type=click.Choice(["console", "psychopy"]),
    default="console",
    show_default=True,
    help="How steps are shown: in this terminal, or in a PsychoPy window (the lab).",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted session at its first unanswered step.")
@click.option(
    "--intake", "intake", multiple=True, metavar="FIELD=VALUE", help="Intake answers given up front (repeatable)."
)
@click.option("--pilot", is_flag=True, help="Flag this participant's data as pilot data (psychopy: marks the screen).")
@click.option("--windowed", is_flag=True, help="psychopy: a window instead of full screen, for piloting.")
@click.option(
    "--screenshots",
    type=click.Path(file_okay=False),
    help="psychopy: save the first frame of every step, page and waiting screen as a PNG in this folder "
    "(to document the protocol).",
)
def run(study, participant, frontend, resume, intake, pilot, windowed, screenshots):
    """Run PARTICIPANT through the protocol of STUDY."""
    from placebolab.frontends.runner import make_frontend, run_participant
    from placebolab.session import RealClock
    from placebolab.study import Study

    if frontend == "console" and (windowed or screenshots):
        raise click.UsageError("--windowed and --screenshots are options of --frontend psychopy")
    given = _parse_intake(intake)
    if resume and (given or pilot):
        raise click.UsageError(
            "--intake and --pilot are for a new participant; --resume keeps what was given at enrolment"
        )
    with Study.open(study, writing=True) as opened:
        ui = make_frontend(frontend, RealClock(), windowed=windowed, screenshots=screenshots)
        session = run_participant(opened, participant, ui, resume=resume, intake=given, pilot=pilot, tell=click.echo)
    if session.declined_at is not None:
        click.echo(f"{participant} declined consent (step {session.declined_at}); the session ended there, recorded.")
        return
    # not the cell: the participant may be looking at this terminal (`placebolab status` shows the experimenter)
    click.echo(f"Session of {participant} complete; every answer is stored.")


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


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("-n", "count", type=click.IntRange(min=1), required=True, help="How many simulated participants.")
@click.option("--effects", type=click.Path(dir_okay=False), help="YAML file of cell means, sds, correlations.")
@click.option("--seed", type=int, default=None, help="Seed for the simulated answers (default: random, printed).")
def simulate(study, count, effects, seed):
    """Run COUNT simulated participants through STUDY: the real engine and store, answers from a model."""
    import secrets

    from rich.progress import Progress

    from placebolab.cli.allocation import echo_head
    from placebolab.simulation.model import load_effects
    from placebolab.simulation.run import simulate_study
    from placebolab.study import Study

    with Study.open(study, writing=True) as opened:
        model = load_effects(effects, opened.protocol)
        seed = secrets.randbits(32) if seed is None else seed
        if effects is None:
            click.echo("No --effects file: every cell has the same means (a null model).")
        with Progress(transient=True) as progress:
            task = progress.add_task("Simulating participants", total=count)
            ids = simulate_study(opened, count, model, seed, on_participant=lambda _: progress.advance(task))
        consecutive = int(ids[-1][3:]) - int(ids[0][3:]) == len(ids) - 1
        span = f"{ids[0]}–{ids[-1]}" if consecutive else f"{ids[0]} to {ids[-1]}, between another simulation's"
        click.echo(f"Simulated {len(ids)} participants ({span}) with seed {seed}; marked as simulated.")
        echo_head(opened.store)
