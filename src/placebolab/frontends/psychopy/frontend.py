"""The PsychoPy window and the frame loop every step runs in (see the package docstring for the keys)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from placebolab.components.catalogue import DEFAULT_LANGUAGE, catalogue
from placebolab.errors import SessionInterrupted
from placebolab.frontends.base import Response, coming_next, refuse_unshowable, saved_note
from placebolab.frontends.psychopy import layout
from placebolab.frontends.psychopy.consent import ConsentScreen
from placebolab.frontends.psychopy.drafts import DraftWriter
from placebolab.frontends.psychopy.media import AudioScreen, ImageScreen, VideoScreen
from placebolab.frontends.psychopy.presses import Presses
from placebolab.frontends.psychopy.screens import (
    DIM,
    TEXT,
    Kit,
    PagesScreen,
    PauseScreen,
    QuestionnaireScreen,
    QuestionsScreen,
    frames_of,
)
from placebolab.frontends.psychopy.timing import FrameLog

QUIT_KEY = "escape"
BACKGROUND = (-0.7, -0.7, -0.7)  # dark grey: white text is easy to read and the screen is not glaring
# Without vsync (a virtual display, or vsync off in the driver) flips are not locked to the refresh and the
# measured "rate" is the speed of the loop; frame timing is then judged against this assumed refresh.
MAX_PLAUSIBLE_HZ = 250
ASSUMED_HZ = 60.0


@dataclass(frozen=True)
class WindowOptions:
    fullscreen: bool = True
    size: tuple[int, int] = (1280, 800)  # of a --windowed window; a full-screen window takes the screen's
    screen: int = 0
    pilot: bool = False  # a banner marks every screen as a pilot session
    screenshots: Path | None = None  # save the first frame of every step, page and waiting screen as PNG


class PsychopyFrontend:
    """Shows each step in a PsychoPy window; never decides what comes next, never writes to the store."""

    name = "psychopy"

    def __init__(self, clock, options: WindowOptions | None = None):
        self.clock = clock
        self.options = options or WindowOptions()
        self.win: Any = None  # a psychopy visual.Window while open
        self._writers: list[threading.Thread] = []
        self._on_screen: Any = None  # the step shown (Current), for what the quit question says is saved
        self._drafts: DraftWriter | None = None  # keeps the answers of the step shown as they are given
        self.use_language(DEFAULT_LANGUAGE)

    def use_language(self, language: str) -> None:
        """Say what the window adds to the protocol's texts in ``language`` (components.catalogue); before ``open``."""
        self.say = catalogue(language)

    @staticmethod
    def refuse_unshowable(protocol) -> None:
        """Refuse, before anyone is enrolled, a protocol with a step the window cannot show (see SCREENS)."""
        refuse_unshowable(protocol, SCREENS)

    # --- window ------------------------------------------------------------------------------------

    def open(self, *, pilot: bool | None = None) -> None:
        """Open the window; ``pilot`` (the participant's pilot flag) overrides ``options.pilot``."""
        from psychopy import core, event, logging, visual

        if pilot is not None:
            self.options = replace(self.options, pilot=pilot)

        logging.console.setLevel(logging.ERROR)
        self._event = event
        self.win = visual.Window(
            size=self.options.size,
            fullscr=self.options.fullscreen,
            screen=self.options.screen,
            winType="pyglet",
            units="height",
            color=BACKGROUND,
            allowGUI=not self.options.fullscreen,
            checkTiming=False,  # measured below, and judged (an unlocked rate is not a refresh rate)
        )
        self.mouse = event.Mouse(win=self.win, visible=True)
        self._presses = Presses(self.win, core.getTime)
        self.kit = Kit(self.win, visual, self.mouse, self.say)
        self.frame_period, self.period_source = self._refresh_period()
        self._banner = None
        if self.options.pilot:
            self._banner = self.kit.text(self.say("lab.pilot"), 0.47, 0.022, colour="#ff6060", bold=True)
        if self.options.screenshots:
            Path(self.options.screenshots).mkdir(parents=True, exist_ok=True)

    def _refresh_period(self) -> tuple[float, str]:
        rate = self.win.getActualFrameRate(nIdentical=10, nMaxFrames=120, nWarmUpFrames=10, threshold=1)
        if rate is None or rate > MAX_PLAUSIBLE_HZ:
            return 1 / ASSUMED_HZ, f"assumed {ASSUMED_HZ:g} Hz: flips are not locked to a refresh (no vsync)"
        return 1 / rate, "measured"

    def close(self) -> None:
        for thread in self._writers:
            thread.join()
        if self.win is not None:
            self.win.close()
            self.win = None

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *_exc):
        self.close()

    # --- the Frontend interface --------------------------------------------------------------------

    def ask_intake(self, fields, given: dict, participant: str) -> dict:
        """The experimenter's dialog, before the window opens (see ``intake``)."""
        from placebolab.frontends.psychopy.intake import ask_intake

        return ask_intake(fields, given, participant)

    def wait(self, current) -> None:
        """A waiting screen with a countdown until the step is due; Escape still asks to quit."""
        due = current.not_before
        upcoming = coming_next(current.step, self.say)
        message = self.kit.text("", 0.0)
        note = self.kit.text(
            self.say("wait.comes_at", next=upcoming, time=f"{datetime.fromtimestamp(due):%H:%M:%S}"),
            layout.FOOTER_Y,
            0.025,
            colour=DIM,
        )

        def draw():
            left = max(0, round(due - self.clock.now()))
            text = self.say("lab.countdown", next=upcoming, left=f"{left // 60}:{left % 60:02d}")
            if message.text != text:
                message.text = text
            message.draw()
            note.draw()

        self._on_screen = None
        self._loop(draw, lambda frame, _onset: self.clock.now() >= due or None, self._shot_name(current, "waiting"))

    def show(self, current) -> Response:
        screen = screen_for(self.kit, current)  # every stimulus built before the onset frame
        pages = getattr(type(screen), "page_label", None) is not None
        label = (lambda: screen.page_label) if pages else None
        self._on_screen = current
        given = getattr(screen, "given", None)  # a screen with answers says which are given so far
        keep = None if current.drafts is None or given is None else given
        try:
            log, outcome, epoch_onset = self._loop(screen.draw, screen.update, self._shot_name(current), label, keep)
        finally:
            if self._drafts is not None:  # every answer written before the step is submitted (or stops)
                writer, self._drafts = self._drafts, None
                writer.close()
        return Response(
            outcome.values,
            epoch_onset,
            {item: epoch_onset + (at - log.onset) for item, at in outcome.answered_at.items()},
            log.detail(**outcome.detail),
        )

    # --- the frame loop ----------------------------------------------------------------------------

    def _loop(self, draw, update, screenshot: Path | None, page_label=None, keep=None):
        """Draw and flip until ``update`` returns an outcome; returns (frame log, outcome, epoch onset).
        ``page_label()``: which page a screen of several pages shows (a screenshot is saved of each).
        ``keep``: returns the answers given so far (item → (value, monotonic time)), each frame, to keep them
        (``Current.drafts``, written by a ``DraftWriter`` off the frame loop)."""
        from psychopy import core

        log = FrameLog(self.frame_period, self.period_source)
        onset_epoch: list[float] = []
        self.win.callOnFlip(lambda: onset_epoch.append(time.time()))  # the onset, stamped on the flip
        shot_of: str | None = None  # the page whose screenshot was taken
        while True:
            draw()
            if self._banner is not None:
                self._banner.draw()
            shot = None
            if screenshot is not None:
                page = page_label() if page_label is not None else None
                if not log.flips or page != shot_of:  # the onset frame, and the first frame of every page
                    shot_of = page
                    shot = screenshot if page is None else screenshot.with_name(f"{screenshot.stem}-{page}.png")
                    self.win.getMovieFrame(buffer="back")  # read before it is shown
            log.add(self.win.flip())
            if len(log.flips) == 1:
                self._discard_input()
            if shot is not None:
                self._save_screenshot(shot)
            # Taking the keys takes the window's events: every press since the last frame is recorded with
            # them, a quick tap released within the frame too, and each with its own place.
            keys = self._event.getKeys(timeStamped=True)
            clicks = self._presses.take()
            now, pointer = core.getTime(), tuple(self.mouse.getPos())
            names = [key for key, _ in keys]
            if QUIT_KEY in names:
                done = None
                if keep is not None:  # answers given up to the Escape (within this very frame) are kept too
                    stop = names.index(QUIT_KEY)
                    before = [click for click in clicks if click.at < keys[stop][1]]
                    done = _first_outcome(update, frames_of(now, keys[:stop], before, pointer, False), log.onset)
                    self._keep(keep(), log.onset, onset_epoch[0])
                self._confirm_quit()
                if done is not None:  # not quit, and the step was completed just before the Escape
                    return log, done, onset_epoch[0]
                continue  # input after the Escape, and during the question, is not an answer
            outcome = _first_outcome(update, frames_of(now, keys, clicks, pointer, self._presses.held), log.onset)
            if outcome is not None:
                return log, outcome, onset_epoch[0]
            if keep is not None:
                self._keep(keep(), log.onset, onset_epoch[0])

    def _keep(self, given: dict, onset: float | None, epoch_onset: float) -> None:
        """Hand the answers given so far to the step's draft writer (times turned from the monotonic clock into
        epoch seconds, from the onset flip); it writes those new or changed."""
        if onset is None or not given:  # (there is an onset: keep is called after the first flip)
            return
        if self._drafts is None:
            self._drafts = DraftWriter(self._on_screen.drafts, epoch_onset)
        self._drafts.offer({item: (value, epoch_onset + (at - onset)) for item, (value, at) in given.items()})

    def _discard_input(self) -> None:
        """At the onset flip: keys and clicks made before it (typed ahead during a waiting screen or the step
        before) are not answers to this step. PsychoPy stamps a key (and ``Presses`` a click) when it takes it
        from the window's queue, not when it was made, so the queue is emptied right after the onset rather
        than filtered."""
        self._event.clearEvents()  # takes the window's events: presses made before the onset are recorded ...
        self._presses.discard()  # ... and dropped

    def _confirm_quit(self) -> None:
        """Escape: ask before quitting. Y (or the language's own yes key) quits (every answer so far is stored,
        those of the step on screen too: ``show`` waits for their writes); N or Escape goes back."""
        question = self.kit.text(self.say("lab.quit", saved=saved_note(self._on_screen)), 0.0, colour=TEXT)
        yes = {"y", self.say("lab.quit_key")}
        self._event.clearEvents()
        while True:
            question.draw()
            self.win.flip()
            keys = self._event.getKeys()
            if yes & set(keys):
                raise SessionInterrupted("the session was stopped; every answer so far is stored")
            if "n" in keys or QUIT_KEY in keys:
                self._event.clearEvents()
                self._presses.discard()  # clicks on the question are no answers to the step below it
                return

    # --- screenshots -------------------------------------------------------------------------------

    def _shot_name(self, current, suffix: str = "") -> Path | None:
        """NN-KEY.png: the step's place in the plan and its key (a step of several pages adds
        -pageKofN, a waiting screen -waiting)."""
        if not self.options.screenshots:
            return None
        name = f"{current.occurrence.index + 1:02d}-{current.key}{'-' + suffix if suffix else ''}.png"
        return Path(self.options.screenshots) / name.replace("+", "plus")

    def _save_screenshot(self, path: Path) -> None:
        """Write the captured frame in a thread, so PNG encoding does not hold up the next frames."""
        image = self.win.movieFrames.pop()
        self.win.movieFrames.clear()

        def write():
            partial = path.with_name(path.stem + ".partial.png")
            image.save(partial)
            partial.replace(path)  # appears whole: whoever waits for the file never reads half a PNG

        thread = threading.Thread(target=write, name=f"screenshot {path.name}")
        thread.start()
        self._writers.append(thread)


def _first_outcome(update, frames, onset: float | None):
    """Give the screen each frame in turn; the outcome of the first that ends the step (input after it
    is typed ahead, not an answer), or None."""
    for frame in frames:
        outcome = update(frame, onset)
        if outcome is not None:
            return outcome
    return None


#: how the window shows each step type: ``screen(kit, current)`` builds it before the onset frame
SCREENS = {
    "text": PagesScreen,
    "script": PagesScreen,
    "rating": QuestionsScreen,
    "questionnaire": QuestionnaireScreen,
    "pause": PauseScreen,
    "image": ImageScreen,
    "audio": AudioScreen,
    "video": VideoScreen,
    "consent": ConsentScreen,
}


def screen_for(kit: Kit, current):
    """The screen that shows the current step, built (every stimulus loaded) before its first frame."""
    return SCREENS[current.step.type](kit, current)
