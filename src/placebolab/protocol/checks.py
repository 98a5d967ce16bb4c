"""Checks beyond types: files exist, templates render in every cell, references resolve, designs add up."""

from __future__ import annotations

from collections.abc import Callable

from placebolab.components import ScriptStep
from placebolab.protocol.measures import measures, resolve
from placebolab.protocol.models import Protocol
from placebolab.protocol.problems import Path, Problem

Locate = Callable[[Path, str], Problem]


def check_protocol(protocol: Protocol, read_file, locate: Locate) -> list[Problem]:
    problems: list[Problem] = []

    def report(path, message):
        problems.append(locate(tuple(path), message))

    for check in (_unique_ids, _intake, _arms, _allocation, _timeline_references, _analysis_plan):
        check(protocol, report)
    _load_sources(protocol, read_file, report)
    if not problems:  # templates need every file and reference in place
        _templates_render(protocol, report)
    return problems


def _unique_ids(protocol, report):
    seen = {}
    for index, step in enumerate(protocol.timeline):
        if step.id in seen:
            report(("timeline", index, "id"), f"step id '{step.id}' is already used by timeline[{seen[step.id]}]; ids must be unique")
        seen.setdefault(step.id, index)
    marks = {}
    for index, step in enumerate(protocol.timeline):
        if step.mark and step.mark in marks:
            report(("timeline", index, "mark"), f"mark '{step.mark}' is already set by timeline[{marks[step.mark]}]")
        if step.mark == "start":
            report(("timeline", index, "mark"), "'start' is the session's own start mark; choose another name, e.g. t0")
        if step.mark:
            marks.setdefault(step.mark, index)


def _intake(protocol, report):
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
        if field.example is not None:
            try:
                field.check(field.example)
            except ValueError as exc:
                report((*path, "example"), f"example: {exc}")


def _arms(protocol, report):
    for name, arm in protocol.arms.items():
        if name in {cell.id for cell in protocol.cells if not cell.arm}:
            report(("arms", name), f"arm '{name}' has the name of a factorial cell; rename it")
        for factor, level in arm.levels.items():
            if factor not in protocol.factors:
                report(("arms", name, "levels", factor), f"'{factor}' is not a factor; factors: {', '.join(protocol.factors)}")
            elif level not in protocol.factors[factor].levels:
                report(("arms", name, "levels", factor), f"'{level}' is not a level of {factor}: {', '.join(protocol.factors[factor].levels)}")


def _allocation(protocol, report):
    allocation, n_cells = protocol.allocation, len(protocol.cells)
    path = ("allocation",)
    if allocation.scheme == "permuted-blocks":
        if not allocation.block_sizes:
            report(path, f"permuted-blocks needs `block_sizes`, multiples of the {n_cells} cells, e.g. [{n_cells}, {2 * n_cells}]")
        for index, size in enumerate(allocation.block_sizes or []):
            if size <= 0 or size % n_cells:
                report((*path, "block_sizes", index), f"block size {size} is not a multiple of the {n_cells} cells; use e.g. {n_cells} or {2 * n_cells}")
    elif allocation.block_sizes:
        report((*path, "block_sizes"), "block_sizes go with scheme: permuted-blocks")
    if allocation.strata and allocation.scheme == "complete":
        report((*path, "strata"), "strata need scheme: permuted-blocks (complete randomization ignores them)")
    fields = {f.id: f for f in protocol.intake}
    for index, stratum in enumerate(allocation.strata):
        if stratum not in fields:
            report((*path, "strata", index), f"'{stratum}' is not an intake field; intake fields: {', '.join(fields) or 'none'}")
        elif fields[stratum].type != "choice":
            report((*path, "strata", index), f"'{stratum}' is a {fields[stratum].type} field; strata must be choice fields")


def _timeline_references(protocol, report):
    cell_ids = [cell.id for cell in protocol.cells]
    marks_so_far = {"start"}
    for index, step in enumerate(protocol.timeline):
        for at_index, when in enumerate(step.occasions):
            if when is not None and when.mark not in marks_so_far:
                report(("timeline", index, "at", at_index), f"mark '{when.mark}' is not set by an earlier step; set it with `mark: {when.mark}` on a step before this one (or use start+…)")
        for cell_index, cell in enumerate(step.cells or []):
            if cell not in cell_ids:
                report(("timeline", index, "cells", cell_index), f"'{cell}' is not a cell; cells: {', '.join(cell_ids)}")
        if step.mark:
            marks_so_far.add(step.mark)


def _analysis_plan(protocol, report):
    plan = protocol.analysis
    if plan is None:
        return
    known = ", ".join(measures(protocol)) or "none (add rating or questionnaire steps)"

    def measure(path, reference):
        if reference is not None and resolve(protocol, reference) is None:
            report(path, f"'{reference}' is not a measure of this protocol; measures: {known}")

    outcomes = [("primary",), *[("secondary", i) for i in range(len(plan.secondary))]]
    for path, outcome in zip(outcomes, [plan.primary, *plan.secondary], strict=True):
        measure(("analysis", *path, "outcome"), outcome.outcome)
        measure(("analysis", *path, "baseline"), outcome.baseline)
        for index, factor in enumerate(outcome.between or []):
            if factor not in protocol.factors:
                report(("analysis", *path, "between", index), f"'{factor}' is not a factor; factors: {', '.join(protocol.factors)}")
    for index, check in enumerate(plan.manipulation_checks):
        measure(("analysis", "manipulation_checks", index, "measure"), check.measure)
        if check.factor not in protocol.factors:
            report(("analysis", "manipulation_checks", index, "factor"), f"'{check.factor}' is not a factor; factors: {', '.join(protocol.factors)}")


def _load_sources(protocol, read_file, report):
    where = f" in the stimuli folder '{protocol.stimuli}'" if protocol.stimuli else " next to the protocol"
    for index, step in enumerate(protocol.timeline):
        for source in step.sources():
            relative = f"{protocol.stimuli}/{source}" if protocol.stimuli else source
            try:
                protocol._files[source] = read_file(relative).decode("utf-8")
            except FileNotFoundError:
                report(("timeline", index, "source"), f"stimulus file '{source}' not found{where}; check the name or create it")
            except IsADirectoryError:
                report(("timeline", index, "source"), f"'{source}' is a folder; give a file")
            except UnicodeDecodeError:
                report(("timeline", index, "source"), f"stimulus file '{source}' is not UTF-8 text; save it as UTF-8")


def _templates_render(protocol, report):
    import jinja2

    from placebolab.components.text import render_template

    intake = protocol.example_intake()
    for index, step in enumerate(protocol.timeline):
        if not isinstance(step, ScriptStep):
            continue
        body = protocol.files[step.source] if step.source else step.template
        for cell in protocol.cells:
            if step.cells and cell.id not in step.cells:
                continue
            try:
                render_template(body, protocol.template_context(cell, intake))
            except jinja2.UndefinedError as exc:
                report(("timeline", index, "source" if step.source else "template"), f"the template does not render for cell {cell.id}: {exc.message}; available variables: {', '.join(protocol.template_context(cell, intake))}")
                break
            except jinja2.TemplateSyntaxError as exc:
                report(("timeline", index, "source" if step.source else "template"), f"template syntax error at its line {exc.lineno}: {exc.message}")
                break
