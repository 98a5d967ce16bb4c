"""Reading protocol YAML into plain Python while remembering where every node stood in the file."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from placebolab.document.problems import DocPath, Positions, Problem
from placebolab.errors import ProtocolError

# A protocol is untrusted input: these limits refuse a hostile file before anything is built from it, and keep
# ruamel's pure-Python parser to about a second at worst. Real protocols are
# 3–4 kB with a few hundred values, a few levels deep, with a handful of aliases (if any).
MAX_BYTES = 100_000
MAX_VALUES = 10_000  # keys, texts, numbers, lists and mappings, as written
MAX_DEPTH = 50  # lists and mappings inside each other
MAX_ALIASES = 100  # uses of `*name`
MAX_ALIAS_VALUES = 10_000  # values the aliases add once expanded (a "billion laughs" adds billions)
_BRACKET = re.compile(r"[\[\]{}]")


def read_limited(path: Path) -> bytes:
    """The file's bytes, at most one byte more than ``MAX_BYTES``: a huge file is refused without reading it all."""
    with open(path, "rb") as file:
        return file.read(MAX_BYTES + 1)


class _OverLimit(Exception):
    def __init__(self, message: str, line: int, column: int):  # 0-based, as ruamel's marks
        super().__init__(message)
        self.line, self.column = line, column

    @classmethod
    def at(cls, event: Any, message: str) -> _OverLimit:
        return cls(message, event.start_mark.line, event.start_mark.column)


#: What a reader raises for a file's problems: ProtocolError, EffectsError (each takes the list of problems).
ErrorType = Callable[[list[Problem]], Exception]


def read_yaml(raw: bytes, name: str, error: ErrorType = ProtocolError) -> tuple[Any, Positions]:
    """Parse ``raw`` as YAML. Empty, binary, undecodable, unparsable or oversized input (see the limits above)
    raises a located ``error``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if len(raw) > MAX_BYTES:
        message = (
            f"is larger than {MAX_BYTES // 1000} kB; placebolab reads protocol and effects files of at most "
            f"{MAX_BYTES:,} bytes (a protocol is a few kilobytes of text: is this the right file?)"
        )
        raise error([Problem(name, None, None, (), message)])
    line: int | None
    col: int | None
    if b"\x00" in raw:
        line, col = _line_col(raw, raw.index(b"\x00"))
        raise error([Problem(name, line, col, (), "is a binary file, not a protocol; give a YAML text file")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw, exc.start)
        raise error(
            [Problem(name, line, col, (), f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8")]
        ) from None
    if not text.strip():
        what = "is empty; a protocol starts with `protocol: NAME`" if error is ProtocolError else "is empty"
        raise error([Problem(name, 1, 1, (), what)])
    yaml = YAML(typ="rt", pure=True)
    try:
        _flow_within_depth(text)
        _within_limits(yaml.parse(text))
        document = yaml.load(text)
    except _OverLimit as exc:
        raise error([Problem(name, exc.line + 1, exc.column + 1, (), str(exc))]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if _unclosed_flow(exc):  # the mistake is where the [ or { was opened, not where parsing gave up
            mark = exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise error([Problem(name, line, col, (), f"YAML syntax: {_syntax_message(exc, text)}")]) from None
    except YAMLError as exc:
        raise error([Problem(name, None, None, (), f"YAML syntax: {exc}")]) from None
    positions = Positions()
    try:
        positions.add((), document.lc.line, document.lc.col)
    except AttributeError:  # a bare scalar
        positions.add((), 0, 0)
    return _plain(document, (), positions), positions


_TOO_DEEP = (
    f"lists and mappings are nested more than {MAX_DEPTH} deep here; a protocol needs only a few levels — "
    "check for brackets that are not closed"
)


def _flow_within_depth(text: str) -> None:
    """Refuse brackets ``[`` ``{`` opened more than ``MAX_DEPTH`` deep, counted on the characters: ruamel's
    scanner looks up to 1,024 characters ahead for each open bracket before the parser sees the first one, so
    a line of thousands of ``[`` costs seconds before any event could be counted. (A bracket inside a quoted
    text counts too; no protocol's text holds fifty unclosed ones.)"""
    depth = 0
    for match in _BRACKET.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                start = match.start()
                raise _OverLimit(_TOO_DEEP, text.count("\n", 0, start), start - (text.rfind("\n", 0, start) + 1))
        elif depth:
            depth -= 1


def _within_limits(events: Iterable[Any]) -> None:
    """Raise ``_OverLimit`` at the first event that passes ``MAX_VALUES``, nests too deep or makes the aliases
    expand too much.

    Counted on the parser's events, one pass and no recursion, before anything is composed or built: each
    open list or mapping adds up how many values it holds with its aliases expanded, so a small file whose
    aliases multiply (``*a`` nine times in ``&b``, ``*b`` nine times in ``&c`` …) is refused at the alias
    that crosses the limit."""
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

    open_: list[list[Any]] = []  # [anchor, values inside so far] of each list or mapping still open
    expanded: dict[str, int] = {}  # anchor → how many values its node holds, aliases expanded
    written = aliases = added = 0
    for event in events:
        values = 0  # what this event adds to the list or mapping it stands in
        if isinstance(event, CollectionStartEvent | ScalarEvent):
            written += 1
            if written > MAX_VALUES:
                raise _OverLimit.at(
                    event,
                    f"the file holds more than {MAX_VALUES:,} values (keys, texts, numbers, lists) by this line; "
                    "a protocol holds a few hundred — is this the right file?",
                )
        if isinstance(event, CollectionStartEvent):
            if len(open_) == MAX_DEPTH:
                raise _OverLimit.at(event, _TOO_DEEP)
            open_.append([event.anchor, 1])
        elif isinstance(event, CollectionEndEvent):
            anchor, values = open_.pop()
            if anchor:
                expanded[anchor] = values
        elif isinstance(event, ScalarEvent):
            values = 1
            if event.anchor:
                expanded[event.anchor] = 1
        elif isinstance(event, AliasEvent):
            if any(anchor == event.anchor for anchor, _ in open_):
                raise _OverLimit.at(event, f"alias *{event.anchor} stands inside the value it names, which never ends")
            values = expanded.get(event.anchor, 1)  # an undefined alias: ruamel reports it
            aliases, added = aliases + 1, added + values
            if aliases > MAX_ALIASES or added > MAX_ALIAS_VALUES:
                too_many = (
                    f"more than {MAX_ALIASES} aliases (`*name`) are used"
                    if aliases > MAX_ALIASES
                    else f"the aliases (`*name`) expand to more than {MAX_ALIAS_VALUES:,} values"
                )
                raise _OverLimit.at(
                    event,
                    f"{too_many} by this line; a protocol needs only a few aliases — write the values out or "
                    "reuse fewer (a file built to expand like this is an attack, not a protocol)",
                )
        if open_ and values:
            open_[-1][1] += values


def _unclosed_flow(exc: Any) -> bool:
    """A ``[`` or ``{`` left open: ruamel notices only where the next line's content does not fit."""
    return bool(
        exc.context
        and "while parsing a flow" in exc.context
        and exc.context_mark
        and exc.problem_mark
        and exc.problem_mark.line > exc.context_mark.line
    )


def _line_col(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of byte ``offset``."""
    before = raw[:offset]
    return before.count(b"\n") + 1, offset - (before.rfind(b"\n") + 1) + 1


def _syntax_message(exc: Any, text: str) -> str:
    """ruamel's problem in one sentence, with a hint for the usual slips."""
    from ruamel.yaml.constructor import DuplicateKeyError

    if isinstance(exc, DuplicateKeyError) and exc.problem_mark:
        key = str(exc.problem).removeprefix('found duplicate key "').split('"')[0]
        where = ""
        start = exc.context_mark.line if exc.context_mark else 0
        indent = exc.problem_mark.column
        for number, line in enumerate(text.splitlines()[start : exc.problem_mark.line], start + 1):
            if line[indent:].startswith(f"{key}:") and not line[:indent].strip(" -"):
                where = f" (first on line {number})"
                break
        return f"key `{key}` appears twice in the same mapping{where}; keep one"
    if _unclosed_flow(exc):
        bracket = "[" if "sequence" in exc.context else "{"
        closing = {"[": "]", "{": "}"}[bracket]
        return (
            f"the `{bracket}` opened here is not closed (a ',' or '{closing}' was expected before line "
            f"{exc.problem_mark.line + 1}); close it with `{closing}`"
        )
    what = " ".join(filter(None, [exc.context, exc.problem])) or "not valid YAML"
    if "\\t" in what or "'\\t'" in what:
        return f"{what}; indent with spaces, not tabs"
    if "mapping values are not allowed" in what or "expected <block end>" in what:
        return f"{what}; check the indentation of this line and the one above (the same level needs the same indent)"
    return what


def _plain(node: Any, path: DocPath, positions: Positions) -> Any:
    """ruamel's commented containers → dict/list, recording each child's line and column.

    A mapping entry is located at its value when the value starts on the key's line (``scale: nrs-0-1000``),
    else at its key: a block value (``allocation:`` then indented lines) would point at the line below."""
    if isinstance(node, dict):
        if getattr(getattr(node, "fa", None), "flow_style", lambda: False)():  # ruamel's: written in { }
            positions.add_flow(path)
        mapping: dict[str, Any] = {}
        for key, value in node.items():
            child = (*path, str(key))
            try:
                key_at, value_at = node.lc.key(key), node.lc.value(key)  # type: ignore[attr-defined]  # ruamel's
            except (AttributeError, KeyError, TypeError):
                pass
            else:
                positions.add_key(child, *key_at)
                positions.add(child, *(value_at if value_at[0] == key_at[0] else key_at))
            mapping[str(key)] = _plain(value, child, positions)
        return mapping
    if isinstance(node, list):
        items: list[Any] = []
        for index, value in enumerate(node):
            child = (*path, index)
            try:
                positions.add(child, *node.lc.item(index))  # type: ignore[attr-defined]  # ruamel's
            except (AttributeError, KeyError, TypeError):
                pass
            items.append(_plain(value, child, positions))
        return items
    if node is None or isinstance(node, bool | int | float):
        return node
    return str(node)  # ruamel's scalar string subclasses → str
