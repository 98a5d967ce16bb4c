"""One screen per kind of step. A screen builds every stimulus before the step's first frame, draws
itself each frame, and is told each frame which keys were pressed and where the mouse is; it says when
the step is done and what was answered. Times are PsychoPy monotonic seconds (``core.getTime``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from placebolab.components import PauseStep, QuestionnaireStep
from placebolab.components.base import Item
from placebolab.errors import InternalError
from placebolab.frontends.psychopy import layout
from placebolab.frontends.psychopy.markdown import plain_text

TEXT = "white"
DIM = "#a0a0a0"
FOCUS = "#ffd75e"
CONTINUE_KEYS = {"return", "space", "num_enter"}
NUMBER_KEYS = {str(d): str(d) for d in range(10)} | {f"num_{d}": str(d) for d in range(10)}
NUMBER_KEYS |= {"period": ".", "num_decimal": "."}


@dataclass
class Frame:
    """What happened since the last frame."""

    now: float
    keys: list[tuple[str, float]]  # (key name, time)
    clicked: bool  # the left mouse button went down since the last frame
    mouse_pos: tuple[float, float]
    button_down: bool = False  # ... and is still down


@dataclass
class Outcome:
    values: dict = field(default_factory=dict)
    answered_at: dict = field(default_factory=dict)  # item id → monotonic seconds
    detail: dict = field(default_factory=dict)


def key_label(key: str) -> str:
    return {"space": "SPACE", "return": "ENTER"}.get(key, key.upper())


class Kit:
    """The window and the stimulus classes a screen builds with."""

    def __init__(self, win, visual, mouse):
        self.win, self.visual, self.mouse = win, visual, mouse

    @property
    def wrap(self) -> float:
        aspect = self.win.size[0] / self.win.size[1]
        return min(layout.WRAP_WIDTH, aspect * 0.9)

    def text(self, text, y, height=layout.TEXT_HEIGHT, x=0.0, colour=TEXT, bold=False, wrap=None, align="center"):
        return self.visual.TextStim(
            self.win,
            text=text,
            pos=(x, y),
            height=height,
            color=colour,
            bold=bold,
            wrapWidth=wrap or self.wrap,
            alignText=align,
            anchorHoriz="center",
        )


# --- pages of text -----------------------------------------------------------------------------------


class PagesScreen:
    """Text and script steps: one page at a time; the step's continue key turns the page."""

    def __init__(self, kit: Kit, current):
        step = current.step
        self.key = step.continue_key.lower()
        top = layout.TITLE_Y - 0.07
        self.header = [kit.text(step.title, layout.TITLE_Y, 0.04, bold=True)] if step.title else []
        if current.speaker:
            self.header.append(kit.text(current.speaker, top, 0.035, colour=FOCUS, bold=True))
        self.pages = [kit.text(plain_text(page), 0.02, align="left") for page in current.pages]
        self.footers = [
            kit.text(
                f"Press {key_label(self.key)} to continue   ·   page {n} of {len(self.pages)}",
                layout.FOOTER_Y,
                0.025,
                colour=DIM,
            )
            for n in range(1, len(self.pages) + 1)
        ]
        self.page = 0
        self.turned: list[float] = []

    def draw(self) -> None:
        for stim in self.header:
            stim.draw()
        self.pages[self.page].draw()
        self.footers[self.page].draw()

    def update(self, frame: Frame, onset: float) -> Outcome | None:
        for key, at in frame.keys:
            if key == self.key:
                self.turned.append(round(at - onset, 4))
                self.page += 1
                if self.page == len(self.pages):
                    return Outcome(detail={"page_rt_s": self.turned})
                return None
        return None


# --- pauses ------------------------------------------------------------------------------------------


class PauseScreen:
    """A pause that ends on the experimenter's key, or after its duration (time from the onset flip)."""

    def __init__(self, kit: Kit, current):
        step: PauseStep = current.step
        self.step = step
        self.stims = [kit.text(step.title, layout.TITLE_Y, 0.04, bold=True)] if step.title else []
        self.stims.append(kit.text(step.text, 0.05))
        note = (
            "The experimenter will continue."
            if step.until == "experimenter"
            else "Please wait; the study continues by itself."
        )
        self.stims.append(kit.text(note, layout.FOOTER_Y, 0.025, colour=DIM))
        self.key = step.experimenter_key.lower()

    def draw(self) -> None:
        for stim in self.stims:
            stim.draw()

    def update(self, frame: Frame, onset: float) -> Outcome | None:
        if self.step.until == "duration":
            seconds = self.step.seconds
            if seconds is None:
                raise InternalError("a timed pause has its duration (validated)")
            return Outcome() if frame.now - onset >= seconds else None
        if any(key == self.key for key, _ in frame.keys):
            return Outcome(detail={"experimenter_key": self.key})
        return None


# --- scales ------------------------------------------------------------------------------------------


class ScaleInput:
    """One question answered on a ``visual.Slider``: by mouse, by ← / →, or by typing the number."""

    def __init__(self, kit: Kit, item: Item, scale, prompt: str, prompt_y: float, slider_y: float, width: float):
        self.item, self.scale = item, scale
        if item.min is None or item.max is None:
            raise InternalError("a number item has a range")
        self.low, self.high = item.min, item.max
        self.nudge = item.increment or (self.high - self.low) / 100  # VAS: 1% of the line per key press
        likert = scale.type == "likert"
        whole = scale.type == "nrs" and self.high - self.low <= 10
        ticks = list(range(int(self.low), int(self.high) + 1)) if likert or whole else [self.low, self.high]
        labels = scale.labels if likert else [f"{t:g}" for t in ticks] if scale.type == "nrs" else None
        self.slider = kit.visual.Slider(
            kit.win,
            ticks=ticks,
            labels=labels,
            granularity=item.increment or 0,
            style="rating",
            size=(width, layout.SLIDER_HEIGHT),
            pos=(0, slider_y),
            labelHeight=0.022 if likert else 0.025,
            labelWrapWidth=width / len(ticks) * 0.95 if likert else None,
            color=TEXT,
            fillColor=FOCUS,
            borderColor=TEXT,
        )
        self.prompt = kit.text(prompt, prompt_y, 0.034)
        self.anchors = []
        if scale.anchors and not likert:
            below = slider_y - 0.065
            for x, text in zip((-width / 2, width / 2), scale.anchors, strict=True):
                self.anchors.append(kit.text(text, below, 0.022, x=x, colour=DIM, wrap=0.3))
        self.readout = None if scale.type == "vas" or likert else kit.text("", slider_y, 0.04, x=width / 2 + 0.09)
        self.focused = False
        self.value: float | None = None
        self.answered_at: float | None = None
        self.changes = 0
        self.typed = ""
        self.kept = False  # the answer given before a stop, shown as given (until changed)

    def draw(self, focused: bool) -> None:
        if focused != self.focused:  # a colour change costs PsychoPy a conversion: only when it changes
            self.focused = focused
            self.prompt.color = FOCUS if focused else TEXT
        self.prompt.draw()
        self.slider.draw()
        for stim in self.anchors:
            stim.draw()
        if self.readout is not None:
            shown = self.typed or ("" if self.value is None else f"{self.value:g}")
            if self.readout.text != shown:
                self.readout.text = shown
            if shown:  # nothing to show until answered: skip the draw call
                self.readout.draw()

    def poll_mouse(self, frame: Frame) -> None:
        """Take up a value the participant set with the mouse. The Slider handles a click or a drag itself
        (it sets its rating when the button comes up); a tap pressed and released within one frame it
        never sees, so that is placed here, at the tapped point."""
        rating = self.slider.getRating()
        if rating is not None and rating != self.value:
            self._set(float(rating), frame.now, from_mouse=True)
        elif frame.clicked and not frame.button_down and self.slider.validArea.contains(frame.mouse_pos):
            self._set(self._value_at(frame.mouse_pos[0]), frame.now)

    def _value_at(self, x: float) -> float:
        width, _height = self.slider.size
        value = layout.x_value(x - self.slider.pos[0], self.low, self.high, width)
        if self.item.increment:
            value = self.low + round((value - self.low) / self.item.increment) * self.item.increment
        return min(self.high, max(self.low, value))

    def key(self, key: str, at: float) -> bool:
        """Handle a key meant for this question; False if it is not one of its keys."""
        if key in ("left", "right"):
            start = self.value if self.value is not None else (self.low + self.high) / 2
            moved = start + (self.nudge if key == "right" else -self.nudge)
            self._set(min(self.high, max(self.low, moved)), at)
            return True
        if key == "backspace":
            self.typed = self.typed[:-1]
            return True
        if key in NUMBER_KEYS and (NUMBER_KEYS[key] != "." or self.scale.type == "vas"):
            candidate = self.typed + NUMBER_KEYS[key]
            try:
                number = float(candidate)
            except ValueError:
                return True
            if number > self.high:
                return True  # one digit too many: ignored, the readout shows what counts
            self.typed = candidate
            if self._valid(number):
                self._set(number, at, typed=True)
            return True
        return False

    def _valid(self, number: float) -> bool:
        try:
            self.item.check(number)
        except ValueError:
            return False
        return True

    def keep(self, value: float) -> None:
        """Show the answer given before a stop (the session resumed): the marker at it, as if just set."""
        self.value, self.kept = value, True
        self.slider.rating = value

    def _set(self, value: float, at: float, *, from_mouse=False, typed=False) -> None:
        if not typed:
            self.typed = ""
        self.kept = False
        self.value = value
        self.answered_at = at
        self.changes += 1
        if not from_mouse:
            self.slider.rating = value  # moves the marker to the value typed or nudged


class Button:
    """The Continue button: greyed out until every question on the screen is answered."""

    def __init__(self, kit: Kit, label="Continue"):
        w, h = layout.BUTTON_SIZE
        self.box = kit.visual.Rect(kit.win, width=w, height=h, pos=(0, layout.BUTTON_Y), lineColor=TEXT)
        self.label = kit.text(label, layout.BUTTON_Y, 0.028)
        self.mouse = kit.mouse
        self.enabled: bool | None = None

    def draw(self, enabled: bool) -> None:
        if enabled != self.enabled:  # colours set only when they change (a conversion each time)
            self.enabled = enabled
            self.box.fillColor = "#3a6ea5" if enabled else "#555555"
            self.label.color = TEXT if enabled else DIM
        self.box.draw()
        self.label.draw()

    def clicked(self, frame: Frame) -> bool:
        return frame.clicked and self.box.contains(frame.mouse_pos)


class QuestionsScreen:
    """A rating: one question on a scale (:class:`QuestionnaireScreen` lays out pages of up to four)."""

    def __init__(self, kit: Kit, current):
        step = current.step
        self.title = [kit.text(step.title, layout.TITLE_Y, 0.04, bold=True)] if step.title else []
        self.pages = pages = self._pages(kit, step)
        self.intro = [self._intro(kit, step)]
        self.button = Button(kit)
        hint = "Click on the scale, use ← →, or type the number; then Continue or ENTER."
        if any(len(page) > 1 for page in pages):
            hint = "↑ ↓ choose a question. " + hint
        self.hint = kit.text(hint, layout.BUTTON_Y - 0.06, 0.02, colour=DIM)
        self.page, self.focus = 0, 0
        self.page_rt: list[float] = []
        self._resume(getattr(current, "kept", {}))  # a screen built from a bare step (a preview, a test): none

    def _resume(self, kept: dict) -> None:
        """Answers given before a stop are shown as given; the step goes on at its first unanswered question."""
        if not kept:
            return
        for question in (q for page in self.pages for q in page if q.item.id in kept):
            question.keep(kept[question.item.id].value)
        unanswered = [(n, page) for n, page in enumerate(self.pages) if any(q.value is None for q in page)]
        if unanswered:
            self.page, page = unanswered[0]
            self.focus = next(i for i, q in enumerate(page) if q.value is None)
        else:
            self.page = len(self.pages) - 1

    def given(self) -> dict[str, tuple[float, float]]:
        """The answers given in this showing so far: item id → (value, when, in monotonic seconds)."""
        return {
            q.item.id: (q.value, q.answered_at)
            for page in self.pages
            for q in page
            if q.value is not None and q.answered_at is not None and not q.kept
        }

    @staticmethod
    def _pages(kit: Kit, step) -> list[list[ScaleInput]]:
        (item,) = step.records()
        return [
            [
                ScaleInput(
                    kit,
                    item,
                    step.effective_scale,
                    step.prompt,
                    layout.RATING_PROMPT_Y,
                    layout.RATING_SLIDER_Y,
                    layout.RATING_SLIDER_WIDTH,
                )
            ]
        ]

    @staticmethod
    def _intro(kit: Kit, step):
        return None  # a rating's prompt is its question

    @property
    def inputs(self) -> list[ScaleInput]:
        return self.pages[self.page]

    def _complete(self) -> bool:
        return all(q.value is not None for q in self.inputs)

    def draw(self) -> None:
        for stim in self.title:
            stim.draw()
        if self.intro[0] is not None:
            self.intro[0].draw()
        many = len(self.inputs) > 1
        for n, question in enumerate(self.inputs):
            question.draw(focused=many and n == self.focus)
        self.button.draw(self._complete())
        self.hint.draw()

    def update(self, frame: Frame, onset: float) -> Outcome | None:
        for question in self.inputs:
            question.poll_mouse(frame)
        go = self.button.clicked(frame)
        for key, at in frame.keys:
            if go and self._complete():
                break  # keys after Continue (in the same frame) are typed ahead of the next question
            if key in ("up", "down", "tab"):
                step = -1 if key == "up" else 1
                self.focus = (self.focus + step) % len(self.inputs)
            elif key in CONTINUE_KEYS:
                go = go or self._complete()  # refused while a question is unanswered: it does not carry over
            else:
                self.inputs[self.focus].key(key, at)
        if not (go and self._complete()):
            return None
        self.page_rt.append(round(frame.now - onset, 4))
        if self.page + 1 < len(self.pages):
            self.page, self.focus = self.page + 1, 0
            return None
        return self._outcome()

    def _outcome(self) -> Outcome:
        questions = [q for page in self.pages for q in page]
        given = [q for q in questions if not q.kept]  # a kept answer is the engine's already (Current.drafts)
        return Outcome(
            values={q.item.id: q.value for q in given},
            answered_at={q.item.id: q.answered_at for q in given},
            detail={"page_rt_s": self.page_rt, "changes": {q.item.id: q.changes for q in questions}},
        )


class QuestionnaireScreen(QuestionsScreen):
    """A questionnaire: its prompt above pages of up to four questions."""

    @staticmethod
    def _pages(kit: Kit, step: QuestionnaireStep) -> list[list[ScaleInput]]:
        records = step.records()
        pages = []
        for first in range(0, len(step.items), layout.ITEMS_PER_PAGE):
            chunk = list(zip(step.items, records, strict=True))[first : first + layout.ITEMS_PER_PAGE]
            pages.append(
                [
                    ScaleInput(
                        kit,
                        record,
                        step.item_scale(item),
                        item.text,
                        layout.question_slider_y(n) + layout.QUESTION_SLIDER_DROP,
                        layout.question_slider_y(n),
                        layout.QUESTION_SLIDER_WIDTH,
                    )
                    for n, (item, record) in enumerate(chunk)
                ]
            )
        return pages

    @staticmethod
    def _intro(kit: Kit, step: QuestionnaireStep):
        return kit.text(step.prompt, layout.TITLE_Y - 0.06, 0.03, colour=DIM) if step.prompt else None
