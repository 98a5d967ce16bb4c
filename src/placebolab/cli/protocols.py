"""Commands of the researcher: validate a protocol, make a study from it."""

from __future__ import annotations

import click

from placebolab.frontends import FRONTENDS


@click.command()
@click.argument("protocols", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--frontend",
    type=click.Choice(list(FRONTENDS)),
    help="Also check that this frontend can show every step (a terminal cannot show video).",
)
def validate(protocols, frontend):
    """Check PROTOCOLS (YAML files): every problem is listed with file, line and what would be right.
    Warnings (a schedule the timeline cannot keep, a change from baseline of two scales) are printed too, and do
    not fail the check."""
    from placebolab.errors import ProtocolError
    from placebolab.frontends import screens
    from placebolab.frontends.base import unshowable
    from placebolab.protocol import load_protocol

    problems = []
    for path in protocols:
        try:
            protocol = load_protocol(path)
        except ProtocolError as exc:
            problems += exc.problems
            continue
        if frontend and (refused := unshowable(protocol, screens(frontend))):
            problems += refused
            continue
        warned = f", {len(protocol.warnings)} warning{'s' if len(protocol.warnings) > 1 else ''}" * bool(
            protocol.warnings
        )
        click.echo(
            f"✓ {path}: valid — {len(protocol.cells)} cells ({', '.join(c.id for c in protocol.cells)}), "
            f"{len(protocol.timeline)} steps{warned}" + (f"; {frontend} can show every step" if frontend else "")
        )
        for warning in protocol.warnings:
            click.echo(f"warning: {warning}", err=True)
    if problems:
        raise ProtocolError(problems)


@click.command()
@click.argument("protocol", type=click.Path(dir_okay=False))
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--seed", type=int, help="Seed of the allocation list (default: the protocol's, else random; recorded).")
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="Keep the study on a PostgreSQL server (postgresql://user@host/database) for several rooms; default: SQLite.",
)
def init(protocol, study, seed, store_url):
    """Make the study folder STUDY from PROTOCOL: freeze the protocol and its stimuli, generate and seal the
    allocation list, and print its SHA-256 commitment for the preregistration."""
    from placebolab.study import Study

    with Study.init(protocol, study, seed=seed, store_url=store_url) as made:
        summary = made.store.allocation_summary()
        click.echo(f"Initialised {made.folder} from {protocol}")
        click.echo(f"  cells:            {', '.join(c.id for c in made.protocol.cells)}")
        click.echo(
            f"  allocation:       {made.protocol.allocation.scheme}, {summary['slots']} slots, seed {made.store.sealed()['seed']}"
        )
        click.echo(f"  protocol sha256:  {made.protocol_sha256}")
        click.echo(f"  list commitment:  {made.meta['list_sha256']}  (sha256, salted; put it in the preregistration)")
        click.echo(f"  store:            {made.store.describe()}")
        click.echo(f"  chain head:       {made.store.head()[1]}  (the log's last entry; keep it with the commitment)")
    for warning in made.protocol.warnings:  # as validate prints them: the schedule may not be kept
        click.echo(f"warning: {warning}", err=True)
    from placebolab.frontends import screens
    from placebolab.frontends.base import unshowable

    frontend = "psychopy" if unshowable(made.protocol, screens("console")) else "console"  # a terminal shows no media
    click.echo(f"Next: placebolab run {made.folder} --participant P001 --frontend {frontend}")
    if not unshowable(made.protocol, screens("web")):  # no experimenter needed: it can run online too
        click.echo(
            f"  or online: placebolab links {made.folder} -n 100 > links.csv, then placebolab serve {made.folder}"
        )
