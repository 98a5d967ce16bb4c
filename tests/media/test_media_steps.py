"""Image, audio and video steps: every cell's file checked at load (found, readable, duration known) with
located errors, frozen into the study and handed to frontends from the store, refused by the console,
passed through by simulated participants in the media's own time."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from placebolab.authoring.preview import preview_html
from placebolab.cli import main
from placebolab.export import export_study
from placebolab.protocol import load_protocol
from placebolab.session import Session, VirtualClock
from placebolab.simulation.model import EffectsModel
from placebolab.simulation.run import simulate_study
from placebolab.study import Study
from tests.protocol.bad import assert_reported, copy_flagship, line_of, problems_of, replace_once

from .files import make_mp4, make_png, make_wav

CLINICIAN_STEP = '  - {id: clinician, type: script, source: clinician.md.j2, speaker: "{{ clinician }}"}'
MEDIA_STEPS = """  - {id: portrait, type: image, source: "clinician-{{ warmth }}.png", duration: 5s}
  - {id: voice, type: audio, source: voice.wav, prompt: Please listen.}
  - {id: vignette, type: video, source: "vignette-{{ warmth }}-{{ competence }}.mp4"}
"""
SHADES = {"warm/high": 40, "warm/low": 90, "neutral/high": 140, "neutral/low": 190}


def media_protocol(tmp_path, *, skip: str | None = None):
    """The flagship with an image (per warmth), a sound (shared) and a video (per cell) before the clinician."""
    protocol = copy_flagship(tmp_path)
    stimuli = tmp_path / "stimuli" / "warmth-competence-itch"
    for warmth, colour in (("warm", (220, 120, 60)), ("neutral", (120, 120, 120))):
        make_png(stimuli / f"clinician-{warmth}.png", colour)
    make_wav(stimuli / "voice.wav", seconds=1.5)
    for cell, shade in SHADES.items():
        name = f"vignette-{cell.replace('/', '-')}.mp4"
        if name != skip:
            make_mp4(stimuli / name, seconds=2.0, shade=shade)
    replace_once(protocol, CLINICIAN_STEP, MEDIA_STEPS + CLINICIAN_STEP)
    return protocol


def test_every_cell_gets_its_own_checked_file(tmp_path):
    protocol = load_protocol(media_protocol(tmp_path))
    videos = {cell.id: protocol.media("vignette", cell.id) for cell in protocol.cells}
    assert videos["warm/low"].path == "vignette-warm-low.mp4"
    assert len({v.sha256 for v in videos.values()}) == 4
    assert all(v.duration == pytest.approx(2.0, abs=0.15) and v.size == (64, 48) for v in videos.values())
    assert protocol.media("voice", "warm/high").duration == pytest.approx(1.5)
    assert protocol.media("portrait", "neutral/low").path == "clinician-neutral.png"
    assert protocol.media("portrait", "neutral/low").duration == 5.0


def test_a_missing_file_for_one_cell_is_located(tmp_path):
    protocol = media_protocol(tmp_path, skip="vignette-neutral-low.mp4")
    text = protocol.read_text()
    assert_reported(
        problems_of(protocol),
        protocol,
        line_of(text, "id: vignette"),
        "timeline[4].source",
        ("video file 'vignette-neutral-low.mp4' (cell neutral/low) not found", "check the name or add it"),
    )


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("vignette-warm-high.mp4", ("video 'vignette-warm-high.mp4' cannot be read", "MP4")),
        ("voice.wav", ("sound 'voice.wav' cannot be read", "WAV")),
        ("clinician-warm.png", ("image 'clinician-warm.png' cannot be read", "PNG")),
    ],
)
def test_a_file_that_cannot_be_read_is_located(tmp_path, name, words):
    protocol = media_protocol(tmp_path)
    (tmp_path / "stimuli" / "warmth-competence-itch" / name).write_bytes(b"this is not a media file\n" * 20)
    step = {"vignette-warm-high.mp4": "vignette", "voice.wav": "voice", "clinician-warm.png": "portrait"}[name]
    index = {"portrait": 2, "voice": 3, "vignette": 4}[step]
    text = protocol.read_text()
    assert_reported(problems_of(protocol), protocol, line_of(text, f"id: {step},"), f"timeline[{index}].source", words)


def test_a_file_name_may_not_depend_on_intake_answers(tmp_path):
    protocol = media_protocol(tmp_path)
    replace_once(protocol, "source: voice.wav", 'source: "voice-{{ sex }}.wav"')
    text = protocol.read_text()
    assert_reported(
        problems_of(protocol),
        protocol,
        line_of(text, "id: voice,"),
        "timeline[3].source",
        ("does not render for cell warm/high", "'sex' is undefined", "warmth, competence"),
    )


def test_frontends_get_the_frozen_copy_from_the_store(tmp_path):
    study = Study.init(media_protocol(tmp_path), tmp_path / "study", seed=4)
    study.close()
    original = (tmp_path / "stimuli" / "warmth-competence-itch" / "vignette-warm-high.mp4").read_bytes()
    shutil.rmtree(tmp_path / "stimuli")  # the researcher's files may change or go; the study keeps its own
    study = Study.open(tmp_path / "study")
    clock = VirtualClock(1_000_000.0)
    session = Session.start(study, "P001", {"sex": "female", "age": 30, "name": "Ana"}, "simulated", clock)
    session.submit("welcome", {}, clock.now())
    session.submit("itch_baseline", {"": 50}, clock.now())
    portrait = session.current()
    assert portrait.media.kind == "image" and portrait.media.duration == 5.0 and portrait.media.size == (40, 30)
    session.submit("portrait", {}, clock.now())
    session.submit("voice", {}, clock.now())
    video = session.current().media
    assert video.kind == "video" and video.duration == pytest.approx(2.0, abs=0.15)
    assert video.path.parent == tmp_path / "study" / "media-cache"
    cell = session.participant.cell
    expected = (
        original
        if cell == "warm/high"
        else study.store.file(f"../stimuli/warmth-competence-itch/vignette-{cell.replace('/', '-')}.mp4")
    )
    assert video.path.read_bytes() == expected
    video.path.write_bytes(b"tampered")  # a damaged cache copy is replaced from the store, not shown
    reopened = Study.open(tmp_path / "study")
    again = Session.resume(reopened, "P001", "simulated", clock).current().media
    assert again.path.read_bytes() == expected
    study.close()
    reopened.close()


def test_simulated_participants_take_the_media_duration(tmp_path):
    study = Study.init(media_protocol(tmp_path), tmp_path / "study", seed=4)
    simulate_study(study, 4, EffectsModel(), seed=1)
    steps = pd.read_csv(export_study(study) / "steps.csv")
    by_step = steps.groupby("step")["duration"]
    assert by_step.min()["vignette"] == pytest.approx(2.0, abs=0.15)
    assert by_step.max()["voice"] == pytest.approx(1.5)
    assert by_step.max()["portrait"] == 5.0
    study.close()


def test_the_console_refuses_a_protocol_with_media_before_enrolling_anyone(tmp_path):
    study = Study.init(media_protocol(tmp_path), tmp_path / "study", seed=4)
    study.close()
    result = CliRunner().invoke(main, ["run", str(tmp_path / "study"), "--participant", "P001"])
    assert result.exit_code == 3  # the protocol is invalid for this frontend (it was 6, a session problem)
    assert (
        "a terminal cannot show images, sound or video" in result.output
        and "--frontend psychopy, or online (placebolab serve)" in result.output
    )
    assert "vignette (video)" in result.output
    reopened = Study.open(tmp_path / "study")
    assert reopened.store.participant("P001") is None
    reopened.close()


def test_init_points_a_media_protocol_at_the_lab_window_and_a_text_one_at_the_terminal(tmp_path):
    # found in a user run: init said `--frontend console` for a protocol the terminal then refused
    media = CliRunner().invoke(main, ["init", str(media_protocol(tmp_path)), str(tmp_path / "media")])
    assert media.exit_code == 0 and "--participant P001 --frontend psychopy" in media.output
    text = CliRunner().invoke(main, ["init", str(copy_flagship(tmp_path / "text")), str(tmp_path / "text-study")])
    assert text.exit_code == 0 and "--participant P001 --frontend console" in text.output


def test_the_preview_names_each_cells_file_and_marks_the_differences(tmp_path):
    page = preview_html(load_protocol(media_protocol(tmp_path)))
    assert "vignette-warm-high.mp4" in page and "vignette-neutral-low.mp4" in page
    assert "<mark>vignette-warm-high.mp4</mark>" in page
    assert "shown for 5s" in page
