"""Protocol templates (scripts, speakers, media file names): the one place they are compiled and rendered.

A protocol file is shared between labs, so a template is untrusted code. It runs in jinja2's immutable
sandbox (no attribute that starts with ``_``, no changing lists or dicts), with ``StrictUndefined`` (a
misspelt variable fails at validation instead of showing an empty gap), without ``lipsum``, and within a
size budget: what it renders, and the strings, lists and numbers it builds on the way (operators, ``~``,
calls, filters, joins, format widths, captured blocks, namespaces), stay under :data:`MAX_RENDERED`
characters, so ``{{ 'x' * 10**9 }}`` is refused instead of filling the memory. (Time is not budgeted: a
template can still keep the processor busy with empty nested loops, without building anything.)
Before anything renders, the whole template is read for attribute names a sandbox refuses
(``__globals__``, ``__class__`` …): such a template is refused even when the branch holding it would not
run for the cell at hand.

jinja2 is imported lazily (``placebolab --help`` stays quick).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2
    from jinja2 import nodes as jinja2_nodes
    from jinja2.compiler import Frame
    from jinja2.runtime import Context

MAX_RENDERED = 200_000  # characters; a clinician's script is a few thousand

_FORMAT_SPEC = re.compile(r"%[-#0 +]*(\d*)(?:\.(\d*))?|\{[^{}]*:([^{}]*)\}")
_FORMAT_FIELD = re.compile(r"\{[^{}:!]*?[.\[]\s*(_\w*)")  # '{0.__class__}', '{x[_y]}'
_NESTED_SPEC = re.compile(r"\{[^{}]*:[^{}]*\{")
_UNSAFE_NAMES = {"mro", "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "tb_frame", "f_globals"}


class TemplateRefused(ValueError):
    """A template tried something templates may not: reach past its variables, or render too much."""

    def __init__(self, message: str, lineno: int | None = None):
        super().__init__(message)
        self.lineno = lineno


def render_template(template: str, context: Mapping[str, Any]) -> str:
    """``template`` rendered with ``context``, sandboxed and within the size budget.

    Raises :class:`TemplateRefused` (with the template's line where known) for what templates may not do,
    and jinja2's own errors (syntax, undefined variable …) for a template's mistakes.

    A rendering is kept and handed out again for the same values of the variables the template names
    (``_Compiled.key``): a script renders the same text for every participant of a cell. What fails is not
    kept, so it fails again for every participant whose values take it there."""
    compiled = _compile(template)
    key = compiled.key(context)
    if key is not None:
        known = _RENDERED.get((template, key))
        if known is not None:
            return known
    text = _render(compiled.template, context)
    if key is not None and len(text) <= _KEPT_CHARS:
        if len(_RENDERED) >= _KEPT:
            _RENDERED.clear()  # one step, safe with other threads rendering; a few texts are rendered again
        _RENDERED[(template, key)] = text
    return text


def _render(compiled: jinja2.Template, context: Mapping[str, Any]) -> str:
    import jinja2.sandbox

    out: list[str] = []
    size = 0
    try:
        for chunk in compiled.generate(**context):
            size += len(chunk)
            if size > MAX_RENDERED:
                raise TemplateRefused(f"it renders more than {MAX_RENDERED:,} characters; a script is far shorter")
            out.append(chunk)
    except TemplateRefused as exc:
        raise TemplateRefused(str(exc), exc.lineno or template_line(exc)) from None
    except jinja2.sandbox.SecurityError as exc:
        raise TemplateRefused(_reach_message(str(exc)), template_line(exc)) from None
    except (MemoryError, OverflowError) as exc:
        limit = f"it builds a value too large to render (the limit is {MAX_RENDERED:,})"
        raise TemplateRefused(limit, template_line(exc)) from None
    return "".join(out)


#: Renderings kept (``render_template``): (template, ``_Compiled.key``) → text; emptied when it holds ``_KEPT``.
_RENDERED: dict[tuple[str, tuple[Any, ...]], str] = {}
_KEPT = 256
_KEPT_CHARS = 50_000  # a longer text is rendered anew each time: the kept ones stay a few MB at most


def parse_template(template: str) -> jinja2_nodes.Template:
    """jinja2's syntax tree of ``template`` (``jinja2.nodes.Template``); TemplateSyntaxError if it has none."""
    return _environment().parse(template)


def template_line(exc: BaseException) -> int | None:
    """The template's line where ``exc`` was raised (jinja2 maps its traceback onto ``<template>``)."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class _Compiled:
    """A compiled template, with the names of the variables it may read from its context (jinja2's
    ``meta.find_undeclared_variables``, and every name it loads): its output depends on their values and
    on nothing else, as the sandbox lets it change nothing and reach nothing but them and jinja2's own
    functions; except through the ``random`` filter, so a template that may use it (``|random``,
    ``map('random')``) is never kept."""

    __slots__ = ("names", "template")

    def __init__(self, template: jinja2.Template, names: tuple[str, ...] | None):
        self.template, self.names = template, names

    def key(self, context: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """What the rendering depends on: each name's value (exactly: ``_exact``); None if that cannot be told."""
        names = self.names
        if names is None:
            return None
        key = tuple(_exact(context.get(name, _MISSING)) for name in names)
        return None if _UNKNOWN in key else key


def _exact(value: Any, depth: int = 0) -> Any:
    """``value`` as a key that equals another only for a value rendering the same: typed (``1``, ``1.0`` and
    ``True`` are equal in Python, not on a page; so are ``0.0`` and ``-0.0``), containers taken apart;
    ``_UNKNOWN`` for anything else (an object whose text could be anything)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None or value is _MISSING:
        return (kind, value)
    if kind is float:
        return (kind, float.__repr__(value))
    if depth < 8 and (kind is list or kind is tuple or kind is dict):
        parts = tuple(_exact(v, depth + 1) for v in (value.items() if kind is dict else value))
        return _UNKNOWN if _UNKNOWN in parts else (kind, parts)
    return _UNKNOWN


_MISSING, _UNKNOWN = object(), object()


@lru_cache(maxsize=64)
def _compile(template: str) -> _Compiled:
    from jinja2 import meta, nodes

    environment = _environment()
    tree = environment.parse(template)
    _refuse_unsafe_names(tree)
    # jinja2 leaves out the names of its globals (``range``, ``namespace``), which a variable may shadow
    loaded = {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}
    names: tuple[str, ...] | None = tuple(sorted(meta.find_undeclared_variables(tree) | loaded))
    if any(node.name == "random" for node in tree.find_all(nodes.Filter)) or any(
        node.value == "random" for node in tree.find_all(nodes.Const)
    ):
        names = None
    return _Compiled(environment.from_string(template), names)


def _refuse_unsafe_names(tree: jinja2_nodes.Template) -> None:
    """Read the whole template for what the sandbox would refuse, so a branch no cell takes cannot hide it."""
    from jinja2 import nodes

    for statement in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        raise TemplateRefused(
            "a template may not include, import or extend another file; write the text into this one",
            statement.lineno,
        )
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Const)):
        for name in _names_reached(node, nodes):
            if name.startswith("_") or name in _UNSAFE_NAMES:
                raise TemplateRefused(_reach_message(f"'{name}'"), node.lineno)


def _names_reached(node: Any, nodes: Any) -> list[str]:
    """Attribute names ``node`` asks for: ``x.name``, ``x['name']``, ``x|attr('name')``, ``|map(attribute='a.b')``,
    ``'{0.name}'.format(x)``."""
    if isinstance(node, nodes.Getattr):
        return [node.attr]
    if isinstance(node, nodes.Getitem):
        return [node.arg.value] if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) else []
    if isinstance(node, nodes.Filter):
        given = [node.args[0]] if node.name == "attr" and node.args else []
        given += [kw.value for kw in node.kwargs if kw.key == "attribute"]
        return [p for v in given if isinstance(v, nodes.Const) and isinstance(v.value, str) for p in v.value.split(".")]
    if isinstance(node.value, str):
        return _FORMAT_FIELD.findall(node.value)
    return []


def _reach_message(detail: str) -> str:
    found = re.search(r"'([^']+)'", detail)
    what = found.group(1) if found else detail
    return (
        f"the template tries to reach '{what}', which templates may not; a template may use only the "
        "protocol's variables, the intake and the cell's levels"
    )


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    from jinja2 import StrictUndefined
    from jinja2.compiler import CodeGenerator
    from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range
    from jinja2.utils import Namespace

    class BoundedNamespace(Namespace):
        def __setitem__(self, name: str, value: Any) -> None:
            super().__setitem__(name, _bounded(value))

    class Generator(CodeGenerator):
        def buffer(self, frame: Frame) -> None:  # what {% set x %}…{% endset %}, a macro or a filter block captures
            frame.buffer = self.temporary_identifier()
            self.writeline(f"{frame.buffer} = environment.bounded_buffer()")

        def visit_Concat(self, node: jinja2_nodes.Concat, frame: Frame) -> None:  # a ~ b
            self.write("environment.bounded(")
            super().visit_Concat(node, frame)
            self.write(")")

    class Sandbox(ImmutableSandboxedEnvironment):
        """The immutable sandbox, plus a size budget on what operators, calls, filters and blocks build."""

        code_generator_class = Generator
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        def bounded_buffer(self) -> _BoundedBuffer:
            return _BoundedBuffer()

        def bounded(self, value: Any) -> Any:
            return _bounded(value)

        def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
            _check_binop(operator, left, right)
            return _bounded(super().call_binop(context, operator, left, right))

        def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - jinja2's own signature
            owner = getattr(__obj, "__self__", None)
            if __obj is safe_range or _sized(owner):  # range(10**9), 'x'.center(10**9)
                _check_arguments(args, kwargs)
            if isinstance(owner, str) and __obj.__name__ == "join" and args:  # ''.join(many long strings)
                _check_join(args[0], owner)
            return _bounded(super().call(__context, __obj, *args, **kwargs))

        def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
            wrapped = super().wrap_str_format(value)
            if wrapped is None:
                return None
            _check_format(value.__self__)

            @wraps(wrapped)
            def bounded(*args: Any, **kwargs: Any) -> str:
                if _NESTED_SPEC.search(value.__self__):  # '{:{}}'.format('x', 10**9): the width is an argument
                    _check_arguments(args, kwargs)
                return wrapped(*args, **kwargs)

            return bounded

    # No autoescape: this renders markdown and file names, not HTML; whatever turns them into HTML escapes.
    environment = Sandbox(undefined=StrictUndefined, autoescape=False)  # noqa: S701
    environment.globals.pop("lipsum", None)  # it can write any amount of text, and no script needs it
    environment.globals["namespace"] = BoundedNamespace
    environment.filters = {name: _bounded_filter(name, f) for name, f in environment.filters.items()}
    return environment


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    passes = hasattr(function, "jinja_pass_arg")  # jinja2 hands it the context first; then comes the value

    @wraps(function)  # keeps jinja2's pass_context / pass_environment mark
    def bounded(*args: Any, **kwargs: Any) -> Any:
        value, *rest = args[1:] if passes else args
        _check_arguments(rest, kwargs)  # a width, an indent, a count: never beyond the budget
        names = [rest[0] if name == "attr" and rest else None, kwargs.get("attribute")]
        for part in (p for n in names if isinstance(n, str) for p in n.split(".")):  # |attr('__init__')
            if part.startswith("_"):
                raise TemplateRefused(_reach_message(f"'{part}'"))
        if name == "join":
            _check_join(value, rest[0] if rest else kwargs.get("d", ""))
        if name == "format" and isinstance(value, str):
            _check_format(value)
        if name == "replace" and len(rest) >= 2 and all(isinstance(a, str) for a in (value, *rest[:2])):
            _limit(len(value) + (len(value) + 1) * len(rest[1]))
        return _bounded(function(*args, **kwargs))

    return bounded


class _BoundedBuffer(list[str]):
    """The list jinja2 collects a block's output in, refusing to hold more than the budget."""

    size = 0

    def append(self, text: str) -> None:
        self.size += len(text)
        _limit(self.size)
        super().append(text)

    def extend(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.append(text)


def _sized(value: object) -> bool:
    return isinstance(value, str | bytes | list | tuple)


def _limit(size: int) -> None:
    if size > MAX_RENDERED:
        raise TemplateRefused(f"it builds a value of {size:,} characters or items; the limit is {MAX_RENDERED:,}")


def _bounded(value: Any) -> Any:
    if _sized(value) or isinstance(value, dict | set):
        _limit(len(value))
    elif isinstance(value, int) and value.bit_length() > 4 * MAX_RENDERED:
        _limit(value.bit_length() // 3)
    return value


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse before computing: ``'x' * 10**9`` would fill the memory before its size could be checked."""
    ints = isinstance(left, int) and isinstance(right, int)
    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            if _sized(sequence) and isinstance(times, int):
                _limit(len(sequence) * max(times, 0))
        if ints:
            _limit((left.bit_length() + right.bit_length()) // 3)
    elif operator == "+" and _sized(left) and _sized(right):
        _limit(len(left) + len(right))
    elif operator == "**" and ints and right > 0 and abs(left) > 1:
        _limit(int(right * math.log10(abs(left))))
    elif operator == "%" and isinstance(left, str):
        _check_format(left)


def _check_join(items: Any, separator: Any) -> None:
    if isinstance(items, list | tuple) and isinstance(separator, str):
        _limit(sum(len(i) for i in items if isinstance(i, str)) + len(separator) * len(items))


def _check_arguments(args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool):
            _limit(abs(value))


def _check_format(text: str) -> None:
    """A format string's widths and precisions (``'%999999999d'``, ``'{:>999999999}'``) within the budget."""
    for match in _FORMAT_SPEC.finditer(text):
        for number in re.findall(r"\d+", "".join(g or "" for g in match.groups())):
            _limit(int(number))
