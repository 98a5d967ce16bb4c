"""Protocols for the allocation tests: the flagship with a longer list, written beside the test."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FLAGSHIP


def flagship_variant(folder: Path, allocation: str) -> Path:
    """The flagship protocol with its ``allocation:`` block replaced (stimuli still found)."""
    text = FLAGSHIP.read_text()
    stimuli = (FLAGSHIP.parent / "../stimuli/warmth-competence-itch").resolve()
    text = text.replace("stimuli: ../stimuli/warmth-competence-itch", f"stimuli: {stimuli}")
    start = text.index("allocation:\n")
    end = text.index("\nintake:")
    text = text[:start] + "allocation:\n" + allocation.rstrip() + "\n" + text[end:]
    path = folder / "variant.yaml"
    path.write_text(text)
    return path
