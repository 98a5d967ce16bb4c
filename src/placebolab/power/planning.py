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

from placebolab.errors import EffectsError, InternalError, PowerError
from placebolab.power.analytic import analytic_power, ancova_power, effect_lambda, f_test_power
from placebolab.power.design import check_alpha, error_df, make_design
from placebolab.power.simulate import simulate_power
from placebolab.simulation.model import MeasureModel, linear_parts, score_baseline_problem

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
    """The primary outcome's model: cell means, sd and baseline correlation of what is analysed.

    The analysed outcome is a weighted sum of simulated draws (a rating: the mean of its occasions; a
    questionnaire score: the mean or sum of its items, each first mapped onto the score's ``common_scale``
    if it has one, on each occasion), each
    ``mean + sd · (r · Z_b + √(1 − r²) · ε)`` with its own ε and, per baseline b, one shared Z_b. So it
    is normal with mean Σ w·mean, variance Σ w² sd² (1 − r²) + Σ_b (Σ w sd r)², and covaries
    Σ w sd r with the planned baseline's Z.
    """
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
    if measure.measurement != "continuous" and ("@" in primary.outcome or len(measure.occasion_labels) <= 1):
        raise PowerError(
            f"the primary outcome {primary.outcome} is {measure.measurement} (its scale's `measurement`); power is "
            "computed for a continuous primary outcome (the ANCOVA), not for a logistic or proportional-odds model"
        )
    components = linear_parts(measure)
    specs = [effects.for_measure(name) for name, *_ in components]
    if all(spec is None or spec.mean is None for spec in specs):
        raise EffectsError(
            f"{effects_name}: measures: no model for the primary outcome {primary.outcome}; add e.g. "
            f"`{components[0][0]}: {{mean: {{{protocol.cells[0].id}: 30, default: 40}}, sd: 15}}`"
        )
    if primary.baseline:
        _check_baseline(protocol, found, primary, effects)
    cells = [cell.id for cell in protocol.cells if not cell.arm]
    notes: list[str] = []
    means = dict.fromkeys(cells, 0.0)
    independent, shared = 0.0, dict[str, float]()
    clipped = []
    for (name, weight, offset, low, high), spec in zip(components, specs, strict=True):
        spec = spec or MeasureModel()
        item_means = _cell_means(spec.mean, cells, f"{effects_name}: measures.{name}.mean", (low + high) / 2)
        sd = spec.sd if spec.sd is not None else (high - low) / 6
        if spec.sd is None and f"no sd for {name}" not in " ".join(notes):
            notes.append(f"no sd for {name} in the effects file: the simulated participants' range/6 = {sd:g}")
        r = spec.r if spec.baseline else 0.0
        for cell in cells:
            means[cell] += weight * item_means[cell] + offset
        independent += (weight * sd) ** 2 * (1 - r * r)
        if r and spec.baseline:
            shared[spec.baseline] = shared.get(spec.baseline, 0.0) + weight * sd * r
        clipped.append(_clipped_share(item_means, sd, low, high))
    sd_out = math.sqrt(independent + sum(v * v for v in shared.values()))
    r_out = shared.get(primary.baseline, 0.0) / sd_out if primary.baseline else None
    if len(components) > 1 or (primary.baseline and r_out != specs[0].r):
        adjusted = f", r with {primary.baseline} {r_out:.3f}" if primary.baseline else ""
        notes.append(f"{primary.outcome} is {_describe(measure, len(components))}: sd {sd_out:.4g}{adjusted}")
    others = sorted(set(shared) - {primary.baseline})
    if others:
        notes.append(
            f"{primary.outcome} also correlates with {', '.join(others)}: counted as noise independent of the baseline"
        )
    share = float(np.mean(clipped))
    if share > CLIPPED_SHARE_NOTED:
        notes.append(
            f"{share:.1%} of simulated answers making up {primary.outcome} fall outside the scale and are clipped by "
            "the simulated participants; the power here assumes an unclipped normal outcome"
        )
    return OutcomeModel(
        outcome=primary.outcome,
        baseline=primary.baseline,
        factors=factors,
        cell_means=means,
        sd=sd_out,
        baseline_r=r_out,
        occasions=max(1, len(measure.occasion_labels)),
        notes=notes,
    )


def _describe(measure, count: int) -> str:
    occasions = max(1, len(measure.occasion_labels))
    if measure.kind == "score":
        rule = measure.step.scores[measure.item]
        text = f"the {rule.method} of {len(rule.items)} items"
        return text + (f" on each of {occasions} occasions, averaged" if occasions > 1 else "")
    return f"the mean of {occasions} occasions" if occasions > 1 else "a single answer"


def _cell_means(
    mean: float | dict[str, float] | None, cells: list[str], where: str, midpoint: float
) -> dict[str, float]:
    if mean is None:
        return dict.fromkeys(cells, midpoint)
    if not isinstance(mean, dict):
        return dict.fromkeys(cells, float(mean))
    missing = [c for c in cells if c not in mean and "default" not in mean]
    if missing:
        raise EffectsError(f"{where}: no mean for {', '.join(missing)} (and no default); cells: {', '.join(cells)}")
    return {c: float(mean[c] if c in mean else mean["default"]) for c in cells}


def _check_baseline(protocol, found, primary, effects) -> None:
    """The planned baseline must be what outcome draws correlate with: measured once, before the outcome, as
    one draw (a rating or item) or a score of independently drawn items (see the simulation model)."""
    baseline = primary.baseline
    measure = found.get(baseline)
    if measure is None or len(measure.occasion_labels) > 1:
        raise PowerError(
            f"the baseline {baseline} must be measured once for `placebolab power` (a scheduled step is not "
            "modelled); use placebolab.power with baseline_r"
        )
    problem = score_baseline_problem(measure, effects) if measure.kind == "score" else None
    if problem:
        raise PowerError(f"the baseline {problem}")
    order = [step.id for step in protocol.timeline]
    if order.index(measure.step.id) > order.index(found[primary.outcome].step.id):
        raise PowerError(f"the baseline {baseline} comes after the outcome {primary.outcome} in the timeline")


def _clipped_share(means: dict[str, float], sd: float, low, high) -> float:
    from scipy.stats import norm

    if low is None or high is None:
        return 0.0
    mu = np.array(list(means.values()))
    return float(np.mean(norm.cdf((low - mu) / sd) + norm.sf((high - mu) / sd)))


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
    if model.baseline_r is None:
        raise InternalError("an ANCOVA has its baseline's correlation")
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
