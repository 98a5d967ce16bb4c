"""Every press of the left mouse button in the window, each with where and when it was made.

PsychoPy's Mouse tells whether a button went down since it was last reset and where the pointer is now, so
two taps within one frame (a stalled frame on a slow machine: an answer, then Continue) would be one click,
at the second's place. pyglet reports each press as an event, with its place: handlers pushed onto the
window's own record every press and release. They return nothing, so the window's handlers below them
(PsychoPy's, which keep the button state its Slider reads) still see each event."""

from __future__ import annotations

from collections.abc import Callable

from placebolab.frontends.psychopy.screens import Click

LEFT = 1  # pyglet.window.mouse.LEFT: pyglet's buttons are bits (left 1, middle 2, right 4)


class Presses:
    """Records the left-button presses of ``win`` (a PsychoPy pyglet window in 'height' units), stamped by
    ``clock`` when PsychoPy takes them from the window's queue, as it stamps keys (``core.getTime``)."""

    def __init__(self, win, clock: Callable[[], float]) -> None:
        if win.units != "height":
            raise ValueError(f"presses are given in 'height' units; the window's are {win.units!r}")
        self.win, self.clock = win, clock
        self.held = False  # the left button is down (as of the events taken so far)
        self._clicks: list[Click] = []
        # bound methods are held weakly by pyglet: the handlers go with this object
        win.winHandle.push_handlers(on_mouse_press=self._on_press, on_mouse_release=self._on_release)

    def take(self) -> list[Click]:
        """The presses since the last ``take`` (or ``discard``), oldest first."""
        clicks, self._clicks = self._clicks, []
        return clicks

    def discard(self) -> None:
        self._clicks = []

    def position(self, x: float, y: float) -> tuple[float, float]:
        """A point in pyglet's window coordinates (from the bottom left of the window's client area) in
        height units from the window's centre, converted as PsychoPy's ``Mouse.getPos`` converts the
        pointer's: client pixels times the content scale (2 on a retina display) are framebuffer pixels."""
        win = self.win
        scale = 2.0 if win.useRetina else win.getContentScaleFactor()
        width, height = win.size
        return (float(x * scale - width / 2) / height, float(y * scale - height / 2) / height)

    def _on_press(self, x: float, y: float, button: int, _modifiers: int) -> None:
        if button & LEFT:
            self.held = True
            self._clicks.append(Click(self.position(x, y), self.clock()))

    def _on_release(self, _x: float, _y: float, button: int, _modifiers: int) -> None:
        if button & LEFT:
            self.held = False
