"""The power package: docstring examples run; importing it loads no heavy library."""

from __future__ import annotations

import doctest
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["placebolab.power.analytic", "placebolab.power.simulate"])
def test_docstring_examples_run(name):
    failures, tried = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0


def test_import_does_not_load_heavy_libraries():
    code = (
        "import sys, placebolab.power\n"
        "heavy = ('pandas', 'scipy', 'matplotlib', 'statsmodels', 'pingouin')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
