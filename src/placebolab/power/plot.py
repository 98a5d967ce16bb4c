"""The power curve: power against n per cell, one line per effect (analytic) with the simulated points."""

from __future__ import annotations

from pathlib import Path

from placebolab.files import atomic_file


def plot_power_curve(curve, path: str | Path, target: float = 0.8, title: str = "") -> Path:
    """Write a PNG: one panel per analysis (ANOVA, ANCOVA); analytic lines, simulated points ± 2 MC SE."""
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    analyses = list(dict.fromkeys(curve["analysis"]))
    fig, axes = plt.subplots(1, len(analyses), figsize=(6.5 * len(analyses), 4.8), sharey=True, squeeze=False)
    for ax, analysis in zip(axes[0], analyses, strict=True):
        part = curve[curve["analysis"] == analysis]
        for effect, rows in part.groupby("effect", sort=False):
            style = "--" if rows["kind"].iloc[0] == "simple" else "-"
            (line,) = ax.plot(rows["n_per_cell"], rows["power_analytic"], style, label=effect)
            ax.errorbar(
                rows["n_per_cell"],
                rows["power_simulated"],
                yerr=2 * rows["mc_se"],
                fmt="o",
                markersize=3,
                color=line.get_color(),
            )
        ax.axhline(target, color="grey", linewidth=0.8, linestyle=":")
        ax.set_title(analysis if analysis == "ANOVA" else "ANCOVA (baseline-adjusted)")
        ax.set_xlabel("participants per cell")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("power (lines: analytic; points: simulated ± 2 SE)")
    axes[0][-1].legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    with atomic_file(path, "wb") as file:  # never half a picture over the last one
        fig.savefig(file, format=path.suffix.lstrip(".").lower() or "png", dpi=120)
    plt.close(fig)
    return path
