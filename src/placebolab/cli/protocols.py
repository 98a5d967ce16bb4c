"""Commands of the researcher: validate a protocol, make a study from it."""

from __future__ import annotations

import click

from placebolab.cli.app import main


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
