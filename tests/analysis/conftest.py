"""Fixtures for the analysis tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.analysis.synthetic import DATA, write_export


@pytest.fixture
def export_dir(tmp_path) -> Path:
    return write_export(tmp_path / "experiments" / "demo")


@pytest.fixture
def toothgrowth() -> pd.DataFrame:
    return pd.read_csv(DATA / "toothgrowth.csv")
