"""Every example protocol loads; the flagship's design, clinician script and measures are what it promises."""

from __future__ import annotations

import pytest

from placebolab.components import ScriptStep
from placebolab.protocol import load_protocol, measures

from .bad import FLAGSHIP, ROOT

EXAMPLES = sorted((ROOT / "protocols").glob("*.yaml"))  # not protocols/effects/: those describe simulated answers
SHARED_FACT = "It usually starts to work within a few minutes."


def test_there_are_example_protocols():
    assert EXAMPLES, "no protocols/*.yaml found"
    assert FLAGSHIP in EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_protocol_loads(path):
    protocol = load_protocol(path)
    assert protocol.cells
    assert protocol.timeline
    for step in protocol.timeline:  # every stimulus file was read at load time
        for source in step.sources():
            assert source in protocol.files


@pytest.fixture(scope="module")
def flagship():
    return load_protocol(FLAGSHIP)


def test_flagship_has_the_four_cells_of_the_2x2(flagship):
    assert [cell.id for cell in flagship.cells] == ["warm/high", "warm/low", "neutral/high", "neutral/low"]
    assert flagship.cell("warm/low").levels == {"warmth": "warm", "competence": "low"}
    assert not any(cell.arm for cell in flagship.cells)


def _clinician_script(protocol) -> ScriptStep:
    (step,) = [s for s in protocol.timeline if isinstance(s, ScriptStep)]
    assert step.id == "clinician"
    return step


def test_flagship_clinician_script_renders_differently_in_every_cell(flagship):
    step = _clinician_script(flagship)
    intake = flagship.example_intake()
    renderings = {
        cell.id: "\n\n".join(step.render(flagship.files, flagship.template_context(cell, intake)))
        for cell in flagship.cells
    }
    assert len(renderings) == 4
    assert len(set(renderings.values())) == 4, "two cells got the same clinician script"
    for cell_id, text in renderings.items():
        assert SHARED_FACT in text, f"{cell_id} lacks the shared factual sentence"
        assert text.count(SHARED_FACT) == 1
        assert "{{" not in text and "{%" not in text, f"{cell_id}: template syntax left in the rendering"
    # the manipulation shows: warm cells greet by name, neutral cells do not
    name = intake["name"]
    assert all(f"Hi {name}" in renderings[c] for c in ("warm/high", "warm/low"))
    assert not any(name in renderings[c] for c in ("neutral/high", "neutral/low"))


def test_flagship_clinician_script_has_the_same_pages_in_every_cell(flagship):
    step = _clinician_script(flagship)
    intake = flagship.example_intake()
    pages = {len(step.render(flagship.files, flagship.template_context(c, intake))) for c in flagship.cells}
    assert pages == {3}


def test_flagship_measures(flagship):
    names = measures(flagship)
    for name in ("itch_post", "itch_baseline", "expectancy.expectancy", "check.warmth", "check.competence"):
        assert name in names
    assert names["itch_post"].occasion_labels == ["t0+3min", "t0+9min", "t0+15min"]
    assert (names["itch_post"].min, names["itch_post"].max) == (0, 100)
    assert names["expectancy.expectancy"].kind == "score"
