"""Shared fixtures: the repository's paths and a fresh study of the flagship protocol."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "protocols" / "warmth-competence-itch.yaml"
FLAGSHIP_EFFECTS = ROOT / "protocols" / "effects" / "warmth-competence-itch.yaml"


@pytest.fixture
def flagship_study(tmp_path):
    """A freshly initialised study of the flagship protocol (seeded), closed after the test."""
    from placebolab.study import Study

    study = Study.init(FLAGSHIP, tmp_path / "study", seed=12345)
    yield study
    study.close()
