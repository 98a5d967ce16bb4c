"""Power for a protocol as written: its primary outcome under its simulated-participant model, over n.

The effects file (``placebolab.simulation.model``) gives the outcome a mean per cell, an sd and a
correlation r with a baseline measure; each occasion of a scheduled rating is one draw
``mean + sd · (r · z_baseline + √(1 − r²) · ε)`` with its own ε. The planned analysis uses the mean over
the k occasions, which is again normal: sd · √(r² + (1 − r²)/k), correlating r / √(r² + (1 − r²)/k)
with the baseline. Those are the numbers both analyses here use, so the studies simulated are those
the simulated participants of the protocol would give (without the clipping to the scale, reported
in ``notes`` when it is not negligible).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from placebolab.errors import EffectsError, PowerError
from placebolab.power.analytic import analytic_power, ancova_power, effect_lambda, f_test_power
from placebolab.power.design import check_alpha, error_df, make_design
from placebolab.power.simulate import simulate_power

CLIPPED_SHARE_NOTED = 0.01
LARGEST_N_SEARCHED = 100_000


@dataclass
class OutcomeModel:
    """What the power analysis of a protocol's primary outcome needs, from its effects file."""

    outcome: str
    baseline: str | None
    factors: dict[str, list[str]]
    cell_means: dict[str, float]
    sd: float
    baseline_r: float | None
    occasions: int = 1
    notes: list[str] = field(default_factory=list)

    def arguments(self) -> dict:
        return {"cell_means": self.cell_means, "sd": self.sd, "factors": self.factors, "baseline_r": self.baseline_r}


def outcome_model(protocol, effects, effects_name: str = "the effects file") -> OutcomeModel:
    """The primary outcome's model: cell means, sd and baseline correlation of what is analysed."""
    from placebolab.protocol.measures import measures

    if protocol.analysis is None:
        raise PowerError("the protocol has no analysis plan; add `analysis: {primary: {outcome: …, between: […]}}`")
    primary = protocol.analysis.primary
    factors = {name: list(f.levels) for name, f in protocol.factors.items()}
    if primary.between and list(primary.between) != list(factors):
        raise PowerError(
            f"the primary analysis uses {', '.join(primary.between)}; power is computed for analyses over all "
            f"factors of the protocol ({', '.join(factors)})"
        )
    found = measures(protocol)
    measure = found[primary.outcome]
    if measure.kind == "score":
        raise PowerError(
            f"the primary outcome {primary.outcome} is a questionnaire score; `placebolab power` models a rating or "
            "an item — use placebolab.power.analytic_power / simulate_power with the score's cell means and sd"
        )
    spec = effects.for_measure(primary.outcome)
    if spec is None or spec.mean is None:
        raise EffectsError(
            f"{effects_name}: measures: no model for the primary outcome {primary.outcome}; add e.g. "
            f"`{primary.outcome}: {{mean: {{{protocol.cells[0].id}: 30, default: 40}}, sd: 15}}`"
        )
    notes = []
    cells = [cell.id for cell in protocol.cells if not cell.arm]
    means = _cell_means(spec.mean, cells, f"{effects_name}: measures.{primary.outcome}.mean")
    sd = spec.sd
    if sd is None:
        sd = (measure.max - measure.min) / 6
        notes.append(
            f"{primary.outcome}: no sd in the effects file; the simulated participants' default range/6 = {sd:g}"
        )
    r = spec.r if spec.baseline else 0.0
    baseline = primary.baseline
    if baseline:
        r = _baseline_r(protocol, found, primary, spec, notes)
    k = max(1, len(measure.occasion_labels))
    spread = math.sqrt(r * r + (1 - r * r) / k)
    if k > 1:
        notes.append(
            f"{primary.outcome} is the mean of {k} occasions: sd {sd:g} → {sd * spread:.4g}"
            + (f", r with {baseline} {r:g} → {r / spread:.3f}" if baseline and r else "")
        )
    _note_clipping(means, sd, measure, primary.outcome, notes)
    return OutcomeModel(
        outcome=primary.outcome,
        baseline=baseline,
        factors=factors,
        cell_means=means,
        sd=sd * spread,
        baseline_r=(r / spread) if baseline else None,
        occasions=k,
        notes=notes,
    )


def _cell_means(mean, cells: list[str], where: str) -> dict[str, float]:
    if not isinstance(mean, dict):
        return dict.fromkeys(cells, float(mean))
    missing = [c for c in cells if c not in mean and "default" not in mean]
    if missing:
        raise EffectsError(f"{where}: no mean for {', '.join(missing)} (and no default); cells: {', '.join(cells)}")
    return {c: float(mean.get(c, mean.get("default"))) for c in cells}


def _baseline_r(protocol, found, primary, spec, notes) -> float:
    baseline = primary.baseline
    measure = found.get(baseline)
    if measure is None or measure.kind == "score" or len(measure.occasion_labels) > 1:
        raise PowerError(
            f"the baseline {baseline} must be a single rating or item for `placebolab power` (a score or a scheduled "
            "step is not modelled); use placebolab.power with baseline_r"
        )
    if spec.baseline != baseline:
        if spec.baseline:
            notes.append(
                f"{primary.outcome} correlates with {spec.baseline}, not the planned baseline {baseline}: r = 0"
            )
        return 0.0
    order = [step.id for step in protocol.timeline]
    if order.index(measure.step.id) > order.index(found[primary.outcome].step.id):
        raise PowerError(f"the baseline {baseline} comes after the outcome {primary.outcome} in the timeline")
    return spec.r


def _note_clipping(means: dict[str, float], sd: float, measure, outcome: str, notes: list[str]) -> None:
    from scipy.stats import norm

    if measure.min is None or measure.max is None:
        return
    mu = np.array(list(means.values()))
    share = float(np.mean(norm.cdf((measure.min - mu) / sd) + norm.sf((measure.max - mu) / sd)))
    if share > CLIPPED_SHARE_NOTED:
        notes.append(
            f"{share:.1%} of simulated {outcome} answers fall outside {measure.min:g}–{measure.max:g} and are clipped "
            "by the simulated participants; the power here assumes an unclipped normal outcome"
        )


def power_curve(
    model: OutcomeModel,
    n_values: list[int],
    n_sims: int = 10_000,
    alpha: float = 0.05,
    seed=None,
    progress: Callable[[int], None] | None = None,
):
    """Analytic and simulated power of every effect at each balanced n per cell: one row per n and effect."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    frames = []
    for n in n_values:
        exact = analytic_power(n_per_cell=n, alpha=alpha, **model.arguments())
        simulated = simulate_power(
            n_per_cell=n, n_sims=n_sims, alpha=alpha, seed=rng, progress=progress, **model.arguments()
        )
        merged = exact.merge(
            simulated[["analysis", "effect", "power", "mc_se"]], on=["analysis", "effect"], suffixes=("", "_simulated")
        )
        merged.insert(0, "n_per_cell", n)
        frames.append(merged.rename(columns={"power": "power_analytic"}))
    return pd.concat(frames, ignore_index=True)


def required_n(model: OutcomeModel, target: float = 0.8, alpha: float = 0.05):
    """Smallest balanced n per cell whose analytic power reaches ``target``, per analysis and effect.

    ``n_per_cell`` is None for an effect that is null under the model (no n reaches the target).
    """
    import pandas as pd

    alpha = check_alpha(alpha)
    if not 0 < target < 1:
        raise PowerError(f"the target power must lie strictly between 0 and 1 (e.g. 0.8), not {target!r}")
    smallest = _smallest_n(model)
    table = analytic_power(n_per_cell=smallest, alpha=alpha, **model.arguments())
    rows = []
    for row in table.itertuples(index=False):
        n = None
        if row.power < target and row.power > alpha + 1e-9:
            n = _search(model, row.analysis, row.effect, target, alpha, smallest)
        elif row.power >= target:
            n = smallest
        rows.append({"analysis": row.analysis, "effect": row.effect, "kind": row.kind, "n_per_cell": n})
    return pd.DataFrame(rows)


def _smallest_n(model: OutcomeModel) -> int:
    cells = math.prod(len(levels) for levels in model.factors.values())
    covariates = 1 if model.baseline_r is not None else 0
    return max(2, math.ceil((cells + covariates + 1) / cells))


def _power_at(model: OutcomeModel, n: int, analysis: str, effect: str, alpha: float) -> float:
    """Analytic power of one effect at n per cell (only that effect: the search calls this often)."""
    design = make_design(model.cell_means, model.sd, n, model.factors)
    tested = next(e for e in design.effects() if e.name == effect)
    lam = effect_lambda(design, tested)
    if analysis == "ANOVA":
        return float(f_test_power(lam, tested.df, error_df(design, 0), alpha))
    lam0 = lam / (1 - model.baseline_r**2)
    return ancova_power(lam0, tested.df, error_df(design, 1), len(design.means), design.n_total, alpha)


def _search(model, analysis, effect, target, alpha, low) -> int | None:
    """Doubling then bisection on n (power grows with n for a fixed effect)."""
    high = low
    while _power_at(model, high, analysis, effect, alpha) < target:
        low, high = high, high * 2
        if high > LARGEST_N_SEARCHED:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        if _power_at(model, middle, analysis, effect, alpha) >= target:
            high = middle
        else:
            low = middle
    return high
