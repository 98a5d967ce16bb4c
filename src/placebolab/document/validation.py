"""A document validated against a pydantic model, with pydantic's errors located in the file and reworded
for a psychologist: ``timeline[3].scale: should be a number, not 'five'`` at its line and column."""

from __future__ import annotations

import difflib
import itertools
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from placebolab.components import STEP_TYPES
from placebolab.document.problems import DocPath, Positions, Problem
from placebolab.document.yaml_source import ErrorType
from placebolab.errors import ProtocolError

M = TypeVar("M", bound=BaseModel)
#: A pydantic error (``ValidationError.errors()``) and where it stands in the document.
Located = list[tuple[ErrorDetails, DocPath]]


def in_file_order(problems: list[Problem]) -> list[Problem]:
    """Top to bottom, as the researcher will fix them (a stable sort: same-line problems keep their order)."""
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.column or 0))


def validate_document(
    model: type[M],
    data: Any,
    positions: Positions,
    name: str,
    error: ErrorType = ProtocolError,
    context: Mapping[str, Any] | None = None,
) -> M:
    """``model.model_validate(data)``, with pydantic's errors located and reworded for a psychologist.
    ``context`` is handed to validators (the protocol's own instruments, for its questionnaire steps)."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        located: Located = []
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
        placed = [_placed(name, path, message, positions, data, model, path in extra) for path, message in merged]
        raise error(in_file_order(_dedupe([problem for problem in placed if problem is not None]))) from None


def _placed(
    name: str, path: DocPath, message: str, positions: Positions, data: Any, root: type[BaseModel], unknown: bool
) -> Problem | None:
    """The problem at its place; an unknown key at the key itself (its value may stand further right).

    An unknown key that is the rest of a text a comma inside ``{ }`` cut off (``{id: daten, text: Ich bin
    einverstanden, dass meine …}``) is said to be so, under its mapping's path (a sentence as the last part of
    a path reads badly); a further piece of the same text is no second problem (None)."""
    if not unknown:
        return Problem(name, *positions.of(path), path, message)
    cut = _cut_text(path, data, positions, root)
    if cut is None:
        return Problem(name, *positions.key_of(path), path, message)
    key, text, pieces = cut
    if pieces[0] != path[-1]:
        return None
    return Problem(name, *positions.key_of(path), path[:-1], _cut_text_message(key, text, pieces))


CUT_QUOTED_CHARS = 30  # of a cut text's each end, quoted in its message


def _cut_text(
    path: DocPath, data: Any, positions: Positions, root: type[BaseModel]
) -> tuple[str, str, list[str]] | None:
    """When the unknown key at ``path`` looks like the rest of a text cut by a comma inside ``{ }`` — it stands in
    a mapping written in ``{ }``, without a value, after a text, and holds a space or misspells no key allowed
    there —: the key whose text was cut, that text as read, and the pieces cut off (keys without values)."""
    if not path or not positions.in_flow(path[:-1]):
        return None
    mapping, key = _node_at(data, path[:-1]), str(path[-1])
    if not isinstance(mapping, dict) or key not in mapping or mapping[key] is not None:
        return None
    if " " not in key.strip() and difflib.get_close_matches(key, _allowed_keys(root, path[:-1], data), n=1):
        return None  # a misspelt key without a value ({id: x, promt}): the usual message
    keys = list(mapping)
    before = keys.index(key) - 1
    while before >= 0 and mapping[keys[before]] is None:  # earlier pieces of the same text
        before -= 1
    text = mapping[keys[before]] if before >= 0 else None
    if text is None or isinstance(text, bool | dict | list):
        return None
    pieces = list(itertools.takewhile(lambda k: mapping[k] is None, keys[before + 1 :]))
    return keys[before], str(text), pieces


def _cut_text_message(key: str, text: str, pieces: list[str]) -> str:
    """``unknown key `dass meine …`: a comma inside { } ends a value …, e.g. text: "Ich bin einverstanden, dass …"``."""
    whole = ", ".join([text, *pieces])  # as written, if a space followed each comma
    if len(whole) > 2 * CUT_QUOTED_CHARS:
        whole = f"{_last_words(text, CUT_QUOTED_CHARS)}, {(pieces[0].split() or [pieces[0]])[0]} …"
    became = "a key of its own" if len(pieces) == 1 else "keys of their own"
    return (
        f"unknown key `{_first_words(pieces[0], CUT_QUOTED_CHARS)}`: a comma inside {{ }} ends a value, so the rest "
        f'of the text became {became}; put the whole text in quotes, e.g. {key}: "{whole}"'
    )


def _first_words(text: str, chars: int) -> str:
    """``text``, or as many of its first words as fit in ``chars``, then an ellipsis."""
    kept = ""
    for word in text.split():
        if kept and len(kept) + 1 + len(word) > chars:
            return f"{kept} …"
        kept = f"{kept} {word}".lstrip()
    return kept or text


def _last_words(text: str, chars: int) -> str:
    """``text``, or an ellipsis and as many of its last words as fit in ``chars``."""
    kept = ""
    for word in reversed(text.split()):
        if kept and len(kept) + 1 + len(word) > chars:
            return f"… {kept}"
        kept = f"{word} {kept}".rstrip()
    return kept or text


def _node_at(data: Any, path: DocPath) -> Any:
    node = data
    for part in path:
        node = node[part] if isinstance(node, dict | list) else None  # type: ignore[index]  # int parts index lists
    return node


def _union_type_errors_merged(located: Located, data: Any, root: type[BaseModel]) -> list[tuple[DocPath, str]]:
    """A value that matches no member of a union (``mean: float | dict``) gets one error per member. A type
    error is dropped where another member got further into the value (its error lies deeper), and the
    type errors left at one path become one message: "should be a number or a mapping …, not a list"."""
    deeper = {path[:n] for _, path in located for n in range(len(path))}
    wanted: dict[DocPath, list[str]] = {}
    out: list[tuple[DocPath, Any]] = []  # a message, or the error awaiting its merged message
    for item, path in located:
        word = _type_word(item["type"])
        if item["type"] in ("model_type", "model_attributes_type"):
            word = _mapping_word(root, path, data) or word
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
            f"should be {' or '.join(wanted[path])}, not {describe(slot['input'])}" if isinstance(slot, dict) else slot,
        )
        for path, slot in out
    ]


def _mapping_word(root: type[BaseModel], path: DocPath, data: Any) -> str | None:
    """What a mapping at ``path`` must hold, with the keys it needs (a bare sentence where ``{id: …, text: …}``
    was wanted): "a mapping with the keys id, text, e.g. {id: …, text: …}"."""
    model = _model_at(root, path, data)
    if model is None:
        return None
    keys = [name for name, field in model.model_fields.items() if field.is_required()] or list(model.model_fields)
    return f"a mapping with the keys {', '.join(keys)}, e.g. {{{', '.join(f'{key}: …' for key in keys)}}}"


def _type_word(kind: str) -> str | None:
    """``'float_type'`` → ``'a number'``; None for an error that is not about the value's type."""
    if kind == "int_from_float":
        return _TYPE_WORDS["int"]
    if kind.endswith(("_type", "_parsing")):
        return _TYPE_WORDS.get(kind.rsplit("_", 1)[0])
    return None


# --- pydantic's errors, reworded for a psychologist --------------------------------------------------


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    unique: list[Problem] = []
    for problem in problems:
        if str(problem) not in seen:
            seen.add(str(problem))
            unique.append(problem)
    return unique


def _document_path(loc: tuple[str | int, ...], data: Any, root: type[BaseModel], missing: bool = False) -> DocPath:
    """The path as the researcher wrote it (``timeline[3].scale``), from pydantic's ``loc``.

    pydantic puts the member of a union into ``loc`` (``'rating'`` for a step, ``'function-after[...]'``,
    ``'float'``); those are not in the document. The models are walked alongside the document, so a tag is
    dropped exactly where a union stands — even when it reads like a key (a text step's tag ``'text'``
    next to its ``text:`` key). A part the document lacks is kept only as the last part of a missing key."""
    path: list[str | int] = []
    node, annotation = data, typing.cast(Any, root)
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


def _union_members(annotation: Any) -> list[Any]:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return members if len(members) > 1 else []
    return []


def _member(members: list[Any], tag: str | int) -> Any:
    """The union member a pydantic tag names: a discriminator value (``'rating'``) or a type's name."""
    for member in members:
        model = _model_of(member)
        if model is not None and "type" in model.model_fields:
            if tag in typing.get_args(model.model_fields["type"].annotation):
                return member
        if getattr(member, "__name__", None) == tag:
            return member
    return None


def _keys_guessed_from_typos(located: Located, root: type[BaseModel], data: Any) -> set[DocPath]:
    """Paths of missing keys that an unknown sibling key's did-you-mean already names (``promt`` → ``prompt``):
    one mistake, so one message."""
    guessed: set[DocPath] = set()
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


def describe(value: object) -> str:
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


def _reword(error: ErrorDetails, path: DocPath, data: Any, root: type[BaseModel]) -> str:
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
        tag = error["input"].get("type") if isinstance(error["input"], dict) else None
        guess = difflib.get_close_matches(str(tag), STEP_TYPES, n=1)
        hint = f"did you mean '{guess[0]}'? " if guess else ""
        return f"unknown step type '{tag}'; {hint}use one of {', '.join(STEP_TYPES)}"
    if kind == "union_tag_not_found":
        return f"the step has no `type`; add one of {', '.join(STEP_TYPES)}"
    if kind == "literal_error":
        options = ctx.get("expected", "").replace("'", "").replace(" or ", ", ").split(", ")
        guess = difflib.get_close_matches(str(error["input"]), options, n=1)
        hint = f"did you mean '{guess[0]}'? " if guess else ""
        return f"{describe(error['input'])} is not allowed here; {hint}use one of {', '.join(options)}"
    if kind == "string_pattern_mismatch":
        characters = (
            "letters, digits, '_' and '-'" if "\\-" in str(ctx.get("pattern", "")) else "letters, digits and '_'"
        )
        example = "t0" if path and path[-1] == "mark" else "itch_post"
        return f"'{error['input']}' is not a valid name; start with a letter and use only {characters} (e.g. {example})"
    if _type_word(kind):
        return f"should be {_type_word(kind)}, not {describe(error['input'])}"
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
    got = describe(error["input"])
    if message.startswith("Input should be "):  # pydantic's voice; say it as a sentence about the value
        return f"should be {message.removeprefix('Input should be ')} (got {got})"
    return f"{message[0].lower()}{message[1:]} (got {got})"


def _allowed_keys(root: type[BaseModel], path: DocPath, data: Any) -> list[str]:
    """The keys a mapping at ``path`` may hold."""
    model = _model_at(root, path, data)
    return list(model.model_fields) if model else []


def _model_at(root: type[BaseModel], path: DocPath, data: Any) -> type[BaseModel] | None:
    """The model that a mapping at ``path`` is read as, found by walking the models alongside the document."""
    annotation: Any = root
    node = data
    for part in path:
        node = node[part] if isinstance(node, dict | list) else None  # type: ignore[index]  # int parts index lists
        annotation = _child_annotation(annotation, part)
        if isinstance(node, dict) and "type" in node and node["type"] in STEP_TYPES and _is_step(annotation):
            annotation = STEP_TYPES[node["type"]]
    return _model_of(annotation)


def marked_texts(root: type[BaseModel], data: Any, marker: object) -> Iterator[tuple[DocPath, str, str]]:
    """Every text in ``data`` (a document as written) that stands where ``root`` types it with ``marker``
    (``Annotated[str, marker]``, alone or in a list or mapping): its path, its field's name and the text.
    The document is walked, not the validated model, so a value a validator fills in (an instrument's items
    in a questionnaire step) is found where it is written, not where it is copied to."""
    yield from _marked(root, data, (), "", marker)


def _marked(
    annotation: Any, node: Any, path: DocPath, field: str, marker: object
) -> Iterator[tuple[DocPath, str, str]]:
    if isinstance(node, str):
        if _marks(annotation, marker):
            yield path, field, node
        return
    if isinstance(node, list):
        origin, args = typing.get_origin(_unwrap(annotation)), typing.get_args(_unwrap(annotation))
        for index, value in enumerate(node):
            yield from _marked(args[0] if origin is list and args else None, value, (*path, index), field, marker)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if isinstance(kind, str) and kind in STEP_TYPES and _is_step(annotation):
        annotation = STEP_TYPES[kind]
    model = _one_model(annotation)
    if model is not None:
        for key, value in node.items():
            info = model.model_fields.get(key)
            if info is not None:  # an unknown key is the validation's to report
                child = typing.Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
                yield from _marked(child, value, (*path, key), key, marker)
        return
    origin, args = typing.get_origin(_unwrap(annotation)), typing.get_args(_unwrap(annotation))
    for key, value in node.items():
        yield from _marked(args[1] if origin is dict and len(args) == 2 else None, value, (*path, key), field, marker)


def _marks(annotation: Any, marker: object) -> bool:
    """Whether ``annotation`` is (or, in a union, may be) text marked with ``marker``."""
    if typing.get_origin(annotation) is typing.Annotated:
        return any(m is marker for m in annotation.__metadata__) or _marks(typing.get_args(annotation)[0], marker)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_marks(member, marker) for member in typing.get_args(annotation))
    return False


def _one_model(annotation: Any) -> type[BaseModel] | None:
    """The model a mapping is read as: the annotation's, or the one model among a union's members
    (``str | Instrument``: a mapping is the instrument)."""
    models = [m for m in (_model_of(a) for a in _union_members(annotation)) if m is not None]
    return _model_of(annotation) or (models[0] if len(models) == 1 else None)


def _child_annotation(annotation: Any, part: str | int) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return field.annotation if field else None
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is list and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _unwrap(annotation: Any) -> Any:
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


def _is_step(annotation: Any) -> bool:
    return set(typing.get_args(_unwrap(annotation))) >= set(STEP_TYPES.values())


def _model_of(annotation: Any) -> type[BaseModel] | None:
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
