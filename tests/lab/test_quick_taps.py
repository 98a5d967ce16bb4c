"""Clicks made within one frame, on a machine that stalls: every press reaches the screen, in the order
made, at its own place. The window's process is stopped while real X clicks (and keys) are made, so the
window takes them all in one frame when it goes on — as it does when a frame takes longer than the time
between a tap on an answer and a tap on Continue. The first two tests need no display: how a frame's
input is split into one frame per click, and the frame loop on a stand-in window."""

from __future__ import annotations

import json
import time

from placebolab.frontends.psychopy import layout
from placebolab.frontends.psychopy.screens import Click, Frame, Outcome, frames_of

from ..cli.conftest import export
from .conftest import SCREEN, Lab, initialised
from .test_scales import rating_pixel
from .test_typed_ahead import Event, Window, stand_in_frontend

PROTOCOL = """\
protocol: lab-quick-taps
version: 1.0.0
title: Taps within one frame
factors:
  framing: {levels: [plain, warm]}
allocation: {scheme: complete, target_n: 10}
timeline:
  - {id: relief, type: rating, prompt: How much relief do you feel?, scale: vas-0-100}
  - {id: agree, type: rating, prompt: The clinician understood me., scale: likert-5}
  - {id: pain, type: rating, prompt: How strong is the pain now?, scale: nrs-0-10}
  - {id: rest, type: pause, text: Please rest for a moment., duration: 1s}
"""
BUTTON = layout.to_pixels(0, layout.BUTTON_Y, SCREEN)
NEXT_SCREEN_S = 10  # the window goes on within a frame of the stall; more means the clicks were not taken


def test_each_click_is_a_frame_of_its_own_with_the_keys_made_after_it():
    keys = [("1", 10.0), ("right", 10.2), ("return", 10.4)]
    clicks = [Click((0.1, -0.2), 10.1), Click((0.3, -0.4), 10.3)]
    frames = frames_of(11.0, keys, clicks, (0.5, 0.5), held=True)
    assert [(f.now, f.keys, f.clicked, f.mouse_pos, f.button_down) for f in frames] == [
        (10.1, [("1", 10.0)], False, (0.5, 0.5), False),  # typed before the first click: a frame before it
        (10.3, [("right", 10.2)], True, (0.1, -0.2), False),  # released: another press came after it
        (11.0, [("return", 10.4)], True, (0.3, -0.4), True),  # the last click may still be held down
    ]
    assert frames_of(11.0, keys, [], (0.5, 0.5), held=True) == [Frame(11.0, keys, False, (0.5, 0.5), True)]
    assert frames_of(11.0, [], clicks[:1], (0.5, 0.5), held=False) == [Frame(11.0, [], True, (0.1, -0.2))]


class Recorder:
    """A screen that records the frames it is given; the step ends at its second click."""

    def __init__(self):
        self.frames: list[Frame] = []

    def draw(self):
        pass

    def update(self, frame: Frame, onset: float):
        self.frames.append(frame)
        return Outcome() if sum(f.clicked for f in self.frames) == 2 else None


def test_the_frame_loop_gives_every_press_at_its_place_and_drops_those_before_the_onset():
    """On a stand-in window (1280 × 800): a tap taken with the onset flip was made before it, and is no
    answer; a key and two taps taken in one later frame reach the screen in that order, each at its place
    in height units from the centre (pyglet counts pixels from the bottom left)."""
    window = Window(Event(), {3: ["1"]}, {1: [(640, 400)], 3: [(100, 700), (1180, 100)]})
    screen = Recorder()
    stand_in_frontend(window)._loop(screen.draw, screen.update, None)
    taken = [(f.keys, f.clicked, f.mouse_pos) for f in screen.frames if f.keys or f.clicked]
    assert taken == [
        ([("1", 100.05)], False, (0.0, 0.0)),
        ([], True, (-540 / 800, 300 / 800)),
        ([], True, (540 / 800, -300 / 800)),
    ]


def held_click(run: Lab, pixel: tuple[int, int]) -> None:
    """A deliberate click: the button down for a quarter of a second (here all within the stalled frame)."""
    run.xdotool("mousemove", "--sync", *pixel)
    run.xdotool("mousedown", 1)
    time.sleep(0.25)
    run.xdotool("mouseup", 1)


def test_every_click_within_one_stalled_frame_is_taken_in_order(tmp_path, lab):
    (tmp_path / "quick-taps.yaml").write_text(PROTOCOL, encoding="utf-8")
    study = initialised(tmp_path, tmp_path / "quick-taps.yaml", 7)
    run = lab(study, "shots", "--participant", "S01")

    run.screen("01-relief")
    with run.stalled():  # a tap on the scale, then on Continue: one click at Continue's place, before
        run.tap(rating_pixel(73, 0, 100))
        run.tap(BUTTON)
    run.screen("02-agree", timeout=NEXT_SCREEN_S)
    with run.stalled():  # Continue (refused: nothing chosen yet), 2, then 4 held down, then Continue
        run.tap(BUTTON)
        run.tap(rating_pixel(2, 1, 5))
        held_click(run, rating_pixel(4, 1, 5))
        run.tap(BUTTON)
    run.screen("03-pain", timeout=NEXT_SCREEN_S)
    with run.stalled():  # a tap on 3, → after it (4), then Continue: keys and clicks in the order made
        run.tap(rating_pixel(3, 0, 10))
        run.key("Right")
        run.tap(BUTTON)
    run.screen("04-rest", timeout=NEXT_SCREEN_S)
    assert run.wait() == 0, run.output()

    tables = export(study)
    values = {r["step"]: float(r["value"]) for r in tables["long"]}
    assert abs(values["relief"] - 73) <= 0.2, values  # the tap's own place (a VAS is continuous)
    assert values["agree"] == 4 and values["pain"] == 4, values
    changes = {r["step"]: json.loads(r["detail"]).get("changes") for r in tables["steps"]}
    assert changes["agree"] == {"": 2}, changes  # 2, then 4: each click its own change, in order
