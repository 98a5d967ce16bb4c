"""Load a protocol: YAML → typed model → cross-checks. Every problem found is reported, each located."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable
from pathlib import Path as FsPath

from pydantic import BaseModel, ValidationError

from placebolab.errors import ProtocolError
from placebolab.protocol.models import Protocol
from placebolab.protocol.problems import Path, Positions, Problem
from placebolab.protocol.yaml_source import read_yaml

ReadFile = Callable[[str], bytes]


def load_protocol(path: str | FsPath) -> Protocol:
    """Read, validate and check the protocol file at ``path``; raise ProtocolError listing every problem."""
    path = FsPath(path)
    if not path.is_file():
        raise ProtocolError(f"{path}: no such file; give the path of a protocol .yaml file")
    raw = path.read_bytes()
    return parse_protocol(raw, str(path), _folder_reader(path.parent))


def parse_protocol(raw: bytes, name: str, read_file: ReadFile) -> Protocol:
    """Validate protocol text named ``name``; ``read_file(path relative to the protocol)`` gives a stimulus file."""
    from placebolab.protocol.checks import check_protocol

    data, positions = read_yaml(raw, name)
    if not isinstance(data, dict):
        raise ProtocolError(
            Problem(name, 1, 1, (), "the top level must be a mapping of keys, starting with `protocol: NAME`")
        )
    protocol = validate_document(Protocol, data, positions, name)
    protocol._source_name = name
    problems = check_protocol(protocol, read_file, lambda path, message: _locate(name, positions, path, message))
    if problems:
        raise ProtocolError(problems)
    return protocol


def _folder_reader(protocol_dir: FsPath) -> ReadFile:
    return lambda relative: (protocol_dir / relative).read_bytes()


def _locate(name: str, positions: Positions, path: Path, message: str) -> Problem:
    return Problem(name, *positions.of(path), tuple(path), message)


def validate_document(model: type[BaseModel], data, positions: Positions, name: str, error=ProtocolError):
    """``model.model_validate(data)``, with pydantic's errors located and reworded for a psychologist."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for item in exc.errors(include_url=False):
            path = _document_path(item["loc"], data)
            problems.append(_locate(name, positions, path, _reword(item, path, data, model)))
        raise error(_dedupe(problems)) from None


# --- pydantic's errors, reworded for a psychologist --------------------------------------------------


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, unique = set(), []
    for problem in problems:
        if str(problem) not in seen:
            seen.add(str(problem))
            unique.append(problem)
    return unique


def _document_path(loc: tuple, data) -> Path:
    """pydantic puts the union member (``'rating'``, ``'function-after[...]'``) into ``loc``; drop what the
    document does not contain, so the path reads as the researcher wrote it: ``timeline[3].scale``."""
    path, node = [], data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and not _is_union_tag(part, node):
            path.append(part)  # a missing key: point at it, beneath its parent
            node = None
    return tuple(path)


def _is_union_tag(part: str, node: dict) -> bool:
    return part == node.get("type") or "[" in part or part.startswith("function-")


def _reword(error: dict, path: Path, data: dict, root: type[BaseModel]) -> str:
    kind, message = error["type"], error["msg"]
    if kind == "missing":
        return f"missing required key `{path[-1]}`"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(root, path[:-1], data)
        key = path[-1]
        guess = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"; did you mean `{guess[0]}`?" if guess else ""
        return f"unknown key `{key}`{hint} Allowed here: {', '.join(allowed)}"
    if kind == "union_tag_invalid":
        from placebolab.components import STEP_TYPES

        return f"unknown step type '{error['input'].get('type')}'; use one of {', '.join(STEP_TYPES)}"
    if kind == "union_tag_not_found":
        from placebolab.components import STEP_TYPES

        return f"the step has no `type`; add one of {', '.join(STEP_TYPES)}"
    if kind == "literal_error":
        return f"'{error['input']}' is not allowed; {message[0].lower()}{message[1:]}"
    if kind == "string_pattern_mismatch":
        return (
            f"'{error['input']}' is not a valid name; start with a letter and use only letters, digits, "
            "'_' and '-' (e.g. itch_post)"
        )
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    return f"{message[0].lower()}{message[1:]} (got {error['input']!r})"


def _allowed_keys(root: type[BaseModel], path: Path, data) -> list[str]:
    """The keys a mapping at ``path`` may hold, found by walking the models alongside the document."""
    from placebolab.components import STEP_TYPES

    annotation, node = root, data
    for part in path:
        node = node[part] if isinstance(node, dict | list) else None
        annotation = _child_annotation(annotation, part)
        if isinstance(node, dict) and "type" in node and node["type"] in STEP_TYPES and _is_step(annotation):
            annotation = STEP_TYPES[node["type"]]
    model = _model_of(annotation)
    return list(model.model_fields) if model else []


def _child_annotation(annotation, part):
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part)
        return field.annotation if field else None
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is list and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _unwrap(annotation):
    """Optional[X] → X; Annotated[X, …] → X."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
            continue
        return annotation


def _is_step(annotation) -> bool:
    from placebolab.components import STEP_TYPES

    return set(typing.get_args(_unwrap(annotation))) >= set(STEP_TYPES.values())


def _model_of(annotation):
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
