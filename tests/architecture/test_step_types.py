"""A step type is declared once (components/) and shown through one table per frontend: every registered
type declares what it records, every frontend's table (and the preview's) has an entry for every type, a
frontend that cannot show one says so from its table, and nothing outside components/ picks a step type
by its class."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from click.testing import CliRunner

from placebolab.authoring import preview
from placebolab.cli import main
from placebolab.components import DECLARED, STEP_TYPES, Step, type_name
from placebolab.components.base import EVERY_STEP_DETAIL, StepBase, StepInfo
from placebolab.frontends import FRONTENDS, screens
from placebolab.frontends.base import Unsupported, unshowable
from placebolab.frontends.console import ConsoleFrontend
from placebolab.protocol import load_protocol

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src" / "placebolab"
VIDEO_PROTOCOL = ROOT / "protocols" / "video-vignette-anxiety.yaml"
FLAGSHIP = ROOT / "protocols" / "warmth-competence-itch.yaml"

TABLES = {**{name: screens(name) for name in FRONTENDS}, "preview": preview.SCREENS}


def test_the_registry_is_derived_from_the_declarations():
    assert list(STEP_TYPES) == [type_name(cls) for cls in DECLARED]
    assert len(set(STEP_TYPES)) == len(DECLARED), "two step classes claim one `type`"
    union = typing.get_args(typing.get_args(Step)[0])
    assert set(union) == set(STEP_TYPES.values()), "the protocol's timeline accepts exactly the registered types"


@pytest.mark.parametrize("name", list(STEP_TYPES))
def test_every_step_type_declares_what_it_records(name):
    cls = STEP_TYPES[name]
    assert issubclass(cls, StepBase)
    assert isinstance(cls.__dict__.get("info"), StepInfo), f"{name} declares no `info` of its own"
    assert cls.info.summary
    for datum in (*cls.info.answers, *cls.info.detail, *EVERY_STEP_DETAIL):
        assert datum.name and datum.type and datum.meaning, datum
    names = [d.name for d in (*cls.info.detail, *EVERY_STEP_DETAIL)]
    assert len(names) == len(set(names)), f"{name} declares a detail key twice"
    # a step that yields measures, or records values (consent), records answers (rows of long.csv) and says
    # what they hold
    records_values = cls.measures is not StepBase.measures or cls.records is not StepBase.records
    assert ("value" in {d.name for d in cls.info.answers}) == records_values


@pytest.mark.parametrize("frontend", list(TABLES))
def test_every_frontend_has_one_screen_for_every_step_type(frontend):
    table = TABLES[frontend]
    missing = set(STEP_TYPES) - set(table)
    unknown = set(table) - set(STEP_TYPES)
    assert not missing, f"{frontend} cannot show {sorted(missing)}: add them to its SCREENS (or Unsupported)"
    assert not unknown, f"{frontend} has screens for unregistered step types {sorted(unknown)}"
    for step_type, entry in table.items():
        assert callable(entry) or (isinstance(entry, Unsupported) and entry.reason), (frontend, step_type)


def test_only_the_terminal_refuses_media_and_only_the_browser_an_experimenter_pause():
    refused = {
        frontend: sorted(t for t, entry in table.items() if isinstance(entry, Unsupported))
        for frontend, table in TABLES.items()
    }
    assert refused == {
        "console": ["audio", "image", "video"],
        "psychopy": [],
        "simulated": [],
        "web": ["pause"],
        "preview": [],
    }
    timed = load_protocol(FLAGSHIP).timeline[5].model_copy(update={"until": "duration", "duration": "20s"})
    assert TABLES["web"]["pause"].refuses(load_protocol(FLAGSHIP).timeline[5])
    assert not TABLES["web"]["pause"].refuses(timed)


def test_every_declared_detail_key_is_documented():
    tables_md = (ROOT / "docs" / "tables.md").read_text(encoding="utf-8")
    for cls in STEP_TYPES.values():
        for key in cls.detail_keys():
            assert f"`{key}`" in tables_md, f"docs/tables.md does not explain detail key `{key}` ({type_name(cls)})"


CONCRETE = "|".join(cls.__name__ for cls in DECLARED)


def test_nothing_outside_components_picks_a_step_type_by_its_class():
    chains = []
    for path in SRC.rglob("*.py"):
        if path.parent.name == "components":
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(rf"isinstance\([^)]*\b({CONCRETE}|MEDIA_STEPS)\b", text):
            chains.append(f"{path.relative_to(SRC)}: {match.group(0)}")
    assert not chains, "a step type chosen by isinstance; use its SCREENS entry or a method of the step: " + str(chains)


def test_a_table_can_refuse_only_some_steps_of_a_type():
    """As a browser frontend will refuse an experimenter pause but not a timed one: the refusal names the
    step and its line."""
    protocol = load_protocol(FLAGSHIP)
    online = {
        **screens("simulated"),
        "pause": Unsupported("no experimenter is there online", applies=lambda step: step.until == "experimenter"),
    }
    (problem,) = unshowable(protocol, online)
    index = next(i for i, step in enumerate(protocol.timeline) if step.type == "pause")
    assert problem.path == ("timeline", index, "type") and problem.line is not None
    assert f"step {protocol.timeline[index].id} (pause): no experimenter is there online" in str(problem)
    assert unshowable(protocol, {**online, "pause": Unsupported("x", applies=lambda step: False)}) == []


def test_validate_for_the_console_refuses_a_video_protocol_naming_step_and_line():
    result = CliRunner().invoke(main, ["validate", str(VIDEO_PROTOCOL), "--frontend", "console"])
    assert result.exit_code == 3, result.output  # a protocol invalid (for this frontend)
    protocol = load_protocol(VIDEO_PROTOCOL)
    (index,) = [i for i, step in enumerate(protocol.timeline) if step.type == "video"]
    line = protocol.locate(("timeline", index, "type"), "").line
    video = protocol.timeline[index]
    assert f"{VIDEO_PROTOCOL}:{line}:" in result.output
    assert f"step {video.id} (video): a terminal cannot show images, sound or video" in result.output
    with pytest.raises(Exception, match=f"step {video.id} \\(video\\)"):
        ConsoleFrontend.refuse_unshowable(protocol)


def test_validate_for_the_lab_window_accepts_the_video_protocol():
    result = CliRunner().invoke(main, ["validate", str(VIDEO_PROTOCOL), "--frontend", "psychopy"])
    assert result.exit_code == 0, result.output
    assert "psychopy can show every step" in result.output
    flagship = CliRunner().invoke(main, ["validate", str(FLAGSHIP), "--frontend", "console"])
    assert flagship.exit_code == 0, flagship.output
