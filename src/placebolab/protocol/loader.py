"""Load a protocol: YAML → typed model → cross-checks. Every problem found is reported, each located."""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Callable
from pathlib import Path as FsPath

from pydantic import BaseModel, ValidationError

from placebolab.errors import ProtocolError
from placebolab.protocol.models import Protocol
from placebolab.protocol.problems import Path, Positions, Problem
from placebolab.protocol.yaml_source import read_limited, read_yaml

ReadFile = Callable[[str], bytes]


def load_protocol(path: str | FsPath, template_findings: bool = True) -> Protocol:
    """Read, validate and check the protocol file at ``path``; raise ProtocolError listing every problem.
    ``template_findings=False`` lets templates that run but miss cells pass (the preview shows them)."""
    path = FsPath(path)
    if not path.is_file():
        raise ProtocolError(f"{path}: no such file; give the path of a protocol .yaml file")
    raw = read_limited(path)
    return parse_protocol(
        raw, str(path), _folder_reader(path.parent), folder=path.parent, template_findings=template_findings
    )


def parse_protocol(
    raw: bytes,
    name: str,
    read_file: ReadFile,
    folder: FsPath | None = None,
    *,
    frozen: bool = False,
    template_findings: bool = True,
    media_probes: dict | None = None,
) -> Protocol:
    """Validate protocol text named ``name``; ``read_file(path relative to the protocol)`` gives a stimulus file.
    ``folder``: the protocol's folder when ``read_file`` reads the disk; every read is then confined to the
    protocol's stimuli folder (protocol/files.py). Without it the files come from a study's store.
    ``frozen``: a study's own protocol, checked at its init; checks added since are not applied again, so
    that a study initialised before them still opens (its data can always be run, exported and analysed).
    ``media_probes``: what the study's init measured of its media files (``components.media.frozen_probes``):
    a file whose sha256 is there is not probed again."""
    from placebolab.protocol.checks import check_protocol

    data, positions = read_yaml(raw, name)
    if not isinstance(data, dict):
        got = "a list" if isinstance(data, list) else f"only {_describe(data)}"
        message = f"the file holds {got}; a protocol is a mapping of keys, starting with `protocol: NAME`"
        raise ProtocolError([Problem(name, *positions.of(()), (), message)])
    if folder is not None:
        read_file = _confined(read_file, FsPath(folder), data.get("stimuli"), name, positions)
    instrument_files, file_problems = _read_instrument_files(data, positions, name, read_file)
    frozen_bank, bank_problems = _read_bank_instruments(data, read_file)
    file_problems += bank_problems
    context = {"instrument_files": instrument_files, "bank": frozen_bank}
    try:
        protocol = validate_document(Protocol, data, positions, name, context=context)
    except ProtocolError as exc:
        raise ProtocolError(file_problems + exc.problems) from None
    protocol._source_name = name
    problems = file_problems + check_protocol(
        protocol,
        read_file,
        lambda path, message: _locate(name, positions, path, message),
        frozen=frozen,
        template_findings=template_findings,
        media_probes=media_probes,
    )
    if problems:
        raise ProtocolError(_in_file_order(problems))
    from placebolab.protocol.schedule import schedule_warnings

    protocol._warnings = _in_file_order(
        schedule_warnings(protocol, lambda path, message: _locate(name, positions, path, message))
    )
    return protocol


def _confined(read_file: ReadFile, folder: FsPath, stimuli, name: str, positions: Positions) -> ReadFile:
    """``read_file`` limited to the stimuli folder; a `stimuli:` that points where no protocol may read is
    refused at once, before any file is read (every file would be outside it)."""
    from placebolab.protocol.files import confine, stimuli_root

    stimuli = stimuli if isinstance(stimuli, str) else None  # another type: the model reports it
    try:
        root = stimuli_root(folder, stimuli)
    except ValueError as exc:
        raise ProtocolError([_locate(name, positions, ("stimuli",), str(exc))]) from None
    return confine(read_file, folder, stimuli, root)


def _read_instrument_files(data: dict, positions: Positions, name: str, read_file: ReadFile):
    """Instruments the protocol defines in files (``instruments: {my-scale: my-scale.yaml}``), each read
    through ``read_file`` (so a study freezes it like a stimulus) and validated with its own file and lines.
    Returns path → Instrument (None where the file has problems) and the problems."""
    from placebolab.instruments import Instrument
    from placebolab.protocol.files import OutsideStimuli, stimulus_key
    from placebolab.protocol.yaml_source import read_yaml

    defined = data.get("instruments")
    stimuli = data.get("stimuli")
    found, problems = {}, []
    for instrument_id, value in defined.items() if isinstance(defined, dict) else []:
        if not isinstance(value, str):
            continue
        relative = stimulus_key(stimuli if isinstance(stimuli, str) else None, value)
        shown = os.path.normpath(os.path.join(os.path.dirname(name), relative))
        found[value] = None
        try:
            raw = read_file(relative)
        except OutsideStimuli as exc:
            problems.append(_locate(name, positions, ("instruments", instrument_id), str(exc)))
            continue
        except (FileNotFoundError, IsADirectoryError):
            where = f"the stimuli folder '{stimuli}'" if stimuli else "the protocol's folder"
            message = f"instrument file '{value}' not found in {where}; check the name or create it"
            problems.append(_locate(name, positions, ("instruments", instrument_id), message))
            continue
        try:
            instrument_data, instrument_positions = read_yaml(raw, shown)
            found[value] = validate_document(Instrument, instrument_data, instrument_positions, shown)
        except ProtocolError as exc:
            problems += exc.problems
    return found, problems


def _read_bank_instruments(data: dict, read_file: ReadFile):
    """The bank instruments the protocol's steps name, each read through ``read_file`` as
    ``placebolab-instruments/<id>.yaml``: a study serves the copy frozen at its init, so a later placebolab
    with reworded or rescored instruments cannot change a running study. Returns id → Instrument, problems."""
    from placebolab.instruments import BANK_FOLDER, Instrument, bank_file, bank_ids
    from placebolab.protocol.yaml_source import read_yaml

    defined = data.get("instruments") if isinstance(data.get("instruments"), dict) else {}
    timeline = data.get("timeline") if isinstance(data.get("timeline"), list) else []
    used = {
        step.get("instrument")
        for step in timeline
        if isinstance(step, dict) and isinstance(step.get("instrument"), str) and step["instrument"] not in defined
    }
    found, problems = {}, []
    for instrument_id in sorted(used & set(bank_ids())):
        relative = f"{BANK_FOLDER}/{instrument_id}.yaml"
        try:
            raw = read_file(relative)
        except FileNotFoundError:  # a reader that does not know the bank: the package's copy
            raw = bank_file(relative)
        try:
            instrument_data, instrument_positions = read_yaml(raw, relative)
            found[instrument_id] = validate_document(Instrument, instrument_data, instrument_positions, relative)
        except ProtocolError as exc:
            problems += exc.problems
    return found, problems


def _folder_reader(protocol_dir: FsPath) -> ReadFile:
    from placebolab.instruments import with_bank

    return with_bank(lambda relative: (protocol_dir / relative).read_bytes())


def _locate(name: str, positions: Positions, path: Path, message: str) -> Problem:
    return Problem(name, *positions.of(path), tuple(path), message)


def validate_document(
    model: type[BaseModel], data, positions: Positions, name: str, error=ProtocolError, context: dict | None = None
):
    """``model.model_validate(data)``, with pydantic's errors located and reworded for a psychologist.
    ``context`` is handed to validators (the protocol's own instruments, for its questionnaire steps)."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        located = []
        for item in errors:
            path = _document_path(item["loc"], data, model, missing=item["type"] == "missing")
            if item["type"] == "union_tag_invalid":
                path = (*path, "type")
            placed = getattr((item.get("ctx") or {}).get("error"), "where", ())
            located.append((item, (*path, *placed)))
        guessed = _keys_guessed_from_typos(located, model, data)
        located = [(item, path) for item, path in located if not (item["type"] == "missing" and path in guessed)]
        merged = _union_type_errors_merged(located, data, model)
        extra = {path for item, path in located if item["type"] == "extra_forbidden"}
        problems = [
            Problem(name, *(positions.key_of(path) if path in extra else positions.of(path)), path, message)
            for path, message in merged
        ]
        raise error(_in_file_order(_dedupe(problems))) from None


def _union_type_errors_merged(located, data, root) -> list[tuple[Path, str]]:
    """A value that matches no member of a union (``mean: float | dict``) gets one error per member. A type
    error is dropped where another member got further into the value (its error lies deeper), and the
    type errors left at one path become one message: "should be a number or a mapping …, not a list"."""
    deeper = {path[:n] for _, path in located for n in range(len(path))}
    wanted: dict[Path, list[str]] = {}
    out: list[tuple[Path, str]] = []
    for item, path in located:
        word = _type_word(item["type"])
        if word is None:
            out.append((path, _reword(item, path, data, root)))
        elif path not in deeper:
            if path not in wanted:
                wanted[path] = []
                out.append((path, item))  # placeholder, filled below once every member is known
            if word not in wanted[path]:
                wanted[path].append(word)
    return [
        (
            path,
            f"should be {' or '.join(wanted[path])}, not {_describe(slot['input'])}"
            if isinstance(slot, dict)
            else slot,
        )
        for path, slot in out
    ]


def _type_word(kind: str) -> str | None:
    """``'float_type'`` → ``'a number'``; None for an error that is not about the value's type."""
    if kind == "int_from_float":
        return _TYPE_WORDS["int"]
    if kind.endswith(("_type", "_parsing")):
        return _TYPE_WORDS.get(kind.rsplit("_", 1)[0])
    return None


# --- pydantic's errors, reworded for a psychologist --------------------------------------------------


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """Top to bottom, as the researcher will fix them (a stable sort: same-line problems keep their order)."""
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.column or 0))


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, unique = set(), []
    for problem in problems:
        if str(problem) not in seen:
            seen.add(str(problem))
            unique.append(problem)
    return unique


def _document_path(loc: tuple, data, root: type[BaseModel], missing: bool = False) -> Path:
    """The path as the researcher wrote it (``timeline[3].scale``), from pydantic's ``loc``.

    pydantic puts the member of a union into ``loc`` (``'rating'`` for a step, ``'function-after[...]'``,
    ``'float'``); those are not in the document. The models are walked alongside the document, so a tag is
    dropped exactly where a union stands — even when it reads like a key (a text step's tag ``'text'``
    next to its ``text:`` key). A part the document lacks is kept only as the last part of a missing key."""
    path, node, annotation = [], data, root
    for index, part in enumerate(loc):
        members = _union_members(annotation)
        if members:  # this part is the union's tag
            annotation = _member(members, part)
            continue
        if isinstance(node, dict) and part in node:
            node, annotation = node[part], _child_annotation(annotation, part)
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node, annotation = node[part], _child_annotation(annotation, part)
            path.append(part)
        elif missing and index == len(loc) - 1 and isinstance(part, str):
            path.append(part)  # a missing key: point at it, beneath its parent
        else:
            annotation = None  # an unrecognised tag; keep walking the document alone
    return tuple(path)


def _union_members(annotation) -> list:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return members if len(members) > 1 else []
    return []


def _member(members: list, tag):
    """The union member a pydantic tag names: a discriminator value (``'rating'``) or a type's name."""
    for member in members:
        model = _model_of(member)
        if model is not None and "type" in model.model_fields:
            if tag in typing.get_args(model.model_fields["type"].annotation):
                return member
        if getattr(member, "__name__", None) == tag:
            return member
    return None


def _keys_guessed_from_typos(located, root, data) -> set[Path]:
    """Paths of missing keys that an unknown sibling key's did-you-mean already names (``promt`` → ``prompt``):
    one mistake, so one message."""
    guessed = set()
    for item, path in located:
        if item["type"] == "extra_forbidden" and path:
            guess = difflib.get_close_matches(str(path[-1]), _allowed_keys(root, path[:-1], data), n=1)
            if guess:
                guessed.add((*path[:-1], guess[0]))
    return guessed


_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "string": "text",
    "list": "a list, e.g. [a, b]",
    "dict": "a mapping of keys, e.g. {key: value}",
    "model": "a mapping of keys, e.g. {key: value}",
    "model_attributes": "a mapping of keys, e.g. {key: value}",
}


def _describe(value) -> str:
    if value is None:
        return "nothing (the value is empty)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


def _reword(error: dict, path: Path, data: dict, root: type[BaseModel]) -> str:
    kind, message, ctx = error["type"], error["msg"], error.get("ctx") or {}
    if kind == "missing":
        return f"missing required key `{path[-1]}`"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(root, path[:-1], data)
        key = path[-1]
        guess = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"; did you mean `{guess[0]}`?" if guess else ";"
        return f"unknown key `{key}`{hint} allowed here: {', '.join(allowed)}"
    if kind == "union_tag_invalid":
        from placebolab.components import STEP_TYPES

        tag = error["input"].get("type") if isinstance(error["input"], dict) else None
        guess = difflib.get_close_matches(str(tag), STEP_TYPES, n=1)
        hint = f"did you mean '{guess[0]}'? " if guess else ""
        return f"unknown step type '{tag}'; {hint}use one of {', '.join(STEP_TYPES)}"
    if kind == "union_tag_not_found":
        from placebolab.components import STEP_TYPES

        return f"the step has no `type`; add one of {', '.join(STEP_TYPES)}"
    if kind == "literal_error":
        options = ctx.get("expected", "").replace("'", "").replace(" or ", ", ").split(", ")
        guess = difflib.get_close_matches(str(error["input"]), options, n=1)
        hint = f"did you mean '{guess[0]}'? " if guess else ""
        return f"{_describe(error['input'])} is not allowed here; {hint}use one of {', '.join(options)}"
    if kind == "string_pattern_mismatch":
        allowed = "letters, digits, '_' and '-'" if "\\-" in str(ctx.get("pattern", "")) else "letters, digits and '_'"
        example = "t0" if path and path[-1] == "mark" else "itch_post"
        return f"'{error['input']}' is not a valid name; start with a letter and use only {allowed} (e.g. {example})"
    if _type_word(kind):
        return f"should be {_type_word(kind)}, not {_describe(error['input'])}"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"needs {bound} {limit} {'entry' if limit == 1 else 'entries'}; it has {ctx.get('actual_length')}"
    comparisons = {
        "greater_than": ("gt", "above"),
        "greater_than_equal": ("ge", "at least"),
        "less_than": ("lt", "below"),
        "less_than_equal": ("le", "at most"),
    }
    if kind in comparisons:
        key, words = comparisons[kind]
        limit = ctx.get(key)
        limit = f"{limit:g}" if isinstance(limit, int | float) else limit
        return f"{error['input']!r} is out of range; it must be {words} {limit}"
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    got = _describe(error["input"])
    if message.startswith("Input should be "):  # pydantic's voice; say it as a sentence about the value
        return f"should be {message.removeprefix('Input should be ')} (got {got})"
    return f"{message[0].lower()}{message[1:]} (got {got})"


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
