"""A between-subjects factorial design to plan: factors, cell means, sd, n per cell; and the effects tested.

Every effect is a set of contrasts on the cell means (cells in the order of ``itertools.product`` over the
factors' levels, the protocol's order). Main effects and interactions are the Type III hypotheses (sum-to-zero
coding: each factor outside the effect is averaged with equal weights), so they hold for unequal n too.
A simple effect is one factor at one level of another, averaged over the rest, tested against the error of
the whole model — emmeans' ``joint_tests(model, by = "other")``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from placebolab.errors import InternalError, PowerError


@dataclass(frozen=True)
class Effect:
    """One tested effect: its name (as in the ANOVA table), kind and contrast matrix (df × cells)."""

    name: str
    kind: str  # main | interaction | simple
    contrasts: np.ndarray

    @property
    def df(self) -> int:
        return self.contrasts.shape[0]


@dataclass(frozen=True)
class Design:
    """Cell means (flat, in cell order), the common sd, n per cell, and the factors (name → levels)."""

    factors: dict[str, list[str]]
    means: np.ndarray
    sd: float
    n: np.ndarray

    @property
    def cells(self) -> list[str]:
        return ["/".join(combo) for combo in itertools.product(*self.factors.values())]

    @property
    def n_total(self) -> int:
        return int(self.n.sum())

    def effects(self) -> list[Effect]:
        """Main effects, interactions (all orders), then simple effects of each factor at each level of each other."""
        names = list(self.factors)
        found = []
        for order in range(1, len(names) + 1):
            for subset in itertools.combinations(names, order):
                kind = "main" if order == 1 else "interaction"
                found.append(Effect(" * ".join(subset), kind, self._contrasts({f: "contrast" for f in subset})))
        for factor, other in itertools.permutations(names, 2):
            for index, level in enumerate(self.factors[other]):
                matrix = self._contrasts({factor: "contrast", other: index})
                found.append(Effect(f"{factor} at {other}={level}", "simple", matrix))
        return found

    def _contrasts(self, roles: dict[str, str | int]) -> np.ndarray:
        """Kronecker product over factors: a centred contrast basis, an indicator of one level, or the average."""
        matrix: np.ndarray = np.ones((1, 1))
        for name, levels in self.factors.items():
            k = len(levels)
            role = roles.get(name)
            if role == "contrast":
                part = np.eye(k)[:-1] - 1.0 / k  # rows e_i − 1/k: a basis of the sum-to-zero contrasts
            elif role is None:
                part = np.full((1, k), 1.0 / k)
            else:
                if not isinstance(role, int):
                    raise InternalError("a role is 'contrast' or a level's index")
                part = np.eye(k)[[role]]
            matrix = np.kron(matrix, part)
        return matrix


def make_design(cell_means, sd, n_per_cell, factors=None) -> Design:
    """Check and normalise the user's description of a design.

    ``cell_means`` is an array with one axis per factor (``factors``: optional names, or name → levels),
    or a mapping cell id → mean (``"warm/high"``) with ``factors`` giving name → levels.
    """
    factors, means = _factors_and_means(cell_means, factors)
    sd = _positive_sd(sd)
    cells = ["/".join(combo) for combo in itertools.product(*factors.values())]
    return Design(factors, means, sd, _n_per_cell(n_per_cell, factors, cells))


def _factors_and_means(cell_means, factors) -> tuple[dict[str, list[str]], np.ndarray]:
    if isinstance(cell_means, Mapping):
        if not isinstance(factors, Mapping):
            raise PowerError(
                "cell means given by cell id need factors=, e.g. "
                "factors={'warmth': ['warm', 'neutral'], 'competence': ['high', 'low']}"
            )
        factors = {str(k): [str(level) for level in v] for k, v in factors.items()}
        cells = ["/".join(combo) for combo in itertools.product(*factors.values())]
        missing = [c for c in cells if c not in cell_means]
        unknown = [str(c) for c in cell_means if c not in cells]
        if missing or unknown:
            parts = [f"no mean for {', '.join(missing)}"] if missing else []
            parts += [f"{', '.join(unknown)} not a cell of the design"] if unknown else []
            raise PowerError(
                f"cell means do not match the cells ({'; '.join(parts)}); the cells are {', '.join(cells)}"
            )
        means = np.array([_finite(cell_means[c], f"the mean of {c}") for c in cells])
        return factors, means
    try:
        array = np.asarray(cell_means, dtype=float)
    except (TypeError, ValueError):
        raise PowerError(
            f"cell means must be numbers (an array with one axis per factor), not {cell_means!r}"
        ) from None
    if array.ndim == 0 or any(k < 2 for k in array.shape):
        raise PowerError(
            f"cell means need one axis per factor with at least two levels each, e.g. [[20, 20], [20, 25]] "
            f"for a 2 × 2 design; got shape {array.shape}"
        )
    if not np.isfinite(array).all():
        raise PowerError("cell means must be finite numbers")
    names = list(factors) if factors is not None else [chr(ord("A") + i) for i in range(array.ndim)]
    if len(names) != array.ndim:
        raise PowerError(
            f"{len(names)} factors ({', '.join(map(str, names))}) but the cell means have {array.ndim} axes; "
            "give the means one axis per factor"
        )
    given = factors if isinstance(factors, Mapping) else {}
    levels = {}
    for name, k in zip(names, array.shape, strict=True):
        levels[str(name)] = [str(v) for v in given.get(name, [f"{name}{i + 1}" for i in range(k)])]
        if len(levels[str(name)]) != k:
            raise PowerError(f"factor {name} has {len(levels[str(name)])} levels but the cell means have {k}")
    return levels, array.ravel()


def _positive_sd(sd) -> float:
    value = _finite(sd, "sd")
    if value <= 0:
        raise PowerError(f"sd must be greater than 0 (the within-cell standard deviation), not {sd!r}")
    return value


def _finite(value, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PowerError(f"{what} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise PowerError(f"{what} must be a finite number, not {value!r}")
    return number


def _n_per_cell(n_per_cell, factors: dict[str, list[str]], cells: list[str]) -> np.ndarray:
    if isinstance(n_per_cell, Mapping):
        missing = [c for c in cells if c not in n_per_cell]
        if missing:
            raise PowerError(f"n_per_cell names no n for {', '.join(missing)}; the cells are {', '.join(cells)}")
        values = [n_per_cell[c] for c in cells]
    elif np.ndim(n_per_cell) == 0:
        values = [n_per_cell] * len(cells)
    else:
        values = list(np.ravel(n_per_cell))
        if len(values) != len(cells):
            raise PowerError(f"n_per_cell has {len(values)} values for {len(cells)} cells ({', '.join(cells)})")
    n = np.array([_whole(v) for v in values], dtype=np.int64)
    if (n < 1).any():
        raise PowerError(f"every cell needs at least 1 participant; n per cell given: {n.tolist()}")
    return n


def _whole(value) -> int:
    if isinstance(value, bool) or not float(value).is_integer():
        raise PowerError(f"n per cell must be a whole number, not {value!r}")
    return int(value)


def check_alpha(alpha) -> float:
    value = _finite(alpha, "alpha")
    if not 0 < value < 1:
        raise PowerError(f"alpha must lie strictly between 0 and 1 (e.g. 0.05), not {alpha!r}")
    return value


def check_baseline_r(baseline_r) -> float | None:
    if baseline_r is None:
        return None
    value = _finite(baseline_r, "baseline_r")
    if not -1 < value < 1:
        raise PowerError(
            f"baseline_r (outcome–baseline correlation) must lie strictly between -1 and 1, not {baseline_r!r}"
        )
    return value


def error_df(design: Design, covariates: int) -> int:
    """Residual degrees of freedom: N − cells − covariates; at least 1, else a PowerError naming the n needed."""
    cells = len(design.means)
    df = design.n_total - cells - covariates
    if df < 1:
        needed = cells + covariates + 1
        model = f"{cells} cells" + (" and a baseline covariate" if covariates else "")
        per_cell = math.ceil(needed / cells)
        raise PowerError(
            f"n too small: the model of {model} needs N ≥ {needed} participants (e.g. {per_cell} per cell) "
            f"for an error degree of freedom; N = {design.n_total}"
        )
    return df
