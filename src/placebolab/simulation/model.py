"""How simulated participants answer: an effects file (YAML) or, without one, a null model.

Each measure is normal with a mean per cell and an sd, clipped to its scale and rounded to its step.
A measure may correlate ``r`` with a baseline measure of the same participant:
``z = r · z_baseline + √(1 − r²) · ε``. Questionnaire items are modelled in the scored direction
(reverse-keyed answers are reflected by the component). Without a model a measure sits mid-scale
with sd = range / 6 in every cell.

Example::

    measures:
      itch_baseline: {mean: 55, sd: 15}
      itch_post:
        mean: {warm/high: 28, warm/low: 38, neutral/high: 40, neutral/low: 45}
        sd: 15
        baseline: itch_baseline
        r: 0.6
      expectancy.*: {mean: {default: 5, warm/high: 7}, sd: 1.8}
"""

from __future__ import annotations

import fnmatch
import math
from pathlib import Path

import numpy as np
from pydantic import Field

from placebolab.components import Item
from placebolab.components.base import Model
from placebolab.errors import EffectsError
from placebolab.protocol.measures import measures
from placebolab.protocol.problems import Positions, Problem


class MeasureModel(Model):
    mean: float | dict[str, float] | None = Field(
        None, description="One mean, or a mean per cell id (`default` for the cells not named)."
    )
    sd: float | None = Field(None, gt=0)
    baseline: str | None = Field(None, description="Measure this one correlates with, e.g. itch_baseline.")
    r: float = Field(0.0, ge=-1, le=1)


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
        if name in self.measures:
            return self.measures[name]
        return next((m for pattern, m in self.measures.items() if fnmatch.fnmatchcase(name, pattern)), None)


def load_effects(path: str | Path | None, protocol) -> EffectsModel:
    if path is None:
        return EffectsModel()
    from placebolab.protocol.loader import validate_document
    from placebolab.protocol.yaml_source import read_limited, read_yaml

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
        if not any(fnmatch.fnmatchcase(m, pattern) for m in known):
            report(("measures", pattern), f"'{pattern}' matches no measure; measures: {', '.join(known)}")
        if isinstance(measure.mean, dict):
            for cell in measure.mean:
                if cell not in cells:
                    report(
                        ("measures", pattern, "mean", cell),
                        f"'{cell}' is not a cell; cells: {', '.join(sorted(cells))}",
                    )
        if measure.baseline and measure.baseline not in known:
            report(("measures", pattern, "baseline"), f"'{measure.baseline}' is not a measure")
    intake_ids = {f.id for f in protocol.intake}
    for field in model.intake:
        if field not in intake_ids:
            report(("intake", field), f"'{field}' is not an intake field; intake: {', '.join(intake_ids)}")
    return problems


class SimulatedParticipant:
    """One participant's answers: draws per measure, correlated with their own baseline where modelled."""

    def __init__(self, model: EffectsModel, protocol, cell_id: str, rng: np.random.Generator):
        self.model, self.cell_id, self.rng = model, cell_id, rng
        self._measures = measures(protocol)
        self._z: dict[str, float] = {}  # first standardised draw of each measure: what a later one correlates with

    def intake(self, protocol) -> dict:
        return {field.id: self._intake_value(field) for field in protocol.intake}

    def draw(self, name: str, item: Item) -> float:
        spec = self.model.for_measure(name) or MeasureModel()
        z = self._standard_draw(name, spec)
        self._z.setdefault(name, z)
        low, high = item.min, item.max
        mean = _cell_mean(spec.mean, self.cell_id, (low + high) / 2)
        sd = spec.sd if spec.sd is not None else (high - low) / 6
        value = min(max(mean + sd * z, low), high)
        step = item.step or 0.1  # a VAS is continuous; one decimal is finer than anyone can mark
        return round(low + round((value - low) / step) * step, 6)

    def _standard_draw(self, name: str, spec: MeasureModel) -> float:
        noise = float(self.rng.standard_normal())
        if not spec.baseline or spec.r == 0:
            return noise
        if spec.baseline not in self._z:
            self._z[spec.baseline] = float(self.rng.standard_normal())
        return spec.r * self._z[spec.baseline] + math.sqrt(1 - spec.r**2) * noise

    def _intake_value(self, field):
        spec = self.model.intake.get(field.id)
        if field.type == "choice":
            p = None
            if spec and spec.probabilities:
                weights = np.array([spec.probabilities.get(c, 0.0) for c in field.choices])
                p = weights / weights.sum()
            return str(self.rng.choice(field.choices, p=p))
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


def _cell_mean(mean, cell_id: str, midpoint: float) -> float:
    if mean is None:
        return midpoint
    if isinstance(mean, dict):
        return mean.get(cell_id, mean.get("default", midpoint))
    return mean
