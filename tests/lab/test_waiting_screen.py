"""The waiting screen before a scheduled step names it by its title, else "The next question" — never by
its key (``pain@t0+5s`` is the study's bookkeeping): in the terminal and in the PsychoPy window (its frame
loop driven with the stand-ins of test_typed_ahead, recording every text it draws)."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from rich.console import Console

from placebolab.frontends.console import ConsoleFrontend
from placebolab.frontends.psychopy.screens import Kit
from placebolab.protocol import load_protocol
from placebolab.protocol.occurrences import plan
from placebolab.session import Current
from placebolab.session.clock import VirtualClock
from tests.engine.schedule_protocols import pause, rating, write_protocol

from .test_typed_ahead import Event, Mouse, Stim, Window, stand_in_frontend


def waiting_for(tmp_path, **fields) -> Current:
    """The Current of ``pain`` at t0+5s, due 5 s from now (after the pause that sets t0)."""
    protocol = load_protocol(write_protocol(tmp_path, pause("cream", mark="t0"), rating("pain", "[t0+5s]", **fields)))
    occurrence = plan(protocol, protocol.cells[0].id)[1]
    assert occurrence.key == "pain@t0+5s"
    return Current(occurrence, not_before=1000.0 + 5, pages=[], speaker=None)


def console_waiting_text(current: Current) -> str:
    out = io.StringIO()
    ConsoleFrontend(VirtualClock(1000.0), Console(file=out, width=200)).wait(current)
    return out.getvalue()


class Recording(Stim):
    """A stand-in TextStim that remembers every text it held."""

    drawn: list[str] = []

    def draw(self):
        Recording.drawn.append(self.text)


def lab_waiting_text(current: Current) -> str:
    clock = VirtualClock(1000.0)
    window = Window(Event(), {})
    frontend = stand_in_frontend(window, clock)
    frontend.kit = Kit(window, SimpleNamespace(TextStim=Recording, Slider=Stim, Rect=Stim), Mouse())
    Recording.drawn = []
    original_flip = window.flip

    def flip():  # a second of the virtual clock per frame: the countdown runs down in five frames
        clock.advance(1.0)
        return original_flip()

    window.flip = flip
    frontend.wait(current)
    return "\n".join(dict.fromkeys(Recording.drawn))


@pytest.mark.parametrize("shown", [console_waiting_text, lab_waiting_text], ids=["console", "psychopy"])
def test_the_waiting_screen_names_the_step_by_its_title(tmp_path, shown):
    text = shown(waiting_for(tmp_path, title="Your pain"))
    assert re.search(r"Next, at \d\d:\d\d:\d\d: Your pain\.", text), text
    assert "pain@" not in text and "t0+5s" not in text


@pytest.mark.parametrize("shown", [console_waiting_text, lab_waiting_text], ids=["console", "psychopy"])
def test_an_untitled_step_is_the_next_question_never_its_key(tmp_path, shown):
    text = shown(waiting_for(tmp_path))
    assert re.search(r"Please wait\. Next, at \d\d:\d\d:\d\d: The next question\.", text), text
    assert "pain@" not in text and "t0+5s" not in text
