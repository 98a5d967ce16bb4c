"""Reading protocol YAML into plain Python while remembering where every node stood in the file."""

from __future__ import annotations

from placebolab.errors import ProtocolError
from placebolab.protocol.problems import Path, Positions, Problem


def read_yaml(raw: bytes, name: str, error=ProtocolError) -> tuple[object, Positions]:
    """Parse ``raw`` as YAML. Empty, binary, undecodable or unparsable input raises a located ``error``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if b"\x00" in raw:
        raise error(Problem(name, None, None, (), "is a binary file, not a protocol; give a .yaml file"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            Problem(name, None, None, (), f"is not UTF-8 text (byte {exc.start}); save it as UTF-8")
        ) from None
    if not text.strip():
        raise error(Problem(name, None, None, (), "is empty; a protocol starts with `protocol: NAME`" if error is ProtocolError else "is empty"))
    try:
        document = YAML(typ="rt", pure=True).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        what = " ".join(filter(None, [exc.context, exc.problem])) or "not valid YAML"
        raise error(Problem(name, line, col, (), f"YAML syntax: {what}")) from None
    except YAMLError as exc:
        raise error(Problem(name, None, None, (), f"YAML syntax: {exc}")) from None
    positions = Positions()
    return _plain(document, (), positions), positions


def _plain(node, path: Path, positions: Positions):
    """ruamel's commented containers → dict/list, recording each child's line and column."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            child = (*path, str(key))
            try:
                positions.add(child, *node.lc.value(key))
            except (AttributeError, KeyError, TypeError):
                pass
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
