"""The plan's `hypotheses:` resolved against the design: each names the one test that decides it.

A hypothesis is decided by a test the analysis runs anyway, so the preregistration (``placebolab
prereg``) can say which line of the report answers it: the main effect of a factor of its outcome's
model, the interaction ``a * b`` of two of them, or a comparison ``a - b`` the plan lists under
``contrasts:`` for that outcome (a comparison not planned would not be in the report).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from placebolab.protocol.comparisons import Problems, plan_outcome, resolve_contrast, split_comparison
from placebolab.protocol.measures import resolve

if TYPE_CHECKING:
    from placebolab.protocol.models import AnalysisPlan, Hypothesis, Protocol


@dataclass(frozen=True)
class Decision:
    """What decides a hypothesis: ``kind`` main effect, interaction or comparison, on ``outcome``."""

    outcome: str
    kind: str  # "main effect", "interaction" or "comparison"
    factors: tuple[str, ...]  # the factor(s) of an effect; the factor compared (or "cell") of a comparison
    pair: tuple[str, str] | None = None  # a comparison's levels or cells, as the contrast lists them

    @property
    def term(self) -> str:
        """``warmth``, ``warmth * competence`` or ``augmented - limited``, as the report names it."""
        if self.pair is not None:
            return f"{self.pair[0]} - {self.pair[1]}"
        return " * ".join(self.factors)


def resolve_hypothesis(protocol: Protocol, hypothesis: Hypothesis) -> tuple[Decision | None, Problems]:
    """The test deciding ``hypothesis``, or the problems (sub-path within the entry, message)."""
    plan: AnalysisPlan | None = protocol.analysis
    if plan is None:
        return None, [((), "hypotheses are part of the analysis plan")]
    outcome = plan_outcome(plan, hypothesis.outcome)
    if outcome is None:
        known = ", ".join([plan.primary.outcome, *[o.outcome for o in plan.secondary]])
        return None, [
            (
                ("outcome",),
                f"'{hypothesis.outcome}' is not an outcome of the plan; outcomes: {known} (default: the primary)",
            )
        ]
    between = outcome.between or list(protocol.factors)
    if any(f not in protocol.factors for f in between) or resolve(protocol, outcome.outcome) is None:
        return None, []  # an unknown factor or measure of the outcome: checks.py reports it, once
    text = hypothesis.test.replace("×", "*").strip()
    if "*" in text:
        factors = tuple(part.strip() for part in text.split("*"))
        unknown = [f for f in factors if f not in between]
        if unknown or len(factors) != 2 or factors[0] == factors[1]:
            return None, [(("test",), _unreadable(hypothesis.test, outcome.outcome, between))]
        return Decision(outcome.outcome, "interaction", factors), []
    if text in between:
        return Decision(outcome.outcome, "main effect", (text,)), []
    return _comparison(protocol, plan, hypothesis, outcome.outcome, between)


def _comparison(
    protocol: Protocol, plan: AnalysisPlan, hypothesis: Hypothesis, outcome: str, between: list[str]
) -> tuple[Decision | None, Problems]:
    cells = [cell.id for cell in protocol.cells]
    names = [*{level for f in between for level in protocol.factors[f].levels}, *cells]
    pair = split_comparison(hypothesis.test, names)
    if pair is None:
        return None, [(("test",), _unreadable(hypothesis.test, outcome, between))]
    for contrast in plan.contrasts:
        if (contrast.outcome or plan.primary.outcome) != outcome:
            continue
        resolved, problems = resolve_contrast(protocol, contrast)
        if resolved is None or problems:
            continue  # reported at the contrast
        if pair in resolved.pairs:
            return Decision(outcome, "comparison", (resolved.on,), pair), []
        if pair[::-1] in resolved.pairs:
            return None, [(("test",), (
                f"the plan's contrasts compare '{pair[1]} - {pair[0]}'; write the test the same way round, so "
                "that the direction of the difference the report gives is the hypothesis's"
            ))]  # fmt: skip
    of = "" if outcome == plan.primary.outcome else f", outcome: {outcome}"
    return None, [(("test",), (
        f"'{hypothesis.test}' is not among the planned comparisons of {outcome}; a comparison that decides a "
        f"hypothesis must be planned: add `contrasts: [{{compare: [{pair[0]} - {pair[1]}]{of}}}]`"
    ))]  # fmt: skip


def _unreadable(test: str, outcome: str, between: list[str]) -> str:
    factors = ", ".join(between)
    return (
        f"'{test}' must name a test of {outcome}: a factor of its model ({factors}) for its main effect, two of "
        "them as 'a * b' for their interaction, or a planned comparison 'a - b' (listed under `contrasts:`)"
    )


def check_hypotheses(protocol: Protocol) -> Problems:
    """Every problem of the plan's hypotheses, with paths from ``analysis``: ids given once, tests resolvable."""
    plan = protocol.analysis
    if plan is None:
        return []
    problems: Problems = []
    seen: set[str] = set()
    for index, hypothesis in enumerate(plan.hypotheses):
        if hypothesis.id in seen:
            problems.append(
                (("hypotheses", index, "id"), f"'{hypothesis.id}' is used twice; give each hypothesis its own id")
            )
        seen.add(hypothesis.id)
        problems += [
            (("hypotheses", index, *sub), message) for sub, message in resolve_hypothesis(protocol, hypothesis)[1]
        ]
    return problems
