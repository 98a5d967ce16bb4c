"""The loader beyond single edits: readers that are not a folder, and the effects file that shares the loader."""

from __future__ import annotations

import pytest

from placebolab.errors import EffectsError, ProtocolError
from placebolab.protocol import load_protocol, parse_protocol

from .bad import FLAGSHIP, FLAGSHIP_STIMULI, JARGON


def _frozen_reader(files: dict[str, bytes]):
    """A reader like a study store's: it knows the stimulus files, not the folders."""

    def read(relative: str) -> bytes:
        if relative not in files:
            raise FileNotFoundError(relative)
        return files[relative]

    return read


def test_a_protocol_loads_from_a_reader_that_knows_only_its_files():
    stimuli = "../stimuli/warmth-competence-itch"
    files = {f"{stimuli}/{p.name}": p.read_bytes() for p in FLAGSHIP_STIMULI.iterdir()}
    protocol = parse_protocol(FLAGSHIP.read_bytes(), "frozen", _frozen_reader(files))
    assert len(protocol.cells) == 4


def test_a_missing_file_behind_such_a_reader_is_named_not_the_folder():
    stimuli = "../stimuli/warmth-competence-itch"
    files = {f"{stimuli}/{p.name}": p.read_bytes() for p in FLAGSHIP_STIMULI.iterdir() if p.name != "debrief.md"}
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(FLAGSHIP.read_bytes(), "frozen", _frozen_reader(files))
    (problem,) = caught.value.problems
    assert problem.path == ("timeline", 7, "source") and "'debrief.md' not found" in problem.message


@pytest.fixture(scope="module")
def flagship():
    return load_protocol(FLAGSHIP)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("measures:\n  itch_post:\n    mean: [1, 2]\n", 3, ("should be a number or a mapping", "not a list")),
        ("measures:\n  itch_post:\n    mean: {warm/high: lots}\n", 3, ("should be a number, not 'lots'",)),
        ("measures:\n  itch_post:\n    mean: 30\n    r: 1.5\n", 4, ("1.5 is out of range", "at most 1")),
        ("", 1, ("is empty",)),
        ("measures: [itch_post\n", 1, ("YAML syntax",)),
    ],
    ids=["union of number and mapping", "inside the mapping member", "range", "empty", "yaml"],
)
def test_effects_file_problems_share_the_loader_wording(tmp_path, flagship, text, line, words):
    from placebolab.simulation.model import load_effects

    path = tmp_path / "effects.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EffectsError) as caught:
        load_effects(path, flagship)
    (problem,) = caught.value.problems  # a union's members do not each add a message
    assert problem.line == line
    assert all(word in problem.message for word in words), problem
    assert not any(jargon in str(problem) for jargon in JARGON), problem
