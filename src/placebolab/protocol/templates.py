"""Checks of a protocol's templates (script bodies, speakers, media file names).

* Every script renders in every cell it is shown to, with the example intake (a syntax error, a misspelt
  variable, something the sandbox refuses: each reported with the template's line).
* No comparison of a factor (or an intake choice, ``cell``, ``arm``) with a value it cannot have:
  ``{% if competence == "meduim" %}`` would silently give some cells another cell's text. Read from
  jinja2's syntax tree, so every branch is checked, whichever cell takes it.
* The manipulation reaches every cell: two cells that differ only in a factor the template uses must
  render different text (or a different media file).

The last two are :func:`template_findings`, which the preview also shows beside the cells concerned.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from placebolab.components import MediaStep, StepBase, Template
from placebolab.components.templating import TemplateRefused, parse_template, render_template, template_line
from placebolab.document.problems import Report
from placebolab.errors import InternalError

if TYPE_CHECKING:
    from jinja2 import nodes as jinja2_nodes

    from placebolab.protocol.models import Cell, Protocol


@dataclass(frozen=True)
class Finding:
    """A template that runs but cannot do what it is meant to in some cells."""

    index: int  # of the step in the timeline
    key: str  # the step's field holding the template: source, template or speaker
    message: str
    cells: tuple[str, ...] = ()  # the cells concerned, for the preview


def check_templates(protocol: Protocol, report: Report, findings: bool = True) -> None:
    """Report every template that does not render, and (``findings``) every :class:`Finding`."""
    _render_in_every_cell(protocol, report)
    if findings:
        for finding in template_findings(protocol):
            report(("timeline", finding.index, finding.key), finding.message)


def template_findings(protocol: Protocol) -> list[Finding]:
    """Comparisons with values a variable cannot have, and factors whose manipulation does not reach a cell."""
    from jinja2 import TemplateSyntaxError

    found = []
    for index, step in enumerate(protocol.timeline):
        for part in _parts(protocol, step):
            try:
                tree = parse_template(part.text)
            except TemplateSyntaxError:  # reported where the template is rendered
                continue
            literals = _impossible_comparisons(protocol, index, part, tree)
            found += literals
            if not literals and part.key != "speaker":  # one mistake, one message
                found += _unreached(protocol, index, step, part, tree)
    return found


def _parts(protocol: Protocol, step: StepBase) -> list[Template]:
    return step.templates(protocol.files)


def _where(part: Template, line: int | None) -> str:
    return f"{part.what}, line {line}" if line and "\n" in part.text.strip() else part.what


# --- rendering in every cell ---------------------------------------------------------------------------


def _render_in_every_cell(protocol: Protocol, report: Report) -> None:
    """Render every script (and its speaker) in every cell it is shown to, with the example intake."""
    import jinja2

    try:
        intake = protocol.example_intake()
    except (ValueError, TypeError, IndexError):
        return  # an intake example (or a choice field's choices) is wrong; _intake reported it
    for index, step in enumerate(protocol.timeline):
        for part in [part for part in _parts(protocol, step) if not part.media]:  # a file name: _load_media
            for cell in _cells_shown(protocol, step):
                context = protocol.template_context(cell, intake)
                path = ("timeline", index, part.key)
                try:
                    render_template(part.text, context)
                except jinja2.TemplateSyntaxError as exc:
                    report(path, f"template syntax error in {part.what}, line {exc.lineno}: {exc.message}")
                except TemplateRefused as exc:
                    report(path, f"{_where(part, exc.lineno)}: {exc}")
                except jinja2.UndefinedError as exc:
                    name = exc.message.split("'")[1] if exc.message and exc.message.count("'") >= 2 else ""
                    report(
                        path,
                        f"{part.what} does not render for cell {cell.id}{_line(exc, part)}: {exc.message}; {_suggest(name, context)}available variables: {', '.join(context)}",
                    )
                except Exception as exc:  # noqa: BLE001 - any failure of a researcher's template is a problem to report
                    report(
                        path,
                        f"{part.what} does not render for cell {cell.id}{_line(exc, part)}: {type(exc).__name__}: {exc}",
                    )
                else:
                    continue
                break


def _line(exc: BaseException, part: Template) -> str:
    line = template_line(exc)
    return f", line {line}" if line and "\n" in part.text.strip() else ""


def _cells_shown(protocol: Protocol, step: StepBase, factorial_only: bool = False) -> list[Cell]:
    return [
        cell
        for cell in protocol.cells
        if (not step.cells or cell.id in step.cells) and not (factorial_only and cell.arm)
    ]


def _suggest(value: object, options: Iterable[Any]) -> str:
    """``"did you mean 'warm'? "``: a case-insensitive match first, then a close spelling."""
    options = [str(o) for o in options]
    same = [o for o in options if o.lower() == str(value).lower()]
    guess = same or difflib.get_close_matches(str(value), options, n=1)
    return f"did you mean '{guess[0]}'? " if guess else ""


# --- comparisons with values a variable cannot have ------------------------------------------------


def _known_values(protocol: Protocol, media: bool) -> dict[str, tuple[str, list[str]]]:
    """Variable → (what its values are called, the values it can have) in a template's context."""
    known = {} if media else {f.id: ("choices", f.choices) for f in protocol.intake if f.type == "choice" and f.choices}
    known |= {name: ("levels", factor.levels) for name, factor in protocol.factors.items()}
    known["cell"] = ("cells", [cell.id for cell in protocol.cells])
    if protocol.arms:
        known["arm"] = ("arms", list(protocol.arms))
    return known


def _impossible_comparisons(
    protocol: Protocol, index: int, part: Template, tree: jinja2_nodes.Template
) -> list[Finding]:
    known = _known_values(protocol, part.media)
    shadowed = _assigned_names(tree)
    found = []
    for line, name, value in _comparisons(tree):
        if name not in known or name in shadowed or value in known[name][1]:
            continue
        word, values = known[name]
        found.append(
            Finding(
                index,
                part.key,
                f"{_where(part, line)}: {name} is compared with {value!r}, which is not one of its {word} "
                f"({', '.join(values)}), so the comparison comes out the same in every cell; "
                f"{_suggest(value, values)}write one of the {word} exactly as the protocol spells it",
            )
        )
    return found


_EQUALITY_TESTS = {"eq", "equalto", "==", "ne", "!=", "sameas"}


def _comparisons(tree: jinja2_nodes.Template) -> Iterator[tuple[int, str, Any]]:
    """(line, variable, literal) for each comparison of a variable with a constant, either way round:
    ``x == 'a'``, ``'a' != x``, ``x in ['a', 'b']`` (each element), ``x is eq 'a'``, in any ``if``, ``elif``
    or expression."""
    from jinja2 import nodes

    for compare in tree.find_all(nodes.Compare):
        left = compare.expr
        for operand in compare.ops:
            right = operand.expr
            if operand.op in ("eq", "ne"):
                for name, const in ((left, right), (right, left)):
                    if isinstance(name, nodes.Name) and isinstance(const, nodes.Const) and const.value is not None:
                        yield const.lineno, name.name, const.value
            elif operand.op in ("in", "notin") and isinstance(left, nodes.Name):
                if isinstance(right, nodes.List | nodes.Tuple):
                    for item in right.items:
                        if isinstance(item, nodes.Const) and item.value is not None:
                            yield item.lineno, left.name, item.value
            left = right
    for test in tree.find_all(nodes.Test):  # warmth is eq "warm", warmth is sameas "warm"
        if test.name in _EQUALITY_TESTS and isinstance(test.node, nodes.Name) and len(test.args) == 1:
            const = test.args[0]
            if isinstance(const, nodes.Const) and const.value is not None:
                yield const.lineno, test.node.name, const.value


def _assigned_names(tree: jinja2_nodes.Template) -> set[str]:
    """Names the template sets itself (``{% set %}``, loop variables, macro arguments): not the protocol's."""
    from jinja2 import nodes

    return {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}


# --- the manipulation reaches every cell -----------------------------------------------------------------


def _unreached(
    protocol: Protocol, index: int, step: StepBase, part: Template, tree: jinja2_nodes.Template
) -> list[Finding]:
    """Pairs of cells that differ only in a factor the template uses, yet render the same."""
    from jinja2 import meta

    used = [f for f in protocol.factors if f in meta.find_undeclared_variables(tree) - _assigned_names(tree)]
    cells = _cells_shown(protocol, step, factorial_only=True)
    if not used or len(cells) < 2:
        return []
    try:
        intake = protocol.example_intake()
        rendered = {cell.id: " ".join(_render(protocol, step, part, cell, intake).split()) for cell in cells}
    except Exception:  # noqa: BLE001 - a template that does not render is reported elsewhere
        return []
    found = []
    for factor in used:
        others = [f for f in used if f != factor]
        same = [
            (a.id, b.id)
            for a, b in itertools.combinations(cells, 2)
            if a.levels[factor] != b.levels[factor]
            and all(a.levels[f] == b.levels[f] for f in others)
            and rendered[a.id] == rendered[b.id]
        ]
        if same:
            pairs = "; ".join(f"cell {a} renders the same {_thing(part)} as cell {b}" for a, b in same)
            found.append(
                Finding(
                    index,
                    part.key,
                    f"the manipulation of {factor} does not reach every cell of step '{step.id}': {pairs}, although {part.what} "
                    f"uses {factor}{_with_intake(protocol, part, tree)}; check the branches on {factor} "
                    f"(each level needs its own text)",
                    tuple(sorted({cell for pair in same for cell in pair})),
                )
            )
    return found


def _render(protocol: Protocol, step: StepBase, part: Template, cell: Cell, intake: Mapping[str, Any]) -> str:
    if part.media:
        if not isinstance(step, MediaStep):
            raise InternalError("only a media step's file name is a media template")
        return step.media_path(protocol, cell)
    return render_template(part.text, protocol.template_context(cell, intake))


def _thing(part: Template) -> str:
    return "file name" if part.media else "text"


def _with_intake(protocol: Protocol, part: Template, tree: jinja2_nodes.Template) -> str:
    from jinja2 import meta

    fields = {f.id for f in protocol.intake}
    if part.media or not fields & meta.find_undeclared_variables(tree):
        return ""
    examples = ", ".join(f"{k} = {v}" for k, v in protocol.example_intake().items())
    return f" (rendered with the intake examples: {examples})"
