"""Package-level promises: a cheap import and docstring examples that run."""

from __future__ import annotations

import doctest
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = [
    "placebolab.analysis.anova",
    "placebolab.analysis.descriptives",
    "placebolab.analysis.manipulation",
    "placebolab.report.plots",
    "placebolab.report.format",
    "placebolab.analysis.emmeans",
    "placebolab.analysis.timecourse",
    "placebolab.analysis.mediation",
    "placebolab.analysis.assumptions",
    "placebolab.analysis.contrasts",
    "placebolab.analysis.effect_sizes",
    "placebolab.analysis.categorical",
    "placebolab.analysis.equivalence",
]


def test_import_does_not_load_heavy_libraries():
    code = (
        "import sys, placebolab.analysis, placebolab.report\n"
        "heavy = [m for m in ('pingouin', 'matplotlib', 'statsmodels', 'scipy', 'jinja2', 'rich') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    failures, tried = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0
