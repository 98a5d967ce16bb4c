"""Checks beyond types: files exist, templates render in every cell, references resolve, designs add up."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from placebolab.components import MediaStep
from placebolab.components.templating import TemplateRefused
from placebolab.document.problems import DocPath, Problem, Report
from placebolab.protocol.files import OutsideStimuli, ReadFile, stimulus_key
from placebolab.protocol.measures import measures, resolve
from placebolab.protocol.models import Allocation, Protocol
from placebolab.protocol.plan_checks import check_plan
from placebolab.protocol.templates import check_templates
from placebolab.protocol.written_text import Names, check_written_files, check_written_texts

Locate = Callable[[DocPath, str], Problem]


def check_protocol(
    protocol: Protocol,
    read_file: ReadFile,
    locate: Locate,
    *,
    frozen: bool = False,
    template_findings: bool = True,
    media_probes: Mapping[str, dict[str, Any]] | None = None,
    document: Any = None,
) -> list[Problem]:
    """Every problem of a validated protocol beyond its types. ``document``: the protocol as written (its
    texts are checked where they are written, not where a validator copied them)."""
    problems: list[Problem] = []

    def report(path: DocPath, message: str) -> None:
        problems.append(locate(tuple(path), message))

    for check in (_unique_ids, _intake, _arms, _allocation, _timeline_references, _analysis_plan):
        check(protocol, report)
    if not frozen:  # newer than some studies' protocols: such a study must still open (see parse_protocol)
        check_plan(protocol, report)
    _load_sources(protocol, read_file, report)
    if not frozen:  # a study whose texts showed template syntax before this check must still open
        if document is not None:
            check_written_texts(Protocol, document, Names.of(protocol), report)
        check_written_files(protocol, report)
    _load_media(protocol, read_file, report, media_probes)
    check_templates(
        protocol, report, template_findings and not frozen
    )  # each script whose file was read, with the rest
    return problems


MARK_CUTOFF = 0.5  # marks are short: 'to' for 't0' (or 'T0') is one character in two off, and still meant


def _suggest(value: object, options: Iterable[object], cutoff: float = 0.6) -> str:
    """``"did you mean 'itch_post'? "`` when ``value`` looks like a misspelling of one of ``options``."""
    guess = difflib.get_close_matches(str(value), [str(o) for o in options], n=1, cutoff=cutoff)
    return f"did you mean '{guess[0]}'? " if guess else ""


def _unique_ids(protocol: Protocol, report: Report) -> None:
    seen: dict[str, int] = {}
    for index, step in enumerate(protocol.timeline):
        if step.id in seen:
            report(
                ("timeline", index, "id"),
                f"step id '{step.id}' is already used by timeline[{seen[step.id]}]; ids must be unique",
            )
        seen.setdefault(step.id, index)
    marks: dict[str, int] = {}
    for index, step in enumerate(protocol.timeline):
        if step.mark and step.mark in marks:
            report(("timeline", index, "mark"), f"mark '{step.mark}' is already set by timeline[{marks[step.mark]}]")
        if step.mark == "start":
            report(("timeline", index, "mark"), "'start' is the session's own start mark; choose another name, e.g. t0")
        if step.mark:
            marks.setdefault(step.mark, index)


def _intake(protocol: Protocol, report: Report) -> None:
    seen = set()
    reserved = set(protocol.factors) | {"cell", "arm"}
    for index, field in enumerate(protocol.intake):
        path = ("intake", index)
        if field.id in seen:
            report((*path, "id"), f"intake field '{field.id}' appears twice")
        seen.add(field.id)
        if field.id in reserved:
            report((*path, "id"), f"'{field.id}' is a factor name (or reserved); rename the intake field")
        if field.type == "choice" and not field.choices:
            report(path, "a choice field needs `choices`, e.g. choices: [female, male, diverse]")
        if field.type != "choice" and field.choices:
            report((*path, "choices"), f"`choices` goes with type: choice, not {field.type}")
        if field.min is not None and field.max is not None and field.min > field.max:
            report((*path, "min"), f"min ({field.min:g}) is above max ({field.max:g})")
        if field.example is not None and (field.type != "choice" or field.choices):  # else: reported just above
            try:
                field.check(field.example)
            except ValueError as exc:
                report((*path, "example"), f"example: {exc}")


def _arms(protocol: Protocol, report: Report) -> None:
    for name, arm in protocol.arms.items():
        if name in {cell.id for cell in protocol.cells if not cell.arm}:
            report(("arms", name), f"arm '{name}' has the name of a factorial cell; rename it")
        for factor, level in arm.levels.items():
            if factor not in protocol.factors:
                report(
                    ("arms", name, "levels", factor),
                    f"'{factor}' is not a factor; factors: {', '.join(protocol.factors)}",
                )
            elif level not in protocol.factors[factor].levels:
                report(
                    ("arms", name, "levels", factor),
                    f"'{level}' is not a level of {factor}: {', '.join(protocol.factors[factor].levels)}",
                )


def _allocation(protocol: Protocol, report: Report) -> None:
    allocation = protocol.allocation
    path = ("allocation",)
    _allocation_ratio(protocol, report)
    n_cells = sum(allocation.ratio_of(c.id) for c in protocol.cells)  # a block holds each cell ratio times
    unit = f"{n_cells} cells" if not allocation.ratio else f"{n_cells} (the sum of the ratio)"
    if allocation.scheme == "permuted-blocks":
        if not allocation.block_sizes:
            report(
                path,
                f"permuted-blocks needs `block_sizes`, multiples of the {unit}, e.g. [{n_cells}, {2 * n_cells}]",
            )
        for index, size in enumerate(allocation.block_sizes or []):
            if size <= 0 or size % n_cells:
                report(
                    (*path, "block_sizes", index),
                    f"block size {size} is not a multiple of the {unit}; use e.g. {n_cells} or {2 * n_cells}",
                )
    elif allocation.block_sizes:
        report((*path, "block_sizes"), "block_sizes go with scheme: permuted-blocks")
    if allocation.strata and allocation.scheme == "complete":
        report((*path, "strata"), "strata need scheme: permuted-blocks (complete randomization ignores them)")
    _minimization(allocation, report)
    fields = {f.id: f for f in protocol.intake}
    for index, stratum in enumerate(allocation.strata):
        if stratum not in fields:
            report(
                (*path, "strata", index),
                f"'{stratum}' is not an intake field; {_suggest(stratum, fields)}intake fields: {', '.join(fields) or 'none'}",
            )
        elif fields[stratum].type != "choice":
            kind = fields[stratum].type
            report(
                (*path, "strata", index),
                f"'{stratum}' is {'an' if kind == 'integer' else 'a'} {kind} field; strata must be choice fields (type: choice, with choices)",
            )


def _allocation_ratio(protocol: Protocol, report: Report) -> None:
    cell_ids = [c.id for c in protocol.cells]
    for cell, value in (protocol.allocation.ratio or {}).items():
        if cell not in cell_ids:
            report(("allocation", "ratio", cell), f"'{cell}' is not a cell; cells: {', '.join(cell_ids)}")
        elif value < 1:
            report(("allocation", "ratio", cell), f"ratio {value} must be a whole number of at least 1")


def _minimization(allocation: Allocation, report: Report) -> None:
    path = ("allocation",)
    if allocation.scheme != "minimization":
        for key in ("weights", "imbalance", "p_preferred"):
            if getattr(allocation, key) is not None:
                report((*path, key), f"{key} goes with scheme: minimization")
        return
    if not allocation.strata:
        report((*path, "strata"), "minimization needs `strata`: the intake fields (choices) to balance, e.g. [sex]")
    for name, weight in (allocation.weights or {}).items():
        if name not in allocation.strata:
            report((*path, "weights", name), f"'{name}' is not one of the strata ({', '.join(allocation.strata)})")
        elif weight <= 0:
            report((*path, "weights", name), "a weight must be above 0")


def _timeline_references(protocol: Protocol, report: Report) -> None:
    cell_ids = [cell.id for cell in protocol.cells]
    marks_so_far = {"start"}
    set_by = {step.mark: i for i, step in reversed(list(enumerate(protocol.timeline))) if step.mark}
    for index, step in enumerate(protocol.timeline):
        for at_index, when in enumerate(step.occasions):
            if when is not None and when.mark not in marks_so_far:
                path = ("timeline", index, "at", at_index)
                if when.mark in set_by:
                    report(
                        path,
                        f"mark '{when.mark}' is not set by an earlier step: timeline[{set_by[when.mark]}] sets it, later; a step can only be timed from a mark set before it (or from start+…)",
                    )
                else:
                    marks = ", ".join(["start", *set_by])
                    report(
                        path,
                        f"mark '{when.mark}' is not set by an earlier step; {_suggest(when.mark, ['start', *set_by], MARK_CUTOFF)}marks: {marks}; set it with `mark: {when.mark}` on a step before this one",
                    )
        for cell_index, cell in enumerate(step.cells or []):
            if cell not in cell_ids:
                report(
                    ("timeline", index, "cells", cell_index),
                    f"'{cell}' is not a cell; {_suggest(cell, cell_ids)}cells: {', '.join(cell_ids)}",
                )
        if step.mark:
            marks_so_far.add(step.mark)


def _analysis_plan(protocol: Protocol, report: Report) -> None:
    plan = protocol.analysis
    if plan is None:
        return
    names = list(measures(protocol))
    known = ", ".join(names) or "none (add rating or questionnaire steps)"

    def measure(path: DocPath, reference: str | None) -> None:
        if reference is not None and resolve(protocol, reference) is None:
            name, _, occasion = reference.partition("@")
            if occasion and name in names:
                labels = ", ".join(measures(protocol)[name].occasion_labels) or "none (the step has no `at`)"
                report(path, f"'{reference}': {name} has no occasion '{occasion}'; its occasions: {labels}")
                return
            report(
                path, f"'{reference}' is not a measure of this protocol; {_suggest(reference, names)}measures: {known}"
            )

    def factor(path: DocPath, name: str) -> None:
        if name not in protocol.factors:
            report(
                path,
                f"'{name}' is not a factor; {_suggest(name, protocol.factors)}factors: {', '.join(protocol.factors)}",
            )

    outcomes = [("primary",), *[("secondary", i) for i in range(len(plan.secondary))]]
    for path, outcome in zip(outcomes, [plan.primary, *plan.secondary], strict=True):
        measure(("analysis", *path, "outcome"), outcome.outcome)
        measure(("analysis", *path, "baseline"), outcome.baseline)
        for index, name in enumerate(outcome.between or []):
            factor(("analysis", *path, "between", index), name)
    for index, check in enumerate(plan.manipulation_checks):
        measure(("analysis", "manipulation_checks", index, "measure"), check.measure)
        factor(("analysis", "manipulation_checks", index, "factor"), check.factor)
    for index, simple in enumerate(plan.simple_effects):
        for sub, name in [("effect", simple.effect), *[(("by", i), f) for i, f in enumerate(simple.by)]]:
            factor(("analysis", "simple_effects", index, *(sub if isinstance(sub, tuple) else (sub,))), name)
    for index, med in enumerate(plan.mediation):
        path = ("analysis", "mediation", index)
        for key, name in [("x", med.x), *[(("covariates", i), c) for i, c in enumerate(med.covariates)]]:
            # x and covariates may be a factor or a measure.
            if name not in protocol.factors:
                measure((*path, *(key if isinstance(key, tuple) else (key,))), name)
        measure((*path, "m"), med.m)
        measure((*path, "y"), med.y)
        if med.moderator is not None:
            factor((*path, "moderator"), med.moderator)


def _load_sources(protocol: Protocol, read_file: ReadFile, report: Report) -> None:
    where = f" in the stimuli folder '{protocol.stimuli}'" if protocol.stimuli else " next to the protocol"
    not_found = []
    for index, step in enumerate(protocol.timeline):
        for source in step.sources():
            try:
                protocol._files[source] = read_file(stimulus_key(protocol.stimuli, source)).decode("utf-8")
            except OutsideStimuli as exc:
                report(("timeline", index, "source"), str(exc))
            except FileNotFoundError:
                not_found.append((index, source))
            except IsADirectoryError:
                report(("timeline", index, "source"), f"'{source}' is a folder; give a file")
            except UnicodeDecodeError:
                report(("timeline", index, "source"), f"stimulus file '{source}' is not UTF-8 text; save it as UTF-8")
    if not_found and len(not_found) == sum(len(step.sources()) for step in protocol.timeline) and protocol.stimuli:
        if _missing_folder(read_file, protocol.stimuli):  # one mistake, not one "not found" per stimulus file
            report(
                ("stimuli",),
                f"the stimuli folder '{protocol.stimuli}' does not exist; the path is relative to the protocol file",
            )
            return
    for index, source in not_found:
        report(("timeline", index, "source"), f"stimulus file '{source}' not found{where}; check the name or create it")


def _missing_folder(read_file: ReadFile, folder: str) -> bool:
    try:
        read_file(folder)
    except FileNotFoundError:
        return True
    except OSError:  # a folder cannot be read as a file: it is there
        return False
    return False


def _load_media(
    protocol: Protocol, read_file: ReadFile, report: Report, media_probes: Mapping[str, dict[str, Any]] | None = None
) -> None:
    """Every cell's file of every media step: found, readable, of a known duration (read through
    ``read_file``, so a study freezes each one). ``media_probes``: a study's, frozen at init (not probed again)."""
    import jinja2

    where = f"the stimuli folder '{protocol.stimuli}'" if protocol.stimuli else "the protocol's folder"
    for index, step in enumerate(protocol.timeline):
        if not isinstance(step, MediaStep):
            continue
        path = ("timeline", index, "source")
        for cell in protocol.cells:
            if step.cells and cell.id not in step.cells:
                continue
            try:
                name = step.media_path(protocol, cell)
            except (jinja2.TemplateError, TemplateRefused) as exc:
                context = ", ".join(step.media_context(protocol, cell))
                report(path, f"the file name does not render for cell {cell.id}: {exc}; it may use {context}")
                break
            try:
                content = read_file(stimulus_key(protocol.stimuli, name))
            except OutsideStimuli as exc:
                report(path, f"{exc} (cell {cell.id})")
                continue
            except (FileNotFoundError, IsADirectoryError):
                report(
                    path,
                    f"{step.media_kind} file '{name}' (cell {cell.id}) not found in {where}; check the name or add it",
                )
                continue
            try:
                protocol._media[(step.id, cell.id)] = step.probe(name, content, media_probes)
            except ValueError as exc:
                report(path, f"{exc} (cell {cell.id})")
