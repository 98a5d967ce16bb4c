"""Interaction plot of cell means with 95 % CIs, and a way to inline it in HTML."""

from __future__ import annotations

import base64
import io

import pandas as pd

from placebolab.analysis._validate import as_factor_list
from placebolab.errors import AnalysisError


def interaction_plot(data: pd.DataFrame, dv: str, between, ax=None, confidence: float = 0.95, means=None):
    """Plot the mean of ``dv`` per cell with t confidence-interval error bars.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant.
    dv : str
        Numeric column to plot.
    between : str or list of str
        One or two factors: the first is on the x axis, the second (if any) gives one line per
        level. Level order follows the categories when the factors are categorical.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    confidence : float
        Level of the error bars (default 0.95).
    means : pandas.DataFrame, optional
        Cell means to draw instead of the raw ones, e.g. the adjusted means of
        :func:`placebolab.analysis.estimated_marginal_means` (columns: the factors, ``emmean``,
        ``ci_low``, ``ci_high``); ``data`` is then not read.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the plot.

    Raises
    ------
    placebolab.errors.AnalysisError
        As :func:`placebolab.analysis.cell_descriptives`, or with more than two factors.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.report.plots import interaction_plot
    >>> df = pd.DataFrame({"warmth": ["warm", "warm", "neutral", "neutral"] * 2,
    ...                    "competence": ["high"] * 4 + ["low"] * 4,
    ...                    "itch": [20.0, 30.0, 40.0, 50.0, 35.0, 45.0, 50.0, 60.0]})
    >>> fig = interaction_plot(df, "itch", ["warmth", "competence"])
    >>> len(fig.axes[0].lines) > 0
    True
    """
    from placebolab.analysis.descriptives import cell_descriptives

    factors = as_factor_list(between)
    if len(factors) > 2:
        raise AnalysisError(f"An interaction plot shows one or two factors, not {len(factors)} ({factors}).")
    if means is not None:
        cells = means.rename(columns={"emmean": "mean"})
    else:
        cells = cell_descriptives(data, dv, factors, confidence=confidence)
    ax = ax if ax is not None else _new_axes()
    _draw(ax, cells, dv, factors, confidence, adjusted=means is not None)
    return ax.figure


def _new_axes():
    # A bare Figure (not pyplot) needs no display backend and is not kept alive by pyplot's registry.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0, 3.6), dpi=100, layout="constrained")
    return fig.add_subplot()


def _draw(ax, cells: pd.DataFrame, dv: str, factors: list[str], confidence: float, adjusted: bool = False) -> None:
    x_factor = factors[0]
    x_levels = list(pd.unique(cells[x_factor]))
    line_groups = cells.groupby(factors[1], observed=True, sort=False) if len(factors) == 2 else [(None, cells)]
    groups = list(line_groups)
    for i, (level, group) in enumerate(groups):
        # Offset the lines a little so overlapping error bars stay readable.
        shift = (i - (len(groups) - 1) / 2) * 0.06
        x = [x_levels.index(value) + shift for value in group[x_factor]]
        err = [group["mean"] - group["ci_low"], group["ci_high"] - group["mean"]]
        label = f"{factors[1]}: {level}" if level is not None else None
        ax.errorbar(x, group["mean"], yerr=err, marker="o", capsize=4, linewidth=1.5, label=label)
    ax.set_xticks(range(len(x_levels)), [str(level) for level in x_levels])
    ax.set_xlim(-0.5, len(x_levels) - 0.5)
    ax.set_xlabel(x_factor)
    ax.set_ylabel(f"{dv} ({'adjusted mean' if adjusted else 'mean'}, {confidence:.0%} CI)")
    if len(factors) == 2:
        ax.legend(frameon=False)


def time_course_plot(means: pd.DataFrame, dv: str, between: list[str], ax=None):
    """Mean of ``dv`` at each occasion, one line per cell, with the CI error bars of ``means``.

    Parameters
    ----------
    means : pandas.DataFrame
        :func:`placebolab.analysis.cell_descriptives` of the long data by ``["occasion", *between]``.
    dv : str
        The outcome's name (y-axis label).
    between : list of str
        The between factors: one line per combination of their levels.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import cell_descriptives
    >>> long = pd.DataFrame({"occasion": ["3min", "9min"] * 4, "group": ["a"] * 4 + ["b"] * 4,
    ...                      "itch": [50.0, 40.0, 52.0, 44.0, 55.0, 54.0, 57.0, 52.0]})
    >>> fig = time_course_plot(cell_descriptives(long, "itch", ["occasion", "group"]), "itch", ["group"])
    >>> len(fig.axes[0].lines) > 0
    True
    """
    ax = ax if ax is not None else _new_axes()
    occasions = list(pd.unique(means["occasion"]))
    groups = list(means.groupby(between, observed=True, sort=False)) if between else [("all", means)]
    for i, (level, group) in enumerate(groups):
        shift = (i - (len(groups) - 1) / 2) * 0.05  # keep overlapping error bars apart
        x = [occasions.index(o) + shift for o in group["occasion"]]
        err = [group["mean"] - group["ci_low"], group["ci_high"] - group["mean"]]
        label = " / ".join(map(str, level)) if isinstance(level, tuple) else str(level)
        ax.errorbar(x, group["mean"], yerr=err, marker="o", capsize=3, linewidth=1.5, label=label)
    ax.set_xticks(range(len(occasions)), [str(o) for o in occasions])
    ax.set_xlabel("occasion")
    ax.set_ylabel(f"{dv} (mean, 95% CI)")
    ax.set_xlim(-0.4, len(occasions) - 0.6)
    ax.legend(frameon=False, fontsize="small", title=" / ".join(between) or None, loc="best")
    return ax.figure


def figure_to_data_uri(fig, dpi: int = 100) -> str:
    """Encode a matplotlib figure as a ``data:image/png;base64,…`` URI for an ``<img src>``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(); _ = fig.add_subplot().plot([0, 1], [0, 1])
    >>> figure_to_data_uri(fig).startswith("data:image/png;base64,")
    True
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
