"""Protocols for the allocation tests: the flagship with a longer list, written beside the test."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import FLAGSHIP, ROOT


def flagship_variant(folder: Path, allocation: str) -> Path:
    """The flagship protocol with its ``allocation:`` block replaced, in ``folder/protocols/`` beside a copy of
    its stimuli (a protocol reads only inside its own project)."""
    text = FLAGSHIP.read_text()
    shutil.copytree(
        ROOT / "stimuli" / "warmth-competence-itch", folder / "stimuli" / "warmth-competence-itch", dirs_exist_ok=True
    )
    start = text.index("allocation:\n")
    end = text.index("\nintake:")
    text = text[:start] + "allocation:\n" + allocation.rstrip() + "\n" + text[end:]
    path = folder / "protocols" / "variant.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path
