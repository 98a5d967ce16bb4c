"""Analysis computes, the report renders: one typed, frozen result, and rendering that reads only it."""

from __future__ import annotations

import ast
import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from placebolab.analysis import AnalysisResult, run_analyses
from tests.analysis.synthetic import codebook, write_export

ANALYSIS = Path(__file__).resolve().parents[2] / "src" / "placebolab" / "analysis"
PLAN = codebook()["analysis"] | {
    "mediation": [{"x": "competence", "m": "expectancy.expectancy", "y": "itch_post"}],
    "simple_effects": [{"effect": "warmth", "by": ["competence"]}],
}
FLOW = {
    "enrolled": 80, "simulated": 0, "pilot": 0, "intervention_step": "clinician",
    "cells": {"warm/high": {"allocated": 80, "received": 80, "not_received": 0, "withdrawn": 0, "excluded": 0,
                            "completed": 80, "analysed": 80, "reasons": {}}},
}  # fmt: skip


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> AnalysisResult:
    export = write_export(tmp_path_factory.mktemp("r") / "experiments" / "demo", book=codebook(analysis=PLAN))
    (export / "consort.json").write_text(json.dumps(FLOW), encoding="utf-8")
    return run_analyses(export, blinding_note="levels are visible before unblinding")


def test_the_result_and_its_parts_are_typed_and_frozen(result):
    assert isinstance(result, AnalysisResult)
    parts = [result, result.primary, *result.outcomes, result.time_course, *result.mediation]
    assert all(dataclasses.is_dataclass(part) and part.__dataclass_params__.frozen for part in parts)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ss_type = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.primary.error = "changed"
    assert result.primary_anova is result.primary.anova and result.mediation[0].table is not None
    assert result.consort == FLOW and result.blinding_note == "levels are visible before unblinding"


def test_the_report_renders_from_the_result_alone(result, tmp_path):
    """Everything the report shows is in the result: with the export folder gone, it still renders whole."""
    from placebolab.report.html import render_report

    before = render_report(result)
    moved = tmp_path / "gone"
    shutil.move(result.study.export_dir, moved)
    try:
        after = render_report(result)
    finally:
        shutil.move(moved, result.study.export_dir)
    assert after == before
    assert 'aria-label="CONSORT flow diagram"' in after and "Enrolled (n = 80)" in after
    assert "levels are visible before unblinding" in after


def test_statistics_never_import_rendering():
    """placebolab.analysis computes; templates, plots, formatting and drawing live in placebolab.report."""
    rendering = ("placebolab.report", "placebolab.cli", "jinja2", "matplotlib", "rich")
    for module in ANALYSIS.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not [n for n in names if n.startswith(rendering)], f"{module.name} imports {names}"
    assert not (ANALYSIS / "templates").exists() and not (ANALYSIS / "consort.py").exists()
