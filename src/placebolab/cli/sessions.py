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
    help="psychopy: save the first frame of every step as a PNG in this folder (to document the protocol).",
)
def run(study, participant, frontend, resume, intake, pilot, windowed, screenshots):
    """Run PARTICIPANT through the protocol of STUDY."""
    from placebolab.errors import SessionInterrupted
    from placebolab.frontends.base import drive
    from placebolab.frontends.console import ConsoleFrontend
    from placebolab.session import RealClock, Session
    from placebolab.session.engine import check_intake
    from placebolab.study import Study

    if frontend == "console" and (windowed or screenshots):
        raise click.UsageError("--windowed and --screenshots are options of --frontend psychopy")
    opened = Study.open(study, writing=True)
    clock = RealClock()
    if frontend == "console":
        ui = ConsoleFrontend(clock)
        ui.refuse_unshowable(opened.protocol)
    else:
        ui = _psychopy_frontend(clock, windowed, screenshots)
    given = _parse_intake(intake)
    if resume:
        if given or pilot:
            raise click.UsageError(
                "--intake and --pilot are for a new participant; --resume keeps what was given at enrolment"
            )
        session = Session.resume(opened, participant, ui.name, clock)
    else:
        Session.ensure_new(opened, participant)  # refuse before asking any intake question
        check_intake(opened.protocol, given, complete=False)  # and a wrong value given up front
        try:
            values = (
                ui.ask_intake(opened.protocol.intake, given)
                if frontend == "console"
                else _psychopy_intake(opened.protocol.intake, given, participant)
            )
        except SessionInterrupted:
            raise SessionInterrupted(
                f"the session was stopped during the intake, before {participant} was enrolled: nothing is stored; "
                f"start again with `placebolab run {study} --participant {participant}` (without --resume)"
            ) from None
        session = Session.start(opened, participant, values, ui.name, clock, pilot=pilot)
    try:
        if frontend == "psychopy":
            ui.open(pilot=session.participant.pilot)
        drive(session, ui)
    except (SessionInterrupted, KeyboardInterrupt) as exc:  # Ctrl-C where the console could not ask
        stopped = (
            exc if isinstance(exc, SessionInterrupted) else "the session was stopped; every answer so far is stored"
        )
        raise SessionInterrupted(
            f"{stopped}; continue with `placebolab run {study} --participant {participant} --resume`"
        ) from None
    finally:
        if frontend == "psychopy":
            ui.close()
    click.echo(f"Session of {participant} complete ({session.participant.cell}); every answer is stored.")


def _psychopy_frontend(clock, windowed: bool, screenshots: str | None):
    """The lab frontend, refused (before any intake question or enrolment) when it cannot open a window."""
    import importlib.util
    from pathlib import Path

    from placebolab.errors import SessionError
    from placebolab.frontends.psychopy import PsychopyFrontend, WindowOptions
    from placebolab.frontends.psychopy.intake import display_available

    if importlib.util.find_spec("psychopy") is None:
        raise SessionError("psychopy is not installed; install the lab extra: pip install 'placebolab[lab]'")
    if not display_available():
        raise SessionError(
            "no display to open the PsychoPy window on (DISPLAY is not set); run on the lab computer's screen, "
            "or pilot in this terminal with --frontend console"
        )

    return PsychopyFrontend(
        clock, WindowOptions(fullscreen=not windowed, screenshots=Path(screenshots) if screenshots else None)
    )


def _psychopy_intake(fields, given: dict, participant: str) -> dict:
    from placebolab.frontends.psychopy.intake import ask_intake

    return ask_intake(fields, given, participant)


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

    from placebolab.simulation.model import load_effects
    from placebolab.simulation.run import simulate_study
    from placebolab.study import Study

    opened = Study.open(study, writing=True)
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

    from placebolab.cli.allocation import echo_head

    echo_head(opened.store)
