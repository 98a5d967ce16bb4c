"""The plan's `contrasts:` and `post_hoc:` resolved against the design, with what is wrong where.

A contrast entry compares two levels of one factor of its outcome (marginal means, over the
factorial's cells) or, as soon as it names an arm outside the factorial or a cell such as
``warm/high``, two cells: then every cell and arm enters one model (the arm comparisons of a
multi-arm trial). The export writes the resolution (``on``, ``pairs``) into codebook.json, so the
analysis never guesses.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from placebolab.document.problems import DocPath
from placebolab.errors import InternalError
from placebolab.protocol.measures import measurement, resolve

if TYPE_CHECKING:
    from placebolab.protocol.models import AnalysisPlan, Cell, Contrast, Outcome, PostHoc, Protocol

CELLS = "cell"  # `on` of an entry comparing cells and arms: the column of wide.csv naming them
INTERACTION_PADJUST = ("holm", "bonferroni", "none")

#: what is wrong with an entry: (sub-path within the entry, message)
Problems = list[tuple[DocPath, str]]


@dataclass(frozen=True)
class Resolved:
    on: str  # the factor whose marginal means are compared, or CELLS
    pairs: list[tuple[str, str]]


def split_comparison(text: str, names: Collection[str]) -> tuple[str, str] | None:
    """``"augmented - limited"`` → ``("augmented", "limited")``; a name may itself contain a hyphen.
    (The analysis has the same rule in ``analysis/contrasts.py``; it may not import the protocol.)"""
    normal = str(text).replace("−", "-")
    splits = [
        (normal[:i].strip(), normal[i + 1 :].strip())
        for i, char in enumerate(normal)
        if char == "-" and normal[:i].strip() in names and normal[i + 1 :].strip() in names
    ]
    return splits[0] if len(splits) == 1 else None


def plan_outcome(plan: AnalysisPlan, name: str | None) -> Outcome | None:
    """The plan's outcome an entry applies to (the primary when ``name`` is None), or None."""
    if name is None or name == plan.primary.outcome:
        return plan.primary
    return next((o for o in plan.secondary if o.outcome == name), None)


def _outcome_problem(protocol: Protocol, plan: AnalysisPlan, name: str | None) -> Problems:
    outcome = plan_outcome(plan, name)
    if outcome is None:
        known = ", ".join([plan.primary.outcome, *[o.outcome for o in plan.secondary]])
        return [(("outcome",), f"'{name}' is not an outcome of the plan; outcomes: {known} (default: the primary)")]
    kind = measurement(protocol, outcome.outcome)
    if kind in ("binary", "ordinal"):  # comparisons of means would treat its category codes as numbers
        model = "logistic regression" if kind == "binary" else "proportional-odds model"
        return [(("outcome",) if name else (), f"'{outcome.outcome}' is {kind}, and these comparisons are of means; its {model} in the "
                     "report already compares the levels as odds ratios. Compare a continuous outcome, or give the "
                     "scale `measurement: continuous`")]  # fmt: skip
    return []


def resolve_contrast(protocol: Protocol, contrast: Contrast) -> tuple[Resolved | None, Problems]:
    """The entry's comparisons, or the problems (sub-path within the entry, message)."""
    plan = protocol.analysis
    if plan is None:
        raise InternalError("a contrast is an entry of the protocol's analysis plan")
    problems = _outcome_problem(protocol, plan, contrast.outcome)
    if problems:
        return None, problems
    outcome = plan_outcome(plan, contrast.outcome)
    if outcome is None:
        raise InternalError("_outcome_problem found it")
    between = outcome.between or list(protocol.factors)
    cells = {cell.id: cell for cell in protocol.cells}
    levels = {level: f for f in between for level in protocol.factors[f].levels}
    names = [*levels, *cells]
    pairs: list[tuple[str, str]] = []
    for index, text in enumerate(contrast.compare):
        pair = split_comparison(text, names)
        if pair is None:
            return None, [(("compare", index), _unreadable(text, protocol, between))]
        if pair[0] == pair[1]:
            return None, [(("compare", index), f"'{text}' compares '{pair[0]}' with itself")]
        pairs.append(pair)
    on = _common_factor(pairs, between, protocol, cells)
    if on is None:  # cells and arms: every name must be one, and measured there
        for index, pair in enumerate(pairs):
            for name in pair:
                if name not in cells:
                    return None, [(("compare", index), _not_a_cell(name, levels, cells, contrast.compare[index]))]
            unmeasured = _unmeasured(protocol, outcome, pair)
            if unmeasured:
                return None, [(("compare", index), unmeasured)]
    if len(set(pairs)) < len(pairs):
        index = next(i for i, p in enumerate(pairs) if p in pairs[:i])
        return None, [(("compare", index), f"'{contrast.compare[index]}' is listed twice; list each comparison once")]
    return Resolved(on or CELLS, pairs), []


def _common_factor(
    pairs: list[tuple[str, str]], between: list[str], protocol: Protocol, cells: dict[str, Cell]
) -> str | None:
    """The factor of the outcome holding both levels of every pair, unless an arm or a cell id is named."""
    arms = {c for c, cell in cells.items() if cell.arm}
    if any(name in arms for pair in pairs for name in pair):
        return None
    for factor in between:
        if all(a in protocol.factors[factor].levels and b in protocol.factors[factor].levels for a, b in pairs):
            return factor
    return None


def _unreadable(text: str, protocol: Protocol, between: list[str]) -> str:
    levels = "; ".join(f"{f}: {', '.join(protocol.factors[f].levels)}" for f in between)
    cells = ", ".join(c.id for c in protocol.cells)
    return f"'{text}' must read 'a - b' with a and b two levels of one factor ({levels}) or two cells or arms ({cells})"


def _not_a_cell(name: str, levels: dict[str, str], cells: dict[str, Cell], text: str) -> str:
    arms = ", ".join(c for c, cell in cells.items() if cell.arm)
    factorial = ", ".join(c for c, cell in cells.items() if not cell.arm)
    return (
        f"'{text}' names an arm ({arms}), so it compares cells, and '{name}' is a level of {levels[name]}, not a "
        f"cell; compare it with a cell of the factorial ({factorial}) or another arm"
    )


def _unmeasured(protocol: Protocol, outcome: Outcome, pair: Sequence[str]) -> str | None:
    for ref in [outcome.outcome, *([outcome.baseline] if outcome.baseline else [])]:
        measure = resolve(protocol, ref)
        if measure is None:
            return None  # an unknown reference: checks.py reports it
        step = measure.step
        if not step.cells:  # shown in every cell
            continue
        missing = [name for name in pair if name not in step.cells]
        if missing:
            return (
                f"'{ref}' is not measured in {missing[0]} ({step.id} is shown only to {', '.join(step.cells)}), so "
                f"{missing[0]} cannot be compared on it; compare cells that see {step.id}, or show it in {missing[0]}"
            )
    return None


def check_post_hoc(protocol: Protocol, post_hoc: PostHoc) -> Problems:
    """What is wrong with one `post_hoc` entry (sub-path within the entry, message); [] when it can run."""
    plan = protocol.analysis
    if plan is None:
        raise InternalError("a post_hoc entry is an entry of the protocol's analysis plan")
    problems = _outcome_problem(protocol, plan, post_hoc.outcome)
    if problems:
        return problems
    outcome = plan_outcome(plan, post_hoc.outcome)
    if outcome is None:
        raise InternalError("_outcome_problem found it")
    between = outcome.between or list(protocol.factors)
    factors = [name.strip() for name in post_hoc.effect.replace("×", "*").split("*")]
    if factors == [CELLS]:
        return _cells_problems(protocol, post_hoc, outcome)
    for name in factors:
        if name not in between:
            where = "the outcome's factors" if name in protocol.factors else "the factors"
            return [(("effect",), f"'{name}' is not among {where} ({', '.join(between)})")]
    if len(factors) == 2:
        return _interaction_problems(post_hoc, factors)
    if len(factors) != 1:
        return [(("effect",), f"'{post_hoc.effect}' must be one factor, or two as 'a * b' (interaction contrasts)")]
    levels = protocol.factors[factors[0]].levels
    if len(levels) < 3:
        return [(("effect",), (
            f"'{factors[0]}' has two levels ({', '.join(levels)}): its F test is its one comparison; post-hoc tests "
            "are for a factor with three or more levels (or 'a * b' for interaction contrasts)"
        ))]  # fmt: skip
    return _level_problems(post_hoc, factors[0], levels)


def _cells_problems(protocol: Protocol, post_hoc: PostHoc, outcome: Outcome) -> Problems:
    """`effect: cell`: every cell and arm in one model; each must measure the outcome."""
    cells = [cell.id for cell in protocol.cells]
    if len(cells) < 3:
        return [(("effect",), f"the design has two cells ({', '.join(cells)}): the F test is their one comparison")]
    for cell in cells:
        unmeasured = _unmeasured(protocol, outcome, (cell,))
        if unmeasured:
            fix = "`effect: cell` compares every cell and arm; list the comparisons of the cells that measure it under `contrasts:`"
            return [(("effect",), f"{unmeasured.split('; compare')[0]}; {fix}")]
    return _level_problems(post_hoc, "the cells and arms", cells)


def _level_problems(post_hoc: PostHoc, what: str, levels: list[str]) -> Problems:
    if post_hoc.control is not None and post_hoc.control not in levels:
        of = "one of" if what.startswith("the ") else "a level of"
        return [(("control",), f"'{post_hoc.control}' is not {of} {what} ({', '.join(levels)})")]
    if post_hoc.padjust == "tukey" and post_hoc.control is not None:
        return [(("padjust",), "tukey compares every pair of levels; with a control use dunnett (or holm)")]
    if post_hoc.padjust == "dunnett" and post_hoc.control is None:
        return [(("padjust",), f"dunnett compares each level with a control: add `control:` ({', '.join(levels)})")]
    return []


def _interaction_problems(post_hoc: PostHoc, factors: list[str]) -> Problems:
    if factors[0] == factors[1]:
        return [(("effect",), f"'{post_hoc.effect}' names {factors[0]} twice; an interaction has two factors")]
    if post_hoc.padjust not in INTERACTION_PADJUST:
        return [(("padjust",), (
            f"interaction contrasts are adjusted with {', '.join(INTERACTION_PADJUST)}; {post_hoc.padjust} is for "
            "the levels of one factor"
        ))]  # fmt: skip
    if post_hoc.control is not None:
        return [(("control",), "interaction contrasts compare every pair of both factors' levels; remove `control`")]
    return []
