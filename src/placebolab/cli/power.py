"""Commands of the researcher planning a study: power and the sample size needed."""

from __future__ import annotations

import click


def _n_values(_ctx, _param, value: str) -> list[int]:
    """``20:120:10`` (start:stop:step, stop included), ``20,40,80`` or ``40``."""
    try:
        if ":" in value:
            parts = [int(p) for p in value.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] < 1) or parts[1] < parts[0]:
                raise ValueError
            start, stop, step = parts[0], parts[1], parts[2] if len(parts) == 3 else 1
            values = list(range(start, stop + 1, step))
        else:
            values = sorted({int(p) for p in value.split(",")})
    except ValueError:
        raise click.BadParameter(
            f"'{value}' is not START:STOP:STEP (e.g. 20:120:10), a list (20,40,80) or one number"
        ) from None
    if not values or values[0] < 1:
        raise click.BadParameter(f"'{value}': n per cell must be at least 1")
    return values


@click.command()
@click.argument("protocol", type=click.Path(dir_okay=False))
@click.option("--effects", required=True, type=click.Path(dir_okay=False), help="Effects file: cell means, sd, r.")
@click.option(
    "--n",
    "n_values",
    default="20:120:10",
    show_default=True,
    callback=_n_values,
    help="Participants per cell: START:STOP:STEP, a list 20,40,80, or one number.",
)
@click.option("--sims", default=10_000, show_default=True, type=click.IntRange(min=1), help="Simulated studies per n.")
@click.option("--alpha", default=0.05, show_default=True, type=float, help="Significance level, in (0, 1).")
@click.option("--target", default=0.8, show_default=True, type=float, help="Power the needed n per cell must reach.")
@click.option("--seed", type=int, default=None, help="Seed of the simulated studies (default: random, printed).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Power-curve PNG (default: power-PROTOCOLNAME.png in the current folder).",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the table (one row per n and effect) as CSV.",
)
def power(protocol, effects, n_values, sims, alpha, target, seed, out, csv_path):
    """Power of every effect of PROTOCOL's primary analysis, by simulation and analytically, over n.

    The primary outcome's cell means, sd and baseline correlation come from the effects file the
    simulated participants use. Prints power per effect and n, the n per cell needed for --target,
    and writes the power curve.
    """
    import secrets

    from rich.progress import Progress

    from placebolab.power.analytic import analytic_power
    from placebolab.power.design import check_alpha
    from placebolab.power.planning import outcome_model, power_curve, required_n
    from placebolab.power.plot import plot_power_curve
    from placebolab.protocol import load_protocol
    from placebolab.simulation.model import load_effects

    check_alpha(alpha)
    loaded = load_protocol(protocol)
    model = outcome_model(loaded, load_effects(effects, loaded), effects)
    analytic_power(n_per_cell=n_values[0], alpha=alpha, **model.arguments())  # a too-small n fails before any work
    needed = required_n(model, target, alpha)
    seed = secrets.randbits(32) if seed is None else seed
    with Progress(transient=True) as progress:
        task = progress.add_task("Simulating studies", total=len(n_values) * sims)
        curve = power_curve(model, n_values, sims, alpha, seed, progress=lambda done: progress.advance(task, done))
    _print(model, curve, needed, target, sims, seed)
    out = out or f"power-{loaded.protocol}.png"
    plot_power_curve(curve, out, target, f"{loaded.protocol}: {model.outcome} (α = {alpha:g})")
    click.echo(f"Power curve: {out}")
    if csv_path:
        from placebolab.export.spreadsheet import write_csv

        write_csv(curve, csv_path)
        click.echo(f"Table: {csv_path}")


def _print(model, curve, needed, target, sims, seed) -> None:
    import sys

    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160, highlight=False)
    means = ", ".join(f"{cell} {mean:g}" for cell, mean in model.cell_means.items())
    adjusted = f"; r with {model.baseline} = {model.baseline_r:.3f}" if model.baseline_r is not None else ""
    console.print(f"[bold]{model.outcome}[/bold]: {means}; sd {model.sd:.4g}{adjusted}")
    for note in model.notes:
        console.print(f"  note: {note}")
    lookup = {(r.analysis, r.effect): r.n_per_cell for r in needed.itertuples(index=False)}
    n_values = list(dict.fromkeys(curve["n_per_cell"]))
    for analysis, part in curve.groupby("analysis", sort=False):
        title = "ANOVA" if analysis == "ANOVA" else f"ANCOVA (adjusted for {model.baseline})"
        table = Table(
            title=f"{title}: power, simulated ({sims:,} studies per n, seed {seed}) and analytic", title_justify="left"
        )
        table.add_column("effect")
        table.add_column("method")
        for n in n_values:
            table.add_column(f"n={n}", justify="right")
        table.add_column(f"n/cell for {target:g}", justify="right")
        for effect, rows in part.groupby("effect", sort=False):
            n = lookup.get((analysis, effect))
            needed_n = "–" if n is None or n != n else str(int(n))
            table.add_row(effect, "simulated", *(f"{p:.3f}" for p in rows["power_simulated"]), "")
            table.add_row(
                "",
                "[dim]analytic[/dim]",
                *(f"[dim]{p:.3f}[/dim]" for p in rows["power_analytic"]),
                needed_n,
                end_section=True,
            )
        console.print(table)
    gap = (curve["power_simulated"] - curve["power_analytic"]).abs()
    in_se = gap / curve["mc_se"].where(curve["mc_se"] > 0)
    console.print(
        f"Analytic power (noncentral F) differs from the simulated by at most {gap.max():.3f}"
        f" ({in_se.max():.1f} Monte-Carlo SE). n/cell: the smallest n per cell whose analytic power reaches "
        f"{target:g}; –: the effect is null under the model."
    )
