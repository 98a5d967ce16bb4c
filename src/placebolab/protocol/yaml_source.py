"""Reading protocol YAML into plain Python while remembering where every node stood in the file."""

from __future__ import annotations

from placebolab.errors import ProtocolError
from placebolab.protocol.problems import Path, Positions, Problem


def read_yaml(raw: bytes, name: str, error=ProtocolError) -> tuple[object, Positions]:
    """Parse ``raw`` as YAML. Empty, binary, undecodable or unparsable input raises a located ``error``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

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
    try:
        document = YAML(typ="rt", pure=True).load(text)
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


def _unclosed_flow(exc) -> bool:
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


def _syntax_message(exc, text: str) -> str:
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


def _plain(node, path: Path, positions: Positions):
    """ruamel's commented containers → dict/list, recording each child's line and column.

    A mapping entry is located at its value when the value starts on the key's line (``scale: nrs-0-1000``),
    else at its key: a block value (``allocation:`` then indented lines) would point at the line below."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            child = (*path, str(key))
            try:
                key_at, value_at = node.lc.key(key), node.lc.value(key)
            except (AttributeError, KeyError, TypeError):
                pass
            else:
                positions.add_key(child, *key_at)
                positions.add(child, *(value_at if value_at[0] == key_at[0] else key_at))
            out[str(key)] = _plain(value, child, positions)
        return out
    if isinstance(node, list):
        out = []
        for index, value in enumerate(node):
            child = (*path, index)
            try:
                positions.add(child, *node.lc.item(index))
            except (AttributeError, KeyError, TypeError):
                pass
            out.append(_plain(value, child, positions))
        return out
    if node is None or isinstance(node, bool | int | float):
        return node
    return str(node)  # ruamel's scalar string subclasses → str
