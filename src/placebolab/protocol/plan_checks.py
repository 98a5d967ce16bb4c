"""Checks of the plan as each cell lives it: marks a cell's scheduled steps need, and analyses the plan
asks for that the analysis code would refuse on design grounds (found at validate, not in the report)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from placebolab.components import StepBase
from placebolab.document.problems import DocPath, Problem, Report
from placebolab.protocol.comparisons import check_post_hoc, resolve_contrast
from placebolab.protocol.hypotheses import check_hypotheses
from placebolab.protocol.measures import measurement, resolve
from placebolab.protocol.schedule import Locate

if TYPE_CHECKING:
    from placebolab.protocol.models import AnalysisPlan, Mediation, Outcome, Protocol, SimpleEffect

BUILT_IN_MARKS = ("start",)  # set by the session itself when it begins (session/engine.py)


def check_plan(protocol: Protocol, report: Report) -> None:
    _marks_per_cell(protocol, report)
    _analysis_design(protocol, report)


def plan_warnings(protocol: Protocol, locate: Locate) -> list[Problem]:
    """What the plan asks for that the analysis will run otherwise than written (``validate`` prints them;
    they do not fail it): a change from baseline of an outcome and a baseline on different scales."""
    plan = protocol.analysis
    if plan is None or plan.primary.baseline is None:
        return []
    outcome, baseline = resolve(protocol, plan.primary.outcome), resolve(protocol, plan.primary.baseline)
    if outcome is None or baseline is None or measurement(protocol, plan.primary.outcome) != "continuous":
        return []  # no change score: a categorical outcome has none (analysis/plan.py)
    ranges = [(m.min, m.max) for m in (outcome, baseline)]
    if None in (*ranges[0], *ranges[1]) or ranges[0] == ranges[1]:
        return []
    named = (plan.primary.outcome, plan.primary.baseline)
    shown = [f"'{name}' ranges {low:g}–{high:g} ({_scale_line(protocol, m.step, locate)})"
             for name, m, (low, high) in zip(named, (outcome, baseline), ranges, strict=True)]  # fmt: skip
    return [locate(("analysis", "primary", "baseline"), (
        f"{shown[0]} and its baseline {shown[1]}: on different scales, their difference is no change from baseline, "
        f"so the analysis will not compute it ({named[0]} − {named[1]}); the primary analysis (ANCOVA) still "
        f"adjusts for {named[1]}, as a covariate may be on any scale. Rate both on the same scale for a change score"
    ))]  # fmt: skip


def _scale_line(protocol: Protocol, step: StepBase, locate: Locate) -> str:
    """``scale of step pain_post, line 66``: where the step sets the scale (or the step itself, whose
    questionnaire items or instrument do)."""
    index = next(i for i, s in enumerate(protocol.timeline) if s is step)
    line = locate(("timeline", index, "scale"), "").line
    return f"scale of step {step.id}" + (f", line {line}" if line is not None else "")


def _shown_to(step: StepBase, cell_id: str) -> bool:
    return not step.cells or cell_id in step.cells


def _marks_per_cell(protocol: Protocol, report: Report) -> None:
    """Every mark a scheduled step is timed from is set, in each cell that sees the step, by an earlier step
    that cell also sees. (A mark set by no earlier step at all is ``checks._timeline_references``' to report.)"""
    set_at = {step.mark: index for index, step in enumerate(protocol.timeline) if step.mark}
    cells = [cell.id for cell in protocol.cells]
    for index, step in enumerate(protocol.timeline):
        reported = set()
        for at_index, when in enumerate(step.occasions):
            if when is None or when.mark in BUILT_IN_MARKS or when.mark in reported:
                continue
            setter = set_at.get(when.mark)
            if setter is None or setter >= index:
                continue  # not set earlier in any cell: reported with the timeline's references
            marker = protocol.timeline[setter]
            lacking = [c for c in cells if _shown_to(step, c) and not _shown_to(marker, c)]
            if lacking:
                reported.add(when.mark)
                report(
                    ("timeline", index, "at", at_index),
                    f"mark '{when.mark}' is never set in cell{'s' if len(lacking) > 1 else ''} {', '.join(lacking)}: "
                    f"timeline[{setter}] ({marker.id}) sets it but is shown only to {', '.join(marker.cells or [])}, "
                    f"while {step.id} is shown to {', '.join(step.cells) if step.cells else 'every cell'}; "
                    f"show {marker.id} in those cells too, or give {step.id} `cells: [{', '.join(marker.cells or [])}]`",
                )


def _analysis_design(protocol: Protocol, report: Report) -> None:
    """Each analysis of the plan is one the analysis code runs on this design (``analysis/*.py`` refuse the
    rest with "Not analysed" in the report). References that do not resolve are reported by ``checks.py``."""
    plan = protocol.analysis
    if plan is None:
        return
    outcomes: list[tuple[DocPath, Outcome]] = [(("analysis", "primary"), plan.primary)]
    outcomes += [(("analysis", "secondary", i), outcome) for i, outcome in enumerate(plan.secondary)]
    primary_ok, *_ = [_outcome(protocol, report, path, outcome) for path, outcome in outcomes]
    for index, check in enumerate(plan.manipulation_checks):
        path = ("analysis", "manipulation_checks", index)
        _covered(protocol, report, (*path, "measure"), [check.measure], [check.factor], "the check compares")
    for index, simple in enumerate(plan.simple_effects):
        if primary_ok:  # else the primary outcome's problem is what to fix
            _simple_effect(protocol, report, ("analysis", "simple_effects", index), simple, plan.primary)
    for index, mediation in enumerate(plan.mediation):
        _mediation(protocol, report, ("analysis", "mediation", index), mediation)
    _comparisons(protocol, plan, report)
    for sub, message in check_hypotheses(protocol):
        report(("analysis", *sub), message)
    if plan.adjust_for_strata:
        _strata_adjustment(protocol, report)
    if plan.time_course.random_slope and primary_ok:
        _random_slope(protocol, report, plan.primary)


def _random_slope(protocol: Protocol, report: Report, primary: Outcome) -> None:
    """A random slope for time needs 3+ occasions: with 2, its variance and the residual's are one number."""
    measure = resolve(protocol, primary.outcome)
    occasions = len(measure.occasion_labels) if measure is not None else 0
    if occasions < 3:
        report(("analysis", "time_course", "random_slope"),
               f"a random slope for time needs at least 3 occasions of the primary outcome; "
               f"'{primary.outcome}' has {occasions}, so its slope variance could not be told apart from the "
               "residual variance (lme4 refuses such a model too); remove random_slope or add occasions")  # fmt: skip


def _comparisons(protocol: Protocol, plan: AnalysisPlan, report: Report) -> None:
    """`contrasts:` name two levels of one factor or two cells/arms each; `post_hoc:` a factor of 3+ levels."""
    for index, contrast in enumerate(plan.contrasts):
        for sub, message in resolve_contrast(protocol, contrast)[1]:
            report(("analysis", "contrasts", index, *sub), message)
    for index, post_hoc in enumerate(plan.post_hoc):
        for sub, message in check_post_hoc(protocol, post_hoc):
            report(("analysis", "post_hoc", index, *sub), message)


def _strata_adjustment(protocol: Protocol, report: Report) -> None:
    """``adjust_for_strata`` needs strata the export holds: fields of the allocation, not identifying."""
    path = ("analysis", "adjust_for_strata")
    strata = protocol.allocation.strata
    if not strata:
        report(path, "the allocation has no strata to adjust for: name them in `allocation: strata: [...]`, "
                     "or remove adjust_for_strata")  # fmt: skip
        return
    for name in strata:
        field = next((f for f in protocol.intake if f.id == name), None)
        if field is not None and field.identifying:
            report(path, f"stratum '{name}' is an identifying intake field, never exported, so the analysis "
                         "cannot adjust for it; stratify by a field that is not identifying")  # fmt: skip


def _outcome(protocol: Protocol, report: Report, path: DocPath, outcome: Outcome) -> bool:
    between = outcome.between or list(protocol.factors)
    if not _distinct(report, [(*path, "between", i) for i in range(len(between))], between, "between"):
        return False
    if outcome.baseline is not None and outcome.baseline == outcome.outcome:
        report((*path, "baseline"), f"'{outcome.baseline}' is the outcome itself; a baseline is measured before it")
        return False
    fix = "or leave the factor out of `between`"
    if not _covered(protocol, report, (*path, "outcome"), [outcome.outcome], between, "the analysis compares", fix):
        return False
    refs = [outcome.outcome, outcome.baseline] if outcome.baseline else []
    if not _covered(protocol, report, (*path, "baseline"), refs, between, "the analysis compares", fix):
        return False
    return _evidence(protocol, report, path, outcome, between)


def _evidence(protocol: Protocol, report: Report, path: DocPath, outcome: Outcome, between: list[str]) -> bool:
    """An equivalence test or Bayes factor needs a continuous outcome and a two-level factor to compare; a raw
    bound must fit inside the outcome's scale."""
    asked = [key for key in ("equivalence", "bayes_factor") if getattr(outcome, key)]
    measure = resolve(protocol, outcome.outcome)
    if not asked or measure is None:
        return True
    kind = measurement(protocol, outcome.outcome)
    if kind != "continuous":
        report(
            (*path, asked[0]),
            f"'{outcome.outcome}' is {kind} (its scale's `measurement`), and equivalence tests and "
            "Bayes factors compare means of a continuous outcome; leave this out, or give the scale "
            "`measurement: continuous`",
        )
        return False
    if not any(len(protocol.factors[f].levels) == 2 for f in between if f in protocol.factors):
        report(
            (*path, asked[0]),
            f"equivalence tests and Bayes factors compare the two levels of a factor, and none of {', '.join(between)} "
            "has two levels",
        )
        return False
    bound = outcome.equivalence
    low, high = measure.min, measure.max
    if bound is not None and bound.units == "raw" and low is not None and high is not None:
        if bound.bound >= high - low:
            report(
                (*path, "equivalence", "bound"),
                f"a bound of {bound.bound:g} is as wide as the whole scale of '{outcome.outcome}' "
                f"({low:g}–{high:g}); give the smallest difference that matters, in its units "
                "(or `units: d` for Cohen's d)",
            )
            return False
    return True


def _simple_effect(protocol: Protocol, report: Report, path: DocPath, simple: SimpleEffect, primary: Outcome) -> None:
    factors = [simple.effect, *simple.by]
    if simple.effect in simple.by:
        index = simple.by.index(simple.effect)
        report((*path, "by", index), f"'{simple.effect}' is the tested factor (`effect`); `by` names the others")
        return
    if not _distinct(report, [(*path, "by", i) for i in range(len(simple.by))], simple.by, "by"):
        return
    refs = [primary.outcome, *([primary.baseline] if primary.baseline else [])]
    _covered(protocol, report, path, refs, factors, "the simple effects (of the primary outcome) compare")


def _mediation(protocol: Protocol, report: Report, path: DocPath, med: Mediation) -> None:
    roles = [("x", med.x), *[(("covariates", i), c) for i, c in enumerate(med.covariates)]]
    roles += [("m", med.m), ("y", med.y), *([("moderator", med.moderator)] if med.moderator else [])]
    names = [name for _, name in roles]
    paths = [(*path, *(key if isinstance(key, tuple) else (key,))) for key, _ in roles]
    if not _distinct(report, paths, names, "x, m, y, covariates and moderator"):
        return
    factors = []
    for (key, name), where in zip(roles, paths, strict=True):
        if name in protocol.factors:
            factors.append(name)
            levels = protocol.factors[name].levels
            if len(levels) != 2:
                report(where, _two_levels(name, levels, key if isinstance(key, str) else "covariates"))
    refs = [name for name in names if name not in protocol.factors]
    _covered(protocol, report, path, refs, factors, "the mediation analysis compares")


_TWO_LEVEL_ADVICE = {
    "x": "mediate a two-level factor, or run placebolab.analysis.mediation in Python on the rows of two of its "
    "levels (or on a numeric contrast of them)",
    "covariates": "leave it out of the covariates (randomisation balances it), or adjust for it in Python with "
    "dummy codes",
    "moderator": "moderate by a two-level factor, or run placebolab.analysis.mediation in Python on two of its levels",
}


def _two_levels(name: str, levels: list[str], role: str) -> str:
    what = {"x": "x", "covariates": "a factor covariate", "moderator": "the moderator"}[role]
    return (
        f"mediation codes {what} as 1 (its first level) vs 0 (its second), so it must be a two-level factor; "
        f"'{name}' has {len(levels)} levels ({', '.join(levels)}): {_TWO_LEVEL_ADVICE[role]}"
    )


def _distinct(report: Report, paths: list[DocPath], names: list[str], what: str) -> bool:
    """Refuse a name given twice (the analysis refuses a model naming one column twice), where it is repeated."""
    for index, name in enumerate(names):
        if name in names[:index]:
            report(paths[index], f"'{name}' is named twice in {what}; name each once")
            return False
    return True


def _covered(
    protocol: Protocol, report: Report, path: DocPath, refs: list[str], factors: list[str], what: str, fix: str = ""
) -> bool:
    """Every combination of ``factors``' levels has participants with every measure of ``refs`` (the steps'
    ``cells:`` may leave some out); else the analysis would find an empty cell, or silently drop a level."""
    found = [resolve(protocol, ref) for ref in refs]
    if any(measure is None for measure in found) or any(f not in protocol.factors for f in factors):
        return True  # an unknown reference: checks.py reports it
    steps = [measure.step for measure in found if measure is not None]
    cells = [c for c in protocol.cells if not c.arm and all(_shown_to(step, c.id) for step in steps)]
    seen = {tuple(c.levels[f] for f in factors) for c in cells}
    missing = [
        combo for combo in itertools.product(*(protocol.factors[f].levels for f in factors)) if combo not in seen
    ]
    if not missing:
        return True
    named = " and ".join(filter(None, [", ".join(f"'{ref}'" for ref in refs[:-1]), f"'{refs[-1]}'"]))
    restricted = "; ".join(
        sorted({f"{step.id} is shown only to {', '.join(step.cells)}" for step in steps if step.cells})
    )
    where = ", ".join(f"{f}={level}" for f, level in zip(factors, missing[0], strict=True)) or "any cell"
    more = f" (and {len(missing) - 1} more combinations)" if len(missing) > 1 else ""
    across = f"level of {factors[0]}" if len(factors) == 1 else f"combination of {' × '.join(factors)}"
    report(
        path,
        f"{named} {'is' if len(refs) == 1 else 'are'} not measured in every {across} {what}: "
        f"no participant with {where}{more} would have {'it' if len(refs) == 1 else 'them all'}, as {restricted}; "
        f"show the step in those cells{', ' + fix if fix else ''}",
    )
    return False
