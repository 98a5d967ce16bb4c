"""Keys typed ahead are not answers in the PsychoPy window: keys pressed before a step's onset flip (during
its waiting screen, during the step before) and keys after Continue are discarded.

The first two tests drive the frame loop and a rating screen with stand-ins for the window (no display
needed); the last runs a whole session on Xvfb with real key events."""

from __future__ import annotations

from types import SimpleNamespace

from placebolab.frontends.psychopy.frontend import PsychopyFrontend
from placebolab.frontends.psychopy.presses import Presses
from placebolab.frontends.psychopy.screens import Frame, Kit, QuestionnaireScreen, QuestionsScreen
from placebolab.protocol import load_protocol
from tests.conftest import FLAGSHIP
from tests.engine.schedule_protocols import rating, write_protocol

from ..cli.conftest import SEED, export, run_cli, write_short_protocol
from ..cli.flagship_session import ANSWERS
from . import walk


class Stim:
    """Any PsychoPy stimulus: takes every argument, draws nothing; a Slider keeps its rating."""

    def __init__(self, *_args, **kwargs):
        self.__dict__.update(kwargs)
        self.rating = None
        self.validArea = self

    def draw(self):
        pass

    def contains(self, *_args):
        return False

    def getRating(self):  # noqa: N802 - PsychoPy's name
        return self.rating


class WindowHandle:
    """pyglet's window as the dispatcher of its events: the handlers pushed onto it are given each."""

    def __init__(self):
        self.handlers: list[dict] = []

    def push_handlers(self, **handlers):
        self.handlers.insert(0, handlers)

    def dispatch(self, event, *args):
        for handlers in self.handlers:
            handlers[event](*args)


class Window:
    """Flips at 60 Hz; ``typed[n]`` are the keys the event queue delivers after flip n (from 1), each a
    millisecond after the one before; ``tapped[n]`` the left-button taps (x, y in pyglet's window pixels)
    it delivers then, after the keys, each a millisecond after the one before."""

    size = (1280, 800)
    units = "height"
    useRetina = False

    def __init__(self, event, typed: dict[int, list[str]], tapped: dict[int, list[tuple[int, int]]] | None = None):
        self.event, self.typed, self.tapped, self.flips, self._on_flip = event, typed, tapped or {}, 0, []
        self.winHandle, self.now = WindowHandle(), 100.0

    def getContentScaleFactor(self):  # noqa: N802
        return 1.0

    def callOnFlip(self, function):  # noqa: N802
        self._on_flip.append(function)

    def flip(self):
        self.flips += 1
        for function in self._on_flip:
            function()
        self._on_flip = []
        flipped = self.now = 100.0 + self.flips / 60
        for key in self.typed.get(self.flips, []):
            self.event.queue.append((key, self.now))
            self.now += 0.001
        for x, y in self.tapped.get(self.flips, []):
            self.winHandle.dispatch("on_mouse_press", x, y, 1, 0)
            self.winHandle.dispatch("on_mouse_release", x, y, 1, 0)
            self.now += 0.001
        return flipped


class Event:
    def __init__(self):
        self.queue = []

    def clearEvents(self):  # noqa: N802
        self.queue = []

    def getKeys(self, timeStamped=False):  # noqa: N802, N803
        keys, self.queue = self.queue, []
        return keys


class Mouse:
    def getPos(self):  # noqa: N802
        return (0.0, 0.0)


def stand_in_frontend(window: Window, clock=None) -> PsychopyFrontend:
    """The frontend on the stand-in window, as ``open`` sets it up."""
    frontend = PsychopyFrontend(clock)
    frontend.win, frontend._event, frontend.mouse, frontend._banner = window, window.event, Mouse(), None
    frontend._presses = Presses(window, lambda: window.now)
    frontend.frame_period, frontend.period_source = 1 / 60, "assumed"
    return frontend


class StandInKit(Kit):
    """Text measured without fonts: half a letter height per character, lines 1.4 letter heights apart."""

    def measure(self, text, height, bold=False):
        return len(text) * height / 2

    def line_height(self, height):
        return 1.4 * height


def rating_screen(tmp_path, window):
    step = load_protocol(write_protocol(tmp_path, rating("pain"))).timeline[0]
    visual = SimpleNamespace(TextStim=Stim, TextBox2=Stim, Slider=Stim, Rect=Stim)
    return QuestionsScreen(StandInKit(window, visual, Mouse()), SimpleNamespace(step=step))


def test_keys_pressed_before_the_onset_flip_are_not_answers(tmp_path):
    """A key pressed while the step was being drawn reaches PsychoPy's queue only after the onset flip,
    stamped as if pressed then: it is discarded with everything else queued at the onset."""
    event = Event()
    window = Window(event, {1: ["9"], 3: ["5", "return"]})
    screen = rating_screen(tmp_path, window)
    _log, outcome, _onset = stand_in_frontend(window)._loop(screen.draw, screen.update, None)
    assert outcome.values == {"": 5.0}  # not 95


def test_keys_after_continue_in_the_same_frame_do_not_change_the_answer(tmp_path):
    screen = rating_screen(tmp_path, Window(Event(), {}))
    keys = [("1", 100.5), ("return", 100.6), ("0", 100.61)]  # 0: typed ahead for the next question
    outcome = screen.update(Frame(100.62, keys, False, (0.0, 0.0)), onset=100.0)
    assert outcome.values == {"": 1.0}  # not 10
    assert outcome.answered_at == {"": 100.5}


def test_a_return_before_any_answer_does_not_carry_over_to_a_later_key(tmp_path):
    screen = rating_screen(tmp_path, Window(Event(), {}))
    assert screen.update(Frame(100.2, [("return", 100.1), ("4", 100.15)], False, (0.0, 0.0)), onset=100.0) is None


def test_keys_pressed_during_a_wait_and_the_step_before_are_not_answers(tmp_path, lab):
    """Real key events on Xvfb: digits pressed during the experimenter pause and during the waiting screen
    of a scheduled rating are not stored; the rating stores what was typed on its own screen."""
    protocol = write_short_protocol(tmp_path, schedule="[t0+3s, t0+4s]")
    study = tmp_path / "study"
    assert run_cli("init", protocol, study, "--seed", SEED, cwd=tmp_path).code == 0
    run = lab(
        study,
        "shots",
        "--participant",
        "P001",
        "--intake",
        "sex=female",
        "--intake",
        "age=34",
        "--intake",
        "name=Robin",
    )
    walk.pages(run, "welcome", 1)
    walk.rating_by_typing(run, "itch_baseline", walk.answer("itch_baseline"))
    walk.pages(run, "clinician", 3)
    walk.expectancy(run)
    walk.check(run)
    run.screen("06-cream")
    run.type("88")  # during the step before
    run.key("F12")
    run.screen("07-itch_post@t0+3s-waiting")
    run.type("99")  # during the waiting screen
    run.screen("07-itch_post@t0+3s", timeout=10)
    run.type("41")
    run.key("Return")
    run.screen("08-itch_post@t0+4s", timeout=10)
    run.type("29")
    run.key("Return")
    walk.pages(run, "debrief", 1)
    assert run.wait() == 0, run.output()

    long = export(study)["long"]
    post = {r["occasion"]: r for r in long if r["step"] == "itch_post"}
    assert float(post["t0+3s"]["value"]) == 41
    assert float(post["t0+3s"]["rt"]) > 0.1  # typed on the rating's own screen, after its onset
    assert float(post["t0+4s"]["value"]) == 29
    baseline = [r for r in long if r["step"] == "itch_baseline"]
    assert [float(r["value"]) for r in baseline] == [ANSWERS[("itch_baseline", "", "")]]


def test_keys_after_a_click_go_to_the_question_clicked(tmp_path):
    """The focus follows a click: → after clicking question 2 moves question 2's answer, not question 1's
    (which would change an answer the participant is not looking at)."""
    step = next(s for s in load_protocol(FLAGSHIP).timeline if s.id == "expectancy")  # four questions, 0–10
    window = Window(Event(), {})
    visual = SimpleNamespace(TextStim=Stim, TextBox2=Stim, Slider=Stim, Rect=Stim)
    screen = QuestionnaireScreen(StandInKit(window, visual, Mouse()), SimpleNamespace(step=step))
    first, second = screen.inputs[0], screen.inputs[1]
    screen.update(Frame(100.1, [("3", 100.05)], False, (0.0, 0.0)), onset=100.0)  # typed: question 1 has the focus
    second.slider.rating = 6  # the Slider took a click on question 2
    screen.update(Frame(100.2, [("right", 100.15)], True, (0.0, 0.0)), onset=100.0)
    assert (first.value, second.value) == (3.0, 7.0)
