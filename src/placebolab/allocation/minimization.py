"""Pocock–Simon minimization (Pocock & Simon 1975, Biometrics 31:103–115), with allocation ratios.

For a new participant with levels ``x_f`` of each balancing factor ``f``, and each candidate cell
``c``: add the participant to ``c`` hypothetically, take the counts of earlier participants sharing
``x_f`` in every cell divided by the cells' ratios, and measure their spread (range, or variance);
``G_c = Σ_f w_f · spread_f``. The cells with the least ``G`` are preferred: with probability
``p_preferred`` the participant goes to one of them (chosen at random when several tie), otherwise
to one of the other cells at random. When every cell ties, all are preferred.

The two random numbers of each allocation (``u``: preferred or not; ``v``: which one) are drawn at
init from the sealed seed and stored with the list slot they belong to, so the audit replays every
decision from the recorded history, and on PostgreSQL the experimenters cannot read them in advance.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

DEFAULT_P_PREFERRED = 0.8
TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Candidates:
    """The scores of one decision and the cells it may choose from."""

    scores: dict[str, float]
    preferred: list[str]
    others: list[str]

    def detail(self) -> str:
        return json.dumps({"scores": self.scores, "preferred": self.preferred, "others": self.others})


class Minimizer:
    """The minimization rule of one protocol: factors, weights, ratio, imbalance measure, p."""

    def __init__(self, allocation, cells: list[str]):
        self.factors = list(allocation.strata)
        self.weights = {f: float((allocation.weights or {}).get(f, 1.0)) for f in self.factors}
        self.ratio = {c: allocation.ratio_of(c) for c in cells}
        self.cells = list(cells)
        self.imbalance = allocation.imbalance or "range"
        self.p_preferred = allocation.p_preferred if allocation.p_preferred is not None else DEFAULT_P_PREFERRED

    def candidates(self, history: list[tuple[str, dict]], levels: dict) -> Candidates:
        """Score every cell for a participant with ``levels``, given ``history`` of (cell, levels) so far."""
        counts = {f: dict.fromkeys(self.cells, 0) for f in self.factors}
        for cell, earlier in history:
            for f in self.factors:
                if earlier.get(f) == levels.get(f) and cell in counts[f]:
                    counts[f][cell] += 1
        scores = {}
        for candidate in self.cells:
            total = 0.0
            for f in self.factors:
                standardized = [(counts[f][c] + (c == candidate)) / self.ratio[c] for c in self.cells]
                total += self.weights[f] * _spread(standardized, self.imbalance)
            scores[candidate] = round(total, 12)
        best = min(scores.values())
        preferred = [c for c in self.cells if scores[c] <= best + TIE_TOLERANCE]
        others = [c for c in self.cells if c not in preferred]
        return Candidates(scores, preferred, others)

    def choose(self, candidates: Candidates, u: float, v: float) -> str:
        """The cell chosen with the slot's random numbers ``u`` and ``v`` (both in [0, 1))."""
        return choose(candidates.preferred, candidates.others, self.p_preferred, u, v)


def choose(preferred: list[str], others: list[str], p_preferred: float, u: float, v: float) -> str:
    """With probability p (``u < p``) a preferred cell, else another; ``v`` picks among them.

    PostgreSQL's ``placebolab.allocate_minimized`` scores the cells and chooses the same way (store/postgres.sql,
    from the rule frozen in the study's meta at init); keep the two in step.
    """
    pool = preferred if (not others or u < p_preferred) else others
    return pool[min(int(math.floor(v * len(pool))), len(pool) - 1)]


def _spread(values: list[float], measure: str) -> float:
    if measure == "range":
        return max(values) - min(values)
    mean = sum(values) / len(values)
    return sum((x - mean) ** 2 for x in values) / (len(values) - 1)  # Pocock & Simon's variance (n − 1)


def levels_of(allocation, intake: dict) -> dict:
    return {f: intake.get(f) for f in allocation.strata}
