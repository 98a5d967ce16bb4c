"""The instrument bank: validated questionnaires and rating sets as data files, named by id in a protocol.

A questionnaire step names one (``{id: expectancy, type: questionnaire, instrument: ceq}``) and gets
its items, response scale, prompt and scoring rules. Each bank file (``<id>.yaml`` beside this module)
cites its source and says under ``licence`` whether the item wording is shipped (``wording: shipped``)
or must be given by the protocol (``wording: protocol``; the step then lists ``wording: {item: text}``).

A protocol defines its own instruments in the same format under its top-level ``instruments:`` —
inline, or as the path of a YAML file in its stimuli folder (frozen into the study at init like every
stimulus file) — and names them exactly like bank instruments. A protocol's own instrument of the
same id as a bank instrument takes its place.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import Field, field_validator, model_validator

from placebolab.components.base import Model, PlacedValueError, ShownText
from placebolab.components.questionnaire import QuestionItem, Score, check_items_and_scores
from placebolab.components.scales import Scale, ScaleOrPreset, resolve_scale
from placebolab.document.validation import validate_document
from placebolab.document.yaml_source import read_yaml


class InstrumentItem(QuestionItem):
    """A questionnaire item whose wording may be left to the protocol."""

    text: ShownText | None = Field(  # type: ignore[assignment]  # a step's `wording` fills it in (expand)
        None, description="The wording; absent where the licence does not allow shipping it."
    )


class Instrument(Model):
    """A questionnaire as data: items, response format and scoring, with its source and licence."""

    title: str
    source: str | None = Field(None, description="The publication it comes from.")
    licence: str | None = Field(None, description="What may be shipped, and why.")
    wording: Literal["shipped", "protocol"] = Field(
        "shipped", description="`protocol`: item texts are not shipped; each step supplies them under `wording`."
    )
    prompt: ShownText | None = None
    scale: Scale | None = None
    items: list[InstrumentItem] = Field(min_length=1)
    scores: dict[str, Score] = Field(default_factory=dict)

    @field_validator("scale", mode="before", json_schema_input_type=ScaleOrPreset)
    @classmethod
    def _preset(cls, value):
        return resolve_scale(value)

    @model_validator(mode="after")
    def _consistent(self):
        check_items_and_scores(self.items, self.scores, self.scale)
        if self.wording == "shipped":
            for index, item in enumerate(self.items):
                if item.text is None:
                    raise PlacedValueError(
                        f"item '{item.id}' has no text; give it one, or set `wording: protocol` so each protocol "
                        "supplies the wording",
                        "items",
                        index,
                    )
        return self


BANK_FOLDER = "placebolab-instruments"  # where a study stores the bank files it uses (not a real folder)


def bank_file(relative: str) -> bytes:
    """The shipped file of a bank instrument, by its path in a study (``placebolab-instruments/ceq.yaml``)."""
    folder, _, file_name = relative.partition("/")
    entry = resources.files(__name__) / file_name
    if folder != BANK_FOLDER or "/" in file_name or not entry.is_file():
        raise FileNotFoundError(relative)
    return entry.read_bytes()


def with_bank(read_file: Callable[[str], bytes]) -> Callable[[str], bytes]:
    """``read_file`` that also serves bank instruments (``placebolab-instruments/<id>.yaml``) from the package,
    so whoever records what a protocol reads (``Study.init``) freezes the bank files it uses as well."""

    def read(relative: str) -> bytes:
        return bank_file(relative) if relative.startswith(BANK_FOLDER + "/") else read_file(relative)

    return read


def bank_ids() -> list[str]:
    """The ids of the bank's instruments, without reading them."""
    return sorted(e.name.removesuffix(".yaml") for e in resources.files(__name__).iterdir() if e.name.endswith(".yaml"))


@lru_cache(maxsize=1)
def bank() -> dict[str, Instrument]:
    """Every instrument shipped with placebolab, by id (the file name)."""
    found = {}
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            name = f"placebolab/instruments/{entry.name}"
            data, positions = read_yaml(entry.read_bytes(), name)
            found[entry.name.removesuffix(".yaml")] = validate_document(Instrument, data, positions, name)
    return found


def find_instrument(
    instrument_id: str, defined: dict[str, Instrument | None], frozen: dict[str, Instrument] | None = None
) -> Instrument:
    """The protocol's own instrument of that id, else the bank's (as frozen in the study, when given: a
    study keeps the version it started with); a PlacedValueError saying what exists if none."""
    if instrument_id in defined:
        own = defined[instrument_id]
        if own is None:
            raise PlacedValueError(
                f"instrument '{instrument_id}' could not be loaded; fix the problems reported where it is defined",
                "instrument",
            )
        return own
    if frozen and instrument_id in frozen:
        return frozen[instrument_id]
    shipped = bank()  # parsing every bank file costs ~0.1 s: only when the loader did not hand the instrument over
    if instrument_id in shipped:
        return shipped[instrument_id]
    known = [*defined, *shipped]
    guess = difflib.get_close_matches(instrument_id, known, n=1)
    hint = f"did you mean '{guess[0]}'? " if guess else ""
    raise PlacedValueError(
        f"unknown instrument '{instrument_id}'; {hint}the bank has {', '.join(shipped)}"
        + (f"; this protocol defines {', '.join(defined)}" if defined else "")
        + "; define your own under the protocol's top-level `instruments:`",
        "instrument",
    )


def expand_step(step: dict, context: dict) -> dict:
    """A questionnaire step's raw mapping with its ``instrument`` filled in: one of the protocol's own
    (``context["instruments"]``), else the bank's as frozen in the study (``context["bank"]``), else the package's."""
    instrument_id = str(step["instrument"])
    instrument = find_instrument(instrument_id, context.get("instruments", {}), context.get("bank"))
    return expand(instrument, instrument_id, step)


def expand(instrument: Instrument, instrument_id: str, step: dict) -> dict:
    """A questionnaire step's raw mapping with the instrument's items, scale, prompt and scores filled in."""
    if "items" in step:
        raise PlacedValueError(
            f"give either `instrument: {instrument_id}` or `items`, not both; to reword items use `wording`", "items"
        )
    wording, own_scores = step.get("wording") or {}, step.get("scores") or {}
    if not isinstance(wording, dict) or not isinstance(own_scores, dict):
        return step  # the field's own type check reports it
    ids = [item.id for item in instrument.items]
    for key in wording:
        if key not in ids:
            guess = difflib.get_close_matches(str(key), ids, n=1)
            hint = f"did you mean '{guess[0]}'? " if guess else ""
            raise PlacedValueError(
                f"'{key}' is not an item of {instrument_id}; {hint}its items: {', '.join(ids)}", "wording", key
            )
    items = []
    for item in instrument.items:
        text = wording.get(item.id, item.text)
        if text is None:
            raise PlacedValueError(
                f"the wording of {instrument_id} is not shipped ({instrument.licence or 'licence'}); give every item's "
                f"text under `wording:`, missing: {', '.join(i.id for i in instrument.items if i.id not in wording)}",
                *(("wording",) if "wording" in step else ("instrument",)),
            )
        items.append({"id": item.id, "text": text, "reverse": item.reverse, "scale": item.scale})
    return {
        **step,
        "items": items,
        "scale": step.get("scale", instrument.scale),
        "prompt": step.get("prompt", instrument.prompt),
        "scores": {**instrument.scores, **own_scores},
    }
