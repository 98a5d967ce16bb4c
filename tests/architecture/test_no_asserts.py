"""`python -O` drops assert statements, so src/ raises InternalError (errors.py) where a guarantee could fail."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "placebolab"


def test_src_has_no_assert_statements():
    found = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in sorted(SRC.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assert)
    ]
    assert not found, f"raise InternalError with a sentence instead of assert: {', '.join(found)}"


def test_an_internal_error_is_reported_as_a_bug_with_exit_code_1(monkeypatch):
    from click.testing import CliRunner

    from placebolab.cli import main
    from placebolab.errors import InternalError

    def broken(*_args, **_kwargs):
        raise InternalError("a number item has a range")

    monkeypatch.setattr("placebolab.protocol.load_protocol", broken)
    result = CliRunner().invoke(main, ["validate", str(SRC.parents[1] / "protocols" / "warmth-competence-itch.yaml")])
    assert result.exit_code == 1
    assert "internal error: InternalError: a number item has a range" in result.output
    assert "this is a bug in placebolab" in result.output
