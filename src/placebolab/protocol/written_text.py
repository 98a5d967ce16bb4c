"""Template syntax where nothing renders it: ``prompt: Beratung von {{ aerztin }}`` would show the braces to
every participant, in every frontend and the preview.

Only a script step's body (``template:`` or its ``source:`` file), its ``speaker:`` and a media step's file
name are templates. Every other text a participant reads is shown as written: the fields typed
``ShownText`` (components/base.py: prompts, titles, items, anchors, labels, intake questions …) and the
files of steps whose ``source:`` is not a template (a text or consent step's markdown). A ``{{``, ``{%`` or
``{#`` in one of them is refused, with what would be right.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from placebolab.components.base import SHOWN_AS_WRITTEN
from placebolab.document.validation import marked_texts

if TYPE_CHECKING:
    from pydantic import BaseModel

    from placebolab.document.problems import Report
    from placebolab.protocol.models import Protocol

_OPENING = re.compile(r"\{[{%#]")
_CLOSING = {"{{": "}}", "{%": "%}", "{#": "#}"}
_NAME = re.compile(r"\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}")
SNIPPET_CHARS = 40  # of the syntax quoted in a message
#: what else would be right for a step's text: the step type whose texts are templates
SCRIPT_STEP = "say it in a script step (`type: script`), whose `template:` or `source:` file is a template"


@dataclass(frozen=True)
class Names:
    """What a template could have used: the protocol's variables (constants) and the names that differ
    between cells or participants (factors, intake fields, ``cell``, ``arm``)."""

    variables: Mapping[str, str]
    varying: Collection[str]

    @classmethod
    def of(cls, protocol: Protocol) -> Names:
        varying = [*protocol.factors, *(f.id for f in protocol.intake), "cell", "arm"]
        return cls(protocol.variables, varying)

    @classmethod
    def of_document(cls, data: Mapping[str, Any]) -> Names:
        """From a protocol as written, before it is validated (its values may have any type)."""
        variables = data.get("variables")
        factors, intake = data.get("factors"), data.get("intake")
        varying = [*(factors if isinstance(factors, dict) else ()), "cell", "arm"]
        varying += [f["id"] for f in intake if isinstance(f, dict) and "id" in f] if isinstance(intake, list) else []
        return cls(variables if isinstance(variables, dict) else {}, varying)


def check_written_texts(root: type[BaseModel], data: Any, names: Names, report: Report) -> None:
    """Report every text of ``data`` (a document of model ``root``, as written) that is shown as written and
    holds template syntax."""
    for path, field, text in marked_texts(root, data, SHOWN_AS_WRITTEN):
        found = template_syntax(text)
        if found is not None:
            report(path, literal_message(f"`{field}`", found[1], text, names, _way_out(path, data)))


def check_written_files(protocol: Protocol, report: Report) -> None:
    """Report every stimulus file a step shows as written (not a template) that holds template syntax."""
    names = Names.of(protocol)
    for index, step in enumerate(protocol.timeline):
        if any(part.key == "source" and not part.media for part in step.templates(protocol.files)):
            continue  # its file is a template (a script's)
        for source in step.sources():
            text = protocol.files.get(source)  # None: not read, which is reported where it is loaded
            found = template_syntax(text) if text is not None else None
            if text is None or found is None:
                continue
            offset, snippet = found
            line = text.count("\n", 0, offset) + 1
            what = f"'{source}' (line {line})"
            way_out = "make this step a script step (`type: script`), whose `source:` file is a template"
            report(
                ("timeline", index, "source"),
                literal_message(what, snippet, text, names, way_out if step.type == "text" else ""),
            )


def template_syntax(text: str) -> tuple[int, str] | None:
    """Where the first piece of jinja2 syntax in ``text`` starts, and the piece (``{{ aerztin }}``: at most
    to the end of its line and :data:`SNIPPET_CHARS` characters); None if there is none."""
    found = _OPENING.search(text)
    if found is None:
        return None
    rest = text[found.start() :].split("\n", 1)[0]
    closing = rest.find(_CLOSING[found.group()], 2)
    piece = rest[: closing + 2] if closing >= 0 else rest
    return found.start(), piece if len(piece) <= SNIPPET_CHARS else piece[: SNIPPET_CHARS - 1] + "…"


def literal_message(what: str, snippet: str, text: str, names: Names, way_out: str) -> str:
    """``what`` (a field, a file) is shown as written: what would appear, and what would be right
    (``way_out``: what else would be, where a template can stand instead)."""
    used = list(dict.fromkeys(_NAME.findall(text)))
    head = f"{what} is shown as written, not as a template: `{snippet}` would appear literally"
    varying = ", ".join(f"`{name}`" for name in used if name in names.varying)
    if varying:  # only a template can say what differs between cells or participants
        said = f"so only a template can say it: {way_out}" if way_out else "so write the text without it"
        return f"{head}. {varying} differs between cells or participants, {said}"
    spelt = "; ".join(f"`{name}` is {names.variables[name]}" for name in used if name in names.variables)
    return f"{head}. Write the text out{f' ({spelt})' if spelt else ''}{f', or {way_out}' if way_out else ''}"


def _way_out(path: tuple[str | int, ...], data: Any) -> str:
    """What else would be right for the text at ``path``: a script step, for what a step says (its prompt, a
    pause's or a text step's text); nothing for a label, an item, an intake question or a variable (no
    template can stand where they are shown)."""
    if len(path) != 3 or path[0] != "timeline" or path[2] not in ("prompt", "text"):
        return ""
    step = data["timeline"][path[1]] if isinstance(data, dict) else None
    kind = step.get("type") if isinstance(step, dict) else None
    if kind == "text":
        return "make this step a script step (`type: script`, with `template:` for `text:`), which is a template"
    return SCRIPT_STEP if path[2] == "prompt" or kind == "pause" else ""
