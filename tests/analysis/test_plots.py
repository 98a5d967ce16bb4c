"""interaction_plot and figure_to_data_uri."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest

from placebolab.analysis import cell_descriptives
from placebolab.errors import AnalysisError
from placebolab.report.plots import figure_to_data_uri, interaction_plot


def test_two_factor_plot_draws_one_line_per_level_at_the_cell_means(toothgrowth):
    data = toothgrowth.assign(dose=toothgrowth["dose"].astype(str))
    fig = interaction_plot(data, "len", ["dose", "supp"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5", "1.0", "2.0"]
    assert ax.get_xlabel() == "dose"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["supp: OJ", "supp: VC"]
    means = cell_descriptives(data, "len", ["supp", "dose"])
    plotted = np.concatenate([bars.lines[0].get_ydata() for bars in ax.containers])  # one errorbar per line
    assert sorted(plotted) == pytest.approx(sorted(means["mean"]))


def test_given_axes_are_used():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    data = pd.DataFrame({"g": ["a", "a", "b", "b"], "y": [1.0, 2.0, 3.0, 5.0]})
    assert interaction_plot(data, "y", "g", ax=ax) is fig
    assert ax.get_legend() is None


def test_more_than_two_factors_is_refused():
    data = pd.DataFrame({"a": ["x", "y"] * 4, "b": ["u"] * 4 + ["v"] * 4, "c": ["p", "p", "q", "q"] * 2, "y": range(8)})
    with pytest.raises(AnalysisError, match="one or two factors"):
        interaction_plot(data.astype({"y": float}), "y", ["a", "b", "c"])


def test_data_uri_is_a_png(toothgrowth):
    uri = figure_to_data_uri(interaction_plot(toothgrowth, "len", ["supp", "dose"]))
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :])[:8] == b"\x89PNG\r\n\x1a\n"


def test_interaction_plot_of_adjusted_means():
    from placebolab.analysis import estimated_marginal_means
    from placebolab.report.plots import interaction_plot

    df = pd.DataFrame({"warmth": ["warm", "warm", "neutral", "neutral"] * 3, "competence": (["high"] * 4 + ["low"] * 4 + ["high"] * 4),
                       "base": [float(v) for v in range(12)], "itch": [20.0, 30.0, 40.0, 50.0, 35.0, 45.0, 50.0, 60.0, 22.0, 33.0, 41.0, 52.0]})  # fmt: skip
    emm = estimated_marginal_means(df, "itch", ["warmth", "competence"], covariates="base")
    fig = interaction_plot(df, "itch", ["warmth", "competence"], means=emm)
    ax = fig.axes[0]
    assert "adjusted mean" in ax.get_ylabel()
    drawn = sorted(float(y) for line in ax.lines for y in line.get_ydata() if len(line.get_ydata()) == 2)
    assert any(abs(y - float(emm["emmean"].iloc[0])) < 1e-9 for y in drawn)
