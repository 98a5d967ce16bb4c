"""The JSON Schema of protocol files, for editors that complete and check YAML while the researcher types
(VS Code's YAML extension: ``# yaml-language-server: $schema=protocol.schema.json`` on the first line)."""

from __future__ import annotations

from pydantic.json_schema import GenerateJsonSchema

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _ProtocolSchema(GenerateJsonSchema):
    """pydantic's schema, adjusted to what the loader accepts: a number where text is expected is read as
    text (``version: 1.0``), as the models coerce it."""

    def str_schema(self, schema):
        json_schema = super().str_schema(schema)
        if "pattern" in json_schema:
            return json_schema
        return {**json_schema, "type": ["string", "number"]}


def protocol_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a protocol file. It checks structure — keys, types, step types,
    scales; the cross-checks (files exist, names resolve, templates render) need ``placebolab validate``."""
    from placebolab.protocol.models import Protocol

    schema = Protocol.model_json_schema(schema_generator=_ProtocolSchema)
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": "https://placebolab.invalid/schema/protocol.json",
        "title": "placebolab protocol",
        **{key: value for key, value in schema.items() if key != "title"},
    }
