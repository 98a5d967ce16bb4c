"""The JSON Schema of protocol files accepts every example protocol and rejects the structural mistakes of
the bad-protocol suite (those the loader finds in the file's structure, before any cross-check)."""

from __future__ import annotations

import json

import jsonschema
import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

from placebolab.authoring.schema import protocol_schema
from placebolab.protocol.models import Protocol
from tests.conftest import ROOT
from tests.protocol.test_bad_protocols import EDITS

PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))


def _validator():
    schema = protocol_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _data(path):
    return json.loads(json.dumps(YAML(typ="safe").load(path.read_text(encoding="utf-8")), default=str))


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_every_example_protocol_satisfies_the_schema(path):
    errors = [f"{list(e.path)}: {e.message}" for e in _validator().iter_errors(_data(path))]
    assert not errors, "\n".join(errors)


def _structural(data) -> bool:
    """Whether the models themselves (without the bank or the protocol's own instruments) reject ``data``."""
    try:
        Protocol.model_validate(data, context={"instruments": {}})
    except ValidationError as exc:
        return any(e["type"] not in ("value_error", "assertion_error") for e in exc.errors())
    return False


def _edited(edit) -> object:
    text = (ROOT / "protocols" / "warmth-competence-itch.yaml").read_text(encoding="utf-8")
    try:
        return json.loads(json.dumps(YAML(typ="safe").load(text.replace(edit.old, edit.new)), default=str))
    except Exception:  # noqa: BLE001 - a YAML syntax mistake: the editor's YAML parser reports it, not the schema
        return None


# The suite's mistakes in the file's structure (unknown keys, wrong types, unknown step types or scales …);
# the rest are cross-checks (files, names, templates) or rules between values, which `validate` reports.
STRUCTURAL = [edit for edit in EDITS if isinstance(_edited(edit), dict) and _structural(_edited(edit))]


def test_most_of_the_suite_is_structural():
    assert len(STRUCTURAL) >= 15, [e.id for e in STRUCTURAL]


@pytest.mark.parametrize("edit", STRUCTURAL, ids=lambda e: e.id)
def test_the_schema_rejects_the_structural_mistakes_of_the_bad_protocol_suite(edit):
    assert list(_validator().iter_errors(_edited(edit))), f"the schema accepted {edit.id!r}"
