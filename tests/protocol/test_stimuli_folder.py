"""A protocol reads only inside its stimuli folder: a path climbing out, an absolute path, a link (to a file or a
folder) leading out, and a `stimuli:` pointing outside the protocol's project are refused by validate, init and
preview alike — located at the field, nothing read, nothing frozen, no page written."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from placebolab.cli import main
from placebolab.protocol import load_protocol

from .bad import FLAGSHIP_STIMULI, ROOT, assert_reported, copy_flagship, line_of, problems_of, replace_once

SECRET = "SECRET OUTSIDE THE PROJECT"
VIDEO = ROOT / "protocols" / "video-vignette-anxiety.yaml"
VIDEO_STIMULI = ROOT / "stimuli" / "video-vignette-anxiety"
FOLDER = "the stimuli folder '../stimuli/warmth-competence-itch'"


def flagship_lab(tmp_path: Path) -> Path:
    """``tmp/lab/protocols/x.yaml`` + ``tmp/lab/stimuli/warmth-competence-itch/``, and beside the lab (outside
    it) ``tmp/secret.md`` and ``tmp/elsewhere/``, a full copy of the stimuli with a secret welcome text."""
    protocol = copy_flagship(tmp_path / "lab")
    (tmp_path / "secret.md").write_text(SECRET)
    shutil.copytree(FLAGSHIP_STIMULI, tmp_path / "elsewhere")
    (tmp_path / "elsewhere" / "welcome.md").write_text(SECRET)
    return protocol


def video_lab(tmp_path: Path) -> Path:
    """The video protocol in ``tmp/lab``; outside it, clips and an instrument file that would all be valid."""
    (tmp_path / "lab" / "protocols").mkdir(parents=True)
    shutil.copytree(VIDEO_STIMULI, tmp_path / "lab" / "stimuli" / VIDEO_STIMULI.name)
    protocol = tmp_path / "lab" / "protocols" / "v.yaml"
    shutil.copyfile(VIDEO, protocol)
    for warmth in ("warm", "neutral"):
        shutil.copyfile(VIDEO_STIMULI / f"vignette-{warmth}-high.mp4", tmp_path / f"clip-{warmth}.mp4")
    shutil.copyfile(VIDEO_STIMULI / "state-anxiety.yaml", tmp_path / "state-anxiety.yaml")
    return protocol


def stimuli_of(protocol: Path) -> Path:
    return protocol.parent.parent / "stimuli" / "warmth-competence-itch"


@dataclass(frozen=True)
class Case:
    id: str
    lab: Callable[[Path], Path]
    edit: Callable[[Path, Path], None]  # (tmp_path, protocol) → makes the mistake
    at: str  # text on the line the problem is expected at
    path: str
    words: tuple[str, ...]


def _source(new: str):
    return lambda tmp, protocol: replace_once(protocol, "source: welcome.md}", f"source: {new}}}")


def _stimuli(new: str):
    return lambda tmp, protocol: replace_once(protocol, "stimuli: ../stimuli/warmth-competence-itch", f"stimuli: {new}")


def _link_welcome(tmp, protocol):
    welcome = stimuli_of(protocol) / "welcome.md"
    welcome.unlink()
    welcome.symlink_to(tmp / "secret.md")


def _linked_folder(tmp, protocol):
    (stimuli_of(protocol) / "texts").symlink_to(tmp / "elsewhere", target_is_directory=True)
    _source("texts/welcome.md")(tmp, protocol)


def _linked_stimuli(tmp, protocol):
    (protocol.parent.parent / "stimuli" / "linked").symlink_to(tmp / "elsewhere", target_is_directory=True)
    _stimuli("../stimuli/linked")(tmp, protocol)


def _hidden_stimuli(tmp, protocol):
    shutil.copytree(FLAGSHIP_STIMULI, protocol.parent.parent / ".hidden")
    _stimuli("../.hidden")(tmp, protocol)


def _no_stimuli_key(tmp, protocol):
    """Without `stimuli:` the protocol's own folder is the stimuli folder; a file beside it is outside."""
    replace_once(protocol, "stimuli: ../stimuli/warmth-competence-itch\n", "")
    for file in FLAGSHIP_STIMULI.iterdir():
        shutil.copyfile(file, protocol.parent / file.name)
    (protocol.parent.parent / "secret.md").write_text(SECRET)
    _source("../secret.md")(tmp, protocol)


def _media(tmp, protocol):
    replace_once(
        protocol, 'source: "vignette-{{ warmth }}-{{ competence }}.mp4"', 'source: "../../../clip-{{ warmth }}.mp4"'
    )


def _instrument_file(tmp, protocol):
    replace_once(protocol, "state-anxiety: state-anxiety.yaml", "state-anxiety: ../../../state-anxiety.yaml")


WELCOME = "{id: welcome, type: text, source:"
CASES = [
    Case("climbs out with ..", flagship_lab, _source("../../../secret.md"), WELCOME, "timeline[0].source",
         (f"'../../../secret.md' is outside {FOLDER}", "copy the file there")),
    Case("absolute file", flagship_lab, lambda tmp, p: _source(str(tmp / "secret.md"))(tmp, p), WELCOME,
         "timeline[0].source", ("is an absolute path", "copy the file there")),
    Case("link to a file outside", flagship_lab, _link_welcome, WELCOME, "timeline[0].source",
         (f"'welcome.md' is outside {FOLDER} (it is a link to ", "secret.md)")),
    Case("linked folder inside the stimuli", flagship_lab, _linked_folder, WELCOME, "timeline[0].source",
         (f"'texts/welcome.md' is outside {FOLDER} (it is a link to ", "elsewhere")),
    Case("stimuli: /etc", flagship_lab, _stimuli("/etc"), "stimuli:", "stimuli",
         ("'/etc' is an absolute path", "relative to the protocol file", "../stimuli/NAME")),
    Case("absolute stimuli folder", flagship_lab, lambda tmp, p: _stimuli(str(tmp / "elsewhere"))(tmp, p),
         "stimuli:", "stimuli", ("is an absolute path",)),
    Case("stimuli climbing out of the project", flagship_lab, _stimuli("../../elsewhere"), "stimuli:", "stimuli",
         ("'../../elsewhere' leads to ", "outside the protocol's project", "a folder beside it")),
    Case("stimuli: the project folder itself", flagship_lab, _stimuli(".."), "stimuli:", "stimuli",
         ("'..' leads to ", "outside the protocol's project")),
    Case("stimuli linked outside", flagship_lab, _linked_stimuli, "stimuli:", "stimuli",
         ("'../stimuli/linked' leads to ", "elsewhere, outside the protocol's project")),
    Case("hidden stimuli folder", flagship_lab, _hidden_stimuli, "stimuli:", "stimuli",
         ("'../.hidden' leads to a hidden folder",)),
    Case("no stimuli key", flagship_lab, _no_stimuli_key, WELCOME, "timeline[0].source",
         ("'../secret.md' is outside the protocol's folder (it has no `stimuli:`)",)),
    Case("media file rendered per cell", video_lab, _media, "clip-{{ warmth }}.mp4", "timeline[2].source",
         ("'../../../clip-warm.mp4' is outside the stimuli folder '../stimuli/video-vignette-anxiety'",
          "(cell warm/high)")),
    Case("instrument file", video_lab, _instrument_file, "state-anxiety: ../../../", "instruments.state-anxiety",
         ("'../../../state-anxiety.yaml' is outside the stimuli folder '../stimuli/video-vignette-anxiety'",)),
]  # fmt: skip


@pytest.fixture(params=CASES, ids=[case.id for case in CASES])
def outside(request, tmp_path):
    """A protocol that names a file outside its stimuli folder, and the problem expected."""
    case = request.param
    protocol = case.lab(tmp_path)
    case.edit(tmp_path, protocol)
    line = line_of(protocol.read_text(), case.at)
    return protocol, line, case


def test_validate_refuses_it_at_the_field(outside):
    protocol, line, case = outside
    problem = assert_reported(problems_of(protocol), protocol, line, case.path, case.words)
    assert SECRET not in problem.message


def test_the_cli_exits_3_with_the_problem_on_a_line_and_init_and_preview_make_nothing(outside, tmp_path):
    protocol, line, case = outside
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(protocol)])
    assert result.exit_code == 3, result.output
    assert any(
        text.strip().removeprefix("error: ").startswith(f"{protocol}:{line}:") and case.path in text
        for text in result.stderr.splitlines()
    )
    assert "Traceback" not in result.output and SECRET not in result.output

    study = tmp_path / "study"
    result = runner.invoke(main, ["init", str(protocol), str(study)])
    assert result.exit_code == 3, result.output
    assert not study.exists()  # nothing frozen: no folder, no store

    page = tmp_path / "page.html"
    result = runner.invoke(main, ["preview", str(protocol), "--out", str(page)])
    assert result.exit_code == 3, result.output
    assert not page.exists()


def test_links_and_folders_inside_the_stimuli_folder_are_fine(tmp_path):
    protocol = flagship_lab(tmp_path)
    stimuli = stimuli_of(protocol)
    (stimuli / "texts").mkdir()
    (stimuli / "welcome.md").rename(stimuli / "texts" / "welcome.md")
    (stimuli / "hello.md").symlink_to(stimuli / "texts" / "welcome.md")
    replace_once(protocol, "source: welcome.md}", "source: hello.md}")
    replace_once(protocol, "source: debrief.md}", "source: texts/../debrief.md}")
    loaded = load_protocol(protocol)
    assert loaded.files["hello.md"] == (stimuli / "texts" / "welcome.md").read_text()


def test_a_study_freezes_only_files_from_inside_and_reopens_without_the_folder(tmp_path):
    from placebolab.study import Study

    protocol = flagship_lab(tmp_path)
    study = Study.init(protocol, tmp_path / "study", seed=1)
    frozen = study.store.files()
    study.close()
    stimuli = stimuli_of(protocol).resolve()
    for key in frozen:
        if not key.startswith("placebolab-instruments/"):
            assert (protocol.parent / key).resolve().is_relative_to(stimuli), key
    shutil.rmtree(tmp_path / "lab")  # reopening reads the store, never the disk
    reopened = Study.open(tmp_path / "study")
    assert reopened.protocol.files["welcome.md"] == (FLAGSHIP_STIMULI / "welcome.md").read_text()
    reopened.close()


def test_a_protocol_in_a_hidden_folder_may_use_a_stimuli_folder_inside_it(tmp_path):
    protocol = copy_flagship(tmp_path / "lab")
    hidden = tmp_path / "lab" / ".drafts"
    shutil.copytree(protocol.parent, hidden)
    shutil.copytree(stimuli_of(protocol), hidden / "stimuli")
    replace_once(hidden / "x.yaml", "stimuli: ../stimuli/warmth-competence-itch", "stimuli: stimuli")
    assert load_protocol(hidden / "x.yaml").files["welcome.md"] == (FLAGSHIP_STIMULI / "welcome.md").read_text()


def test_links_in_a_circle_are_a_problem_not_a_crash(tmp_path):
    protocol = flagship_lab(tmp_path)
    stimuli = stimuli_of(protocol)
    (stimuli / "welcome.md").unlink()
    (stimuli / "welcome.md").symlink_to(stimuli / "loop.md")
    (stimuli / "loop.md").symlink_to(stimuli / "welcome.md")
    line = line_of(protocol.read_text(), WELCOME)
    assert_reported(problems_of(protocol), protocol, line, "timeline[0].source", ("a link that leads in a circle",))
    (stimuli.parent / "circle").symlink_to(stimuli.parent / "circle")
    replace_once(protocol, "stimuli: ../stimuli/warmth-competence-itch", "stimuli: ../stimuli/circle")
    assert_reported(problems_of(protocol), protocol, line_of(protocol.read_text(), "stimuli:"), "stimuli", ("circle",))


def test_an_integer_intake_without_an_example_is_previewed_with_its_minimum():
    """A protocol's integer min is read as a float (18.0); its example, typed as a participant would, is 18
    (before: '18.0' is not a whole number, an internal error in `preview` for any such field)."""
    from placebolab.protocol.models import IntakeField

    field = IntakeField(id="age", type="integer", label="Age", min=18, max=99)
    assert field.example_value() == 18 and isinstance(field.example_value(), int)
    assert IntakeField(id="dose", type="number", min=0.5).example_value() == 0.5
