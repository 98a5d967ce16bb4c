"""How simulated participants answer: an effects file (YAML) or, without one, a null model.

Each measure is normal with a mean per cell and an sd, clipped to its scale and rounded to its step.
A measure may correlate ``r`` with a baseline measure of the same participant:
``z = r · z_baseline + √(1 − r²) · ε``, z_baseline being the baseline's first standardised draw (a rating
or an item) or, for a questionnaire score, the standardised weighted sum of its items' draws.
Questionnaire items are modelled in the scored direction (reverse-keyed answers are reflected by the
component). Without a model a measure sits mid-scale with sd = range / 6 in every cell. A binary measure
(two answers, e.g. the yes-no scale) may instead give ``p``, the probability of its higher answer per cell:
it is "yes" when the same standard normal draw exceeds Φ⁻¹(1 − p), so ``baseline``/``r`` still apply.

Example::

    measures:
      itch_baseline: {mean: 55, sd: 15}
      itch_post:
        mean: {warm/high: 28, warm/low: 38, neutral/high: 40, neutral/low: 45}
        sd: 15
        baseline: itch_baseline
        r: 0.6
      expectancy.*: {mean: {default: 5, warm/high: 7}, sd: 1.8}
      relief: {p: {default: 0.4, warm/high: 0.6}}     # a yes-no item: 40 % or 60 % "yes"
"""

from __future__ import annotations

import bisect
import fnmatch
import math
from functools import cached_property, lru_cache
from pathlib import Path
from statistics import NormalDist

import numpy as np
from pydantic import Field

from placebolab.components import Item, measure_name
from placebolab.components.base import Model
from placebolab.document.problems import Positions, Problem
from placebolab.errors import EffectsError, InternalError
from placebolab.protocol.measures import measures


class MeasureModel(Model):
    mean: float | dict[str, float] | None = Field(
        None, description="One mean, or a mean per cell id (`default` for the cells not named)."
    )
    sd: float | None = Field(None, gt=0)
    baseline: str | None = Field(None, description="Measure this one correlates with, e.g. itch_baseline.")
    r: float = Field(0.0, ge=-1, le=1)
    p: float | dict[str, float] | None = Field(
        None, description="A binary measure (e.g. yes-no): probability of its higher answer, one or per cell id."
    )


_UNMODELLED = MeasureModel()  # a measure the effects file does not name: mid-scale, sd = range / 6


class IntakeModel(Model):
    probabilities: dict[str, float] | None = None  # choice fields
    mean: float | None = None  # number fields
    sd: float | None = Field(None, gt=0)


class EffectsModel(Model):
    description: str | None = None
    intake: dict[str, IntakeModel] = Field(default_factory=dict)
    measures: dict[str, MeasureModel] = Field(default_factory=dict)
    rt_seconds: float = Field(4.0, gt=0, description="Median time to answer one rating.")

    def for_measure(self, name: str) -> MeasureModel | None:
        keys = self.measure_keys
        if name not in keys:
            keys[name] = _key_for(name, tuple(self.measures))
        key = keys[name]
        return None if key is None else self.measures[key]

    @cached_property
    def measure_keys(self) -> dict[str, str | None]:
        """Measure name → the key of ``measures`` modelling it (``for_measure``), filled as names are asked: every
        simulated participant asks again for the same few. (A cached property is no field: pydantic keeps it
        out of validation, equality and dumps.)"""
        return {}

    @cached_property
    def choice_cdfs(self) -> dict[tuple[str, tuple[str, ...]], list[float] | None]:
        """(intake field, its choices) → the cumulative probabilities ``Generator.choice`` draws from (see
        ``_choose``); None where the probabilities are not valid ones (``choice`` itself then says why)."""
        return {}


@lru_cache(maxsize=4096)  # every simulated participant asks again for the same names
def _key_for(name: str, keys: tuple[str, ...]) -> str | None:
    """The key of ``measures`` that models ``name``: the name itself, else the first pattern matching it."""
    if name in keys:
        return name
    return next((key for key in keys if fnmatch.fnmatchcase(name, key)), None)


def load_effects(path: str | Path | None, protocol) -> EffectsModel:
    if path is None:
        return EffectsModel()
    from placebolab.document.validation import validate_document
    from placebolab.document.yaml_source import read_limited, read_yaml

    path = Path(path)
    if not path.is_file():
        raise EffectsError(f"{path}: no such effects file")
    data, positions = read_yaml(read_limited(path), str(path), error=EffectsError)
    model = validate_document(EffectsModel, data or {}, positions, str(path), error=EffectsError)
    problems = _check(model, protocol, positions, str(path))
    if problems:
        raise EffectsError(problems)
    return model


def _check(model: EffectsModel, protocol, positions: Positions, name: str) -> list[Problem]:
    problems = []
    known = measures(protocol)
    cells = {cell.id for cell in protocol.cells} | {"default"}

    def report(path, message):
        problems.append(Problem(name, *positions.of(path), path, message))

    for pattern, measure in model.measures.items():
        matched = [m for m in known if fnmatch.fnmatchcase(m, pattern)]
        if not matched:
            report(("measures", pattern), f"'{pattern}' matches no measure; measures: {', '.join(known)}")
        elif all(known[m].kind == "score" for m in matched):
            report(
                ("measures", pattern), _score_message(known[matched[0]], "model its items instead, e.g. `{pattern}`")
            )
        problems += _probability_problems(measure, [known[m] for m in matched], positions, name, ("measures", pattern))
        for key in ("mean", "p"):
            for cell in getattr(measure, key) if isinstance(getattr(measure, key), dict) else {}:
                if cell not in cells:
                    report(
                        ("measures", pattern, key, cell),
                        f"'{cell}' is not a cell; cells: {', '.join(sorted(cells))}",
                    )
        if measure.baseline:
            for message in _baseline_problems(
                measure.baseline, [m for m in matched if known[m].kind != "score"], known, model
            ):
                report(("measures", pattern, "baseline"), message)
    intake_ids = {f.id for f in protocol.intake}
    for field in model.intake:
        if field not in intake_ids:
            report(("intake", field), f"'{field}' is not an intake field; intake: {', '.join(intake_ids)}")
    return problems


def _probability_problems(measure: MeasureModel, matched: list, positions: Positions, name: str, path) -> list:
    """``p`` is a probability per cell, for binary measures only, instead of ``mean`` and ``sd``."""
    if measure.p is None:
        return []
    found = []

    def report(where, message):
        found.append(Problem(name, *positions.of((*path, *where)), (*path, *where), message))

    other = [m for m in matched if m.measurement != "binary"]
    if other:
        report(("p",), f"p is the probability of the higher answer of a binary measure (two answers, e.g. yes-no); "
                       f"'{other[0].name}' is {other[0].measurement}: give it mean and sd instead")  # fmt: skip
    if measure.mean is not None or measure.sd is not None:
        report(("p",), "give either p (a binary measure) or mean and sd, not both")
    per_cell = measure.p if isinstance(measure.p, dict) else {None: measure.p}
    for cell, value in per_cell.items():
        if not 0 <= value <= 1:
            report(("p",) if cell is None else ("p", cell), f"{value:g} is not a probability; give one from 0 to 1")
    return found


def _baseline_problems(baseline: str, drawn: list[str], known: dict, model: EffectsModel) -> list[str]:
    """Why a simulated measure cannot correlate with ``baseline``: it must be measured earlier (a rating, an
    item, or a score of items drawn independently), else the correlation asked for would silently be 0."""
    if baseline not in known:
        return [f"'{baseline}' is not a measure; {_drawn_names(known)}"]
    if known[baseline].kind == "score":
        problem = score_baseline_problem(known[baseline], model)
        if problem:
            return [problem]
    if baseline in drawn:
        return [f"{baseline} cannot be its own baseline; give this measure a baseline measured before it"]
    order = list(known)  # timeline order, items in their order: the order of the draws
    later = [m for m in drawn if order.index(m) < order.index(baseline)]
    if later:
        return [f"{baseline} comes after {', '.join(later)} in the timeline; a baseline must be measured before"]
    return []


def score_baseline_problem(score, model: EffectsModel) -> str | None:
    """A score is a baseline through its items' draws: once each (not a scheduled step), and independent
    (no item correlating with a baseline of its own), so that its standardised value is known."""
    if len(score.occasion_labels) > 1:
        return _score_message(score, "a score of a scheduled step cannot be a baseline; name one item, e.g. {item}")
    linked = [name for name, *_ in linear_parts(score) if (model.for_measure(name) or MeasureModel()).baseline]
    if linked:
        return _score_message(
            score, f"as a baseline its items must be drawn independently, but {', '.join(linked)} has a baseline"
        )
    return None


def _score_message(score, advice: str) -> str:
    step = score.step
    items = step.scores[score.item].items
    advice = advice.format(item=f"{step.id}.{items[0]}", pattern=f"{step.id}.*")
    return (
        f"'{score.name}' is a questionnaire score, computed from the items {', '.join(items)} that simulated "
        f"participants answer; {advice}"
    )


def _drawn_names(known: dict) -> str:
    return "ratings and items: " + ", ".join(name for name, m in known.items() if m.kind != "score")


def linear_parts(measure) -> list[tuple[str, float, float, float, float]]:
    """The draws a measure's analysed value is a linear function of: ``(draw name, weight, offset, scale min,
    scale max)``, one per item and occasion; the value is Σ (offset + weight · draw). A rating is the mean of
    its occasions; a score the mean or sum of its items, each first mapped onto its ``common_scale``."""
    occasions = max(1, len(measure.occasion_labels))
    if measure.kind == "score":
        step = measure.step
        rule = step.scores[measure.item]
        items = [item for item in step.items if item.id in rule.items]
        weight = 1 / len(items) if rule.method == "mean" else 1.0
        one = []
        for item in items:
            scale = step.item_scale(item)
            slope, offset = 1.0, 0.0
            if rule.common_scale:  # the item is mapped linearly onto the common scale before it is combined
                low, high = rule.common_scale
                slope = (high - low) / (scale.max - scale.min)
                offset = low - scale.min * slope
            one.append((measure_name(step.id, item.id), weight * slope, weight * offset, scale.min, scale.max))
    else:
        one = [(measure.name, 1.0, 0.0, measure.min, measure.max)]
    return [(n, w / occasions, o / occasions, low, high) for _ in range(occasions) for n, w, o, low, high in one]


class SimulatedParticipant:
    """One participant's answers: draws per measure, correlated with their own baseline where modelled."""

    def __init__(self, model: EffectsModel, protocol, cell_id: str, rng: np.random.Generator, known=None):
        """``known``: ``measures(protocol)``, if the caller has it (a study simulates many participants)."""
        self.model, self.cell_id, self.rng = model, cell_id, rng
        self._measures = known if known is not None else measures(protocol)
        self._z: dict[str, float] = {}  # first standardised draw of each measure: what a later one correlates with

    def intake(self, protocol) -> dict:
        return {field.id: self._intake_value(field) for field in protocol.intake}

    def draw(self, name: str, item: Item) -> float:
        spec = self.model.for_measure(name) or _UNMODELLED
        z = self._standard_draw(name, spec)
        self._z.setdefault(name, z)
        low, high = item.min, item.max
        if low is None or high is None:
            raise InternalError("a number item has a range")
        if spec.p is not None:  # a binary measure: the higher answer with probability p
            p = _cell_mean(spec.p, self.cell_id, 0.5)
            return high if p >= 1 or (p > 0 and z > NormalDist().inv_cdf(1 - p)) else low
        mean = _cell_mean(spec.mean, self.cell_id, (low + high) / 2)
        value = min(max(mean + _sd(spec, low, high) * z, low), high)
        step = item.increment or 0.1  # a VAS is continuous; one decimal is finer than anyone can mark
        point = low + round((value - low) / step) * step
        # a whole number is itself to 6 decimals, and round(x, 6) writes x out in decimal to tell
        return point if type(point) is float and point.is_integer() else round(point, 6)

    def _standard_draw(self, name: str, spec: MeasureModel) -> float:
        noise = float(self.rng.standard_normal())
        if not spec.baseline or spec.r == 0:
            return noise
        return spec.r * self._latent(spec.baseline) + math.sqrt(1 - spec.r**2) * noise

    def _latent(self, name: str) -> float:
        """The standard normal a measure correlating with ``name`` shares: the first draw of a rating or item
        (drawn now if this cell never showed it), or a score's standardised linear combination of its items'."""
        measure = self._measures[name]
        if measure.kind != "score":
            if name not in self._z:
                self._z[name] = float(self.rng.standard_normal())
            return self._z[name]
        parts = [
            (item, weight * _sd(self.model.for_measure(item) or _UNMODELLED, low, high))
            for item, weight, _, low, high in linear_parts(measure)
        ]
        return sum(c * self._latent(item) for item, c in parts) / math.sqrt(sum(c * c for _, c in parts))

    def intake_of(self, fields) -> dict:
        """Answers to these intake fields (``intake`` answers all of a protocol's)."""
        return {field.id: self._intake_value(field) for field in fields}

    def _intake_value(self, field):
        spec = self.model.intake.get(field.id)
        if field.type == "choice":
            if spec and spec.probabilities:
                return self._choose(field, spec.probabilities)
            return str(self.rng.choice(field.choices))
        if field.type == "text":
            return field.example or "Alex"
        low = field.min if field.min is not None else 0
        high = field.max if field.max is not None else low + 100
        if spec and spec.mean is not None:
            value = self.rng.normal(spec.mean, spec.sd or (high - low) / 6)
        else:
            value = self.rng.uniform(low, high)
        value = min(max(value, low), high)
        return int(round(value)) if field.type == "integer" else float(value)

    def _choose(self, field, probabilities: dict[str, float]) -> str:
        """``str(rng.choice(field.choices, p=weights / weights.sum()))``, drawing the same number from the same
        stream: numpy's ``Generator.choice`` with ``p`` takes one ``random()`` and returns the first choice whose
        normalised cumulative probability exceeds it (``cdf.searchsorted(u, side="right")``). The cumulative
        probabilities are computed once per field, as numpy computes them; numpy's checks of them and its
        array building were most of a participant's intake. tests/engine/test_simulated_intake.py compares."""
        choices = tuple(field.choices)
        cdfs = self.model.choice_cdfs
        key = (field.id, choices)
        if key not in cdfs:
            cdfs[key] = _choice_cdf(choices, probabilities)
        cdf = cdfs[key]
        if cdf is None:  # not valid probabilities: numpy raises its own error, as before
            weights = np.array([probabilities.get(c, 0.0) for c in choices])
            return str(self.rng.choice(choices, p=weights / weights.sum()))
        return choices[bisect.bisect_right(cdf, self.rng.random())]


def _choice_cdf(choices: tuple[str, ...], probabilities: dict[str, float]) -> list[float] | None:
    """The cumulative distribution ``Generator.choice(a, p)`` searches (``p.cumsum()``, then divided by its last
    value), for ``p = weights / weights.sum()``; None when numpy would refuse ``p`` (NaN, negative, or a sum
    further from 1 than its tolerance), or a choice is not text (numpy would turn it into one)."""
    if not all(type(c) is str for c in choices):
        return None
    weights = np.array([probabilities.get(c, 0.0) for c in choices])
    with np.errstate(all="ignore"):
        p = weights / weights.sum()
    if p.ndim != 1 or len(p) == 0 or np.isnan(p).any() or (p < 0).any():
        return None
    if abs(math.fsum(p.tolist()) - 1.0) > np.sqrt(np.finfo(np.float64).eps):
        return None
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return [float(x) for x in cdf]


def _sd(spec: MeasureModel, low: float, high: float) -> float:
    return spec.sd if spec.sd is not None else (high - low) / 6


def _cell_mean(mean: float | dict[str, float] | None, cell_id: str, midpoint: float) -> float:
    if mean is None:
        return midpoint
    if isinstance(mean, dict):
        return mean.get(cell_id, mean.get("default", midpoint))
    return mean
