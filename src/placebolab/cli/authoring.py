"""Commands that help a researcher write a protocol: preview every cell, the JSON Schema, a new protocol
from an example, the instrument bank."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("protocol", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="Where to write the page (default: NAME.preview.html).")
def preview(protocol, out):
    """Write one HTML page showing every cell's stimuli side by side, step by step, differences highlighted."""
    from placebolab.authoring.preview import preview_html
    from placebolab.errors import ProtocolError
    from placebolab.protocol import load_protocol

    try:
        loaded, refused = load_protocol(protocol), None
    except ProtocolError as exc:
        try:  # templates that run but miss cells: the page is where to see them, beside the cells
            loaded, refused = load_protocol(protocol, template_findings=False), exc
        except ProtocolError:
            raise exc from None
    out = Path(out) if out else Path(protocol).with_suffix(".preview.html")
    out.write_text(preview_html(loaded), encoding="utf-8")
    click.echo(f"Wrote {out}: {len(loaded.cells)} cells side by side, {len(loaded.timeline)} steps")
    if refused:
        raise refused


@click.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Write the schema to this file (default: print it).")
def schema(out):
    """Print (or write) the JSON Schema of protocol files, for an editor that checks them as you type."""
    import json

    from placebolab.authoring.schema import protocol_schema

    text = json.dumps(protocol_schema(), indent=2) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {out}; point your editor at it, e.g. first line: # yaml-language-server: $schema={out}")
    else:
        click.echo(text, nl=False)


@click.command()
@click.argument("name")
@click.option(
    "--from",
    "example",
    default="warmth-competence-itch",
    show_default=True,
    help="Example to start from: one shipped with placebolab, one in the project's protocols/, or a path.",
)
@click.option("--dir", "root", default=".", type=click.Path(file_okay=False), help="Project folder (holds protocols/).")
def new(name, example, root):
    """Create protocols/NAME.yaml and stimuli/NAME/ from an example protocol, ready to edit."""
    from placebolab.authoring.scaffold import new_protocol

    made = new_protocol(name, example, Path(root))
    for path in made:
        click.echo(f"Created {path}")
    click.echo(f"Next: edit {made[0]}, then placebolab validate {made[0]} and placebolab preview {made[0]}")


@click.command()
@click.argument("instrument", required=False)
def instruments(instrument):
    """List the instrument bank, or show INSTRUMENT's items, scale, scores, source and licence."""
    from placebolab.errors import ProtocolError
    from placebolab.instruments import bank

    shipped = bank()
    if instrument is None:
        for name, item in shipped.items():
            click.echo(f"{name:20} {item.title} ({len(item.items)} items; scores: {', '.join(item.scores) or '—'})")
        return
    if instrument not in shipped:
        raise ProtocolError(f"unknown instrument '{instrument}'; the bank has {', '.join(shipped)}")
    found = shipped[instrument]
    click.echo(f"{found.title}\nsource:  {found.source}\nlicence: {found.licence}")
    if found.prompt:
        click.echo(f"prompt:  {found.prompt}")
    if found.scale:
        click.echo(f"scale:   {found.scale.describe()}")
    click.echo("items:")
    for item in found.items:
        text = item.text or "(wording supplied by the protocol under `wording:`)"
        click.echo(f"  {item.id:14} {text}{' (reverse-keyed: scored as min + max − answer)' if item.reverse else ''}")
        if item.scale and item.scale != found.scale:
            click.echo(f"  {'':14} scale: {item.scale.describe()}")
    if found.scores:
        click.echo("scores:")
    for name, rule in found.scores.items():
        click.echo(f"  {name:14} {_score_rule(rule)}")


def _score_rule(rule) -> str:
    """``'mean of warm, caring, friendly (at least 2 answered)'``: how a score is computed, in words."""
    text = f"{rule.method} of {', '.join(rule.items)}"
    if rule.common_scale:
        low, high = rule.common_scale
        text += f", each first mapped linearly onto {low:g}–{high:g}"
    if rule.min_items is not None and rule.min_items < len(rule.items):
        text += f" (at least {rule.min_items} of {len(rule.items)} answered, else missing)"
    else:
        text += " (missing unless every item is answered)"
    return text
