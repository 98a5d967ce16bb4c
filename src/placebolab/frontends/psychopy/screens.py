"""One screen per kind of step. A screen builds every stimulus before the step's first frame, draws
itself each frame, and is told each frame which keys were pressed and where the mouse is; it says when
the step is done and what was answered. Times are PsychoPy monotonic seconds (``core.getTime``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from placebolab.components import PauseStep, QuestionnaireStep
from placebolab.components.base import Item
from placebolab.components.catalogue import Catalogue, catalogue
from placebolab.components.scales import not_applicable_label
from placebolab.errors import InternalError
from placebolab.frontends.psychopy import layout
from placebolab.frontends.psychopy.markdown import Block, blocks

TEXT = "white"
DIM = "#a0a0a0"
FOCUS = "#ffd75e"
FONT = "Noto Sans"  # TextBox2's default, shipped with PsychoPy (regular, bold, italic)
MEASURE_PX = 64  # text is measured at this size and scaled: glyph advances are proportional to the size
MEASURE_MARGIN = 1.03  # ... within the rounding of a small size's advances to whole pixels
PROMPT_HEIGHT = 0.03  # a question on a questionnaire page
COMPACT_LABEL_HEIGHT = 0.018  # smaller labels than this: the questionnaire takes three questions to a page
PROMPT_LIFT = 0.028  # the bottom of a question's text is this far above its scale's line
INTRO_MIN_HEIGHT = 0.022  # a questionnaire's prompt (above its questions) shrinks to this to fit two lines
CONTINUE_KEYS = {"return", "space", "num_enter"}
NUMBER_KEYS = {str(d): str(d) for d in range(10)} | {f"num_{d}": str(d) for d in range(10)}
NUMBER_KEYS |= {"period": ".", "num_decimal": "."}


@dataclass
class Frame:
    """What happened since the last frame (or, when several clicks came within one frame, up to the next
    click: each click is given to the screen as a frame of its own, see ``frames_of``)."""

    now: float
    keys: list[tuple[str, float]]  # (key name, time)
    clicked: bool  # the left mouse button went down since the last frame
    mouse_pos: tuple[float, float]  # where it went down (where the pointer is, without a click)
    button_down: bool = False  # ... and is still down


@dataclass(frozen=True)
class Click:
    """A press of the left mouse button: where (window units) and when (monotonic seconds, as keys are)."""

    pos: tuple[float, float]
    at: float


def frames_of(now: float, keys: list, clicks: list[Click], pointer: tuple[float, float], held: bool) -> list[Frame]:
    """The input taken at one flip as the frames a screen's ``update`` is given, in the order it came: each
    click a frame of its own, at its own place, with the keys typed after it (a screen takes a frame's click
    before its keys); keys typed before the first click a frame before it. So two taps within one stalled
    frame (an answer, then Continue) are both taken, as on a machine that kept up. A frame's ``now`` is the
    time it reports up to: the next click, or ``now`` for the last. Only the last click can still be held
    down (``held``): an earlier one was released before the next press. Without clicks: one frame."""
    if not clicks:
        return [Frame(now, keys, False, pointer, held)]
    frames = []
    first = [key for key in keys if key[1] < clicks[0].at]
    if first:
        frames.append(Frame(clicks[0].at, first, False, pointer))
    for n, click in enumerate(clicks):
        last = n == len(clicks) - 1
        until = now if last else clicks[n + 1].at
        typed = [key for key in keys if click.at <= key[1] and (last or key[1] < until)]
        frames.append(Frame(until, typed, True, click.pos, held and last))
    return frames


@dataclass
class Outcome:
    values: dict = field(default_factory=dict)
    answered_at: dict = field(default_factory=dict)  # item id → monotonic seconds
    detail: dict = field(default_factory=dict)


def key_label(key: str, say: Catalogue | None = None) -> str:
    if key in ("space", "return"):
        return (say or catalogue())(f"key.{key}")
    return key.upper()


class Kit:
    """The window and the stimulus classes a screen builds with; ``say``: the catalogue of the protocol's
    language, for every text a screen adds (components.catalogue)."""

    def __init__(self, win, visual, mouse, say: Catalogue | None = None) -> None:
        self.win, self.visual, self.mouse = win, visual, mouse
        self.say = say or catalogue()
        self._widths: dict[tuple[str, bool], float] = {}  # measured at MEASURE_PX, per letter height

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

    # Scales and formatted pages are drawn with TextBox2 (its own Noto Sans, bundled with PsychoPy): its
    # glyphs' advances are known before drawing, so text is laid out by measured width (layout.fit_labels).

    @property
    def half_width(self) -> float:
        return self.win.size[0] / self.win.size[1] / 2

    def _font(self, bold: bool = False):
        """Noto Sans at MEASURE_PX: widths at other sizes are scaled from it (one set of glyphs rendered)."""
        from psychopy.visual.textbox2 import allFonts

        return allFonts.getFont(FONT, size=MEASURE_PX, bold=bold)

    def measure(self, text: str, height: float, bold: bool = False) -> float:
        """The width of ``text`` on one line at letter height ``height`` (height units), as TextBox2 lays it
        out (the sum of its glyphs' advances), with MEASURE_MARGIN for the rounding of small sizes."""
        key = (text, bold)
        if key not in self._widths:
            font = self._font(bold)
            self._widths[key] = sum(font[char].advance[0] for char in text) / MEASURE_PX
        return self._widths[key] * height * MEASURE_MARGIN

    def advance(self, text: str, height: float, bold: bool = False, italic: bool = False) -> float:
        """The exact width of ``text`` at letter height ``height`` in Noto Sans of that style (height units):
        where the next run of text on the line starts."""
        from psychopy.visual.textbox2 import allFonts

        pixels = self.win.size[1]
        font = allFonts.getFont(FONT, size=height * pixels, bold=bold, italic=italic)
        return sum(font[char].advance[0] for char in text) / pixels

    def line_height(self, height: float) -> float:
        """The distance between two lines of TextBox2 text at letter height ``height``."""
        return self._font().height / MEASURE_PX * height

    def box(self, lines, x, y, height, colour=TEXT, anchor="top-center", bold=False, italic=False, width=None):
        """TextBox2 text of explicit lines (``lines`` joined by newlines): it wraps nothing itself, so no
        word is ever broken; ``anchor`` names the point at (x, y), e.g. 'top-center', 'bottom-left'."""
        text = lines if isinstance(lines, str) else "\n".join(lines)
        return self.visual.TextBox2(
            self.win,
            text=text,
            font=FONT,
            pos=(x, y),
            letterHeight=height,
            size=(width or 2 * self.half_width, None),
            color=colour,
            bold=bold,
            italic=italic,
            anchor=anchor,
            alignment=anchor,
            padding=0,
            formattingSyntax="none",  # no markup: asterisks in a label or a run are text
            editable=False,
            clickable=False,
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
        lowest = min((stim.pos[1] for stim in self.header), default=None)  # the title's or the speaker's
        area_top = layout.TITLE_Y + 0.03 if lowest is None else lowest - 0.05
        bottom = layout.FOOTER_Y + 0.05
        centred = not self.header  # a page under a title or a speaker starts right below them
        self.pages = [page_stims(kit, page, area_top, bottom, centred) for page in current.pages]
        pages = len(self.pages)
        self.footers = [
            kit.text(
                kit.say("lab.press_to_continue", key=key_label(self.key, kit.say))
                + (f"   ·   {kit.say('page_of', page=n, pages=pages)}" if pages > 1 else ""),
                layout.FOOTER_Y,
                0.025,
                colour=DIM,
            )
            for n in range(1, len(self.pages) + 1)
        ]
        self.page = 0
        self.turned: list[float] = []

    @property
    def page_label(self) -> str | None:
        """Which page is shown ('page2of3'; None for a single page): names the screenshot of each page."""
        return f"page{self.page + 1}of{len(self.pages)}" if len(self.pages) > 1 else None

    def draw(self) -> None:
        for stim in self.header:
            stim.draw()
        for stim in self.pages[self.page]:
            stim.draw()
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


HEADING_HEIGHTS = {1: 0.048, 2: 0.04}  # a heading's letter height by level (deeper levels: 0.036)
BLOCK_GAP = 0.55  # space between two blocks of a page, in body lines
ITEM_INDENT = 0.045  # a list item's text starts this far right of its bullet or number


def page_stims(kit: Kit, markdown: str, top: float, bottom: float, centred: bool = True) -> list:
    """A markdown page as TextBox2 blocks, left-aligned in a column ``kit.wrap`` wide, centred between
    ``top`` and ``bottom`` (or from ``top`` down when taller, or not ``centred``): headings larger and bold, bold and italics
    as such (TextBox2's markup), list items with their bullet or number. A page too tall for the space is
    drawn smaller (down to 70 %) rather than running off the screen."""
    page = blocks(markdown)
    scale = 1.0
    while True:
        placed, height = _stack(kit, page, scale)
        if height <= top - bottom or scale <= 0.7:
            break
        scale *= 0.92
    start = min(top, (top + bottom) / 2 + height / 2) if centred else top
    for stim, y in placed:
        stim.pos = (stim.pos[0], start - y)
    return [stim for stim, _ in placed]


def _stack(kit: Kit, page: list[Block], scale: float) -> tuple[list, float]:
    """The blocks laid out from y = 0 down: (stimulus, its top's distance below 0) pairs, and the height.
    Each line is broken between words by measured width and drawn as runs of one style each (a TextBox2
    has one font: bold and italic words are runs in the bold or italic face of Noto Sans)."""
    left = -kit.wrap / 2
    body = layout.TEXT_HEIGHT * scale
    gap = BLOCK_GAP * kit.line_height(body)
    placed: list = []
    y = 0.0
    for n, block in enumerate(page):
        if n:
            y += gap * (1.6 if block.kind == "heading" else 1.0)  # a heading stands apart from what precedes it
        heading = block.kind == "heading"
        height = HEADING_HEIGHTS.get(block.level, 0.036) * scale if heading else body
        x, width = left, kit.wrap
        if block.kind == "item":
            placed.append((kit.box(block.marker, left + 0.01, 0.0, height, anchor="top-left", width=0.1), y))
            x, width = left + 0.01 + ITEM_INDENT, kit.wrap - 0.01 - ITEM_INDENT
        words = [[(text, bold or heading, italic) for text, bold, italic in word] for word in styled_words(block.text)]
        for line in break_lines(kit, words, height, width):
            at = x
            for text, bold, italic in runs(line):
                stim = kit.box(text, at, 0.0, height, anchor="top-left", bold=bold, italic=italic, width=width)
                placed.append((stim, y))
                at += kit.advance(text, height, bold, italic)
            y += kit.line_height(height)
    return placed, y


_STYLED = re.compile(r"\*\*\*(.+?)\*\*\*|\*\*(.+?)\*\*|\*(.+?)\*")


Piece = tuple[str, bool, bool]  # text, bold, italic


def styled_words(text: str) -> list[list[Piece]]:
    """The words of a markdown paragraph, each as pieces of one style (``**30 minutes**.`` is the words
    [('30', bold)] and [('minutes', bold), ('.', plain)]: the full stop stays with its word)."""
    pieces: list[Piece] = []
    at = 0
    for match in _STYLED.finditer(text):
        pieces.append((text[at : match.start()], False, False))
        both, bold, italic = match.groups()
        pieces.append(
            (both or bold or italic, both is not None or bold is not None, both is not None or italic is not None)
        )
        at = match.end()
    pieces.append((text[at:], False, False))
    words: list[list[Piece]] = [[]]
    for piece, bold, italic in pieces:
        for part in re.split(r"(\s+)", piece):
            if not part:
                continue
            if part.isspace():
                words.append([])
            else:
                words[-1].append((part, bold, italic))
    return [word for word in words if word]


def break_lines(kit: Kit, words: list[list[Piece]], height: float, width: float) -> list[list[list[Piece]]]:
    """Words into lines no wider than ``width``, broken only between words (a word wider than a line
    stands alone on its line)."""
    lines: list[list[list[Piece]]] = [[]]
    used = 0.0
    for word in words:
        size = sum(kit.advance(text, height, bold, italic) for text, bold, italic in word)
        space = kit.advance(" ", height) if lines[-1] else 0.0
        if lines[-1] and used + space + size > width:
            lines.append([])
            used, space = 0.0, 0.0
        lines[-1].append(word)
        used += space + size
    return lines


def runs(line: list[list[Piece]]) -> list[Piece]:
    """A line's words joined into runs of one style each (a space goes with the run before it)."""
    joined: list[Piece] = []
    for n, word in enumerate(line):
        if n:
            text, bold, italic = joined[-1]
            joined[-1] = (text + " ", bold, italic)
        for text, bold, italic in word:
            if joined and joined[-1][1:] == (bold, italic):
                joined[-1] = (joined[-1][0] + text, bold, italic)
            else:
                joined.append((text, bold, italic))
    return joined


# --- pauses ------------------------------------------------------------------------------------------


class PauseScreen:
    """A pause that ends on the experimenter's key, or after its duration (time from the onset flip)."""

    def __init__(self, kit: Kit, current):
        step: PauseStep = current.step
        self.step = step
        self.stims = [kit.text(step.title, layout.TITLE_Y, 0.04, bold=True)] if step.title else []
        self.stims.append(kit.text(step.text, 0.05))
        note = kit.say("lab.pause_experimenter" if step.until == "experimenter" else "lab.pause_timed")
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
    """One question answered on a ``visual.Slider``: by mouse, by ← / →, or by typing the number; a scale's
    "does not apply" answer (its ``NotApplicable`` row) by a click on it or by typing 0."""

    def __init__(
        self,
        kit: Kit,
        item: Item,
        scale,
        prompt: str,
        prompt_y: float,
        slider_y: float,
        width: float,
        *,
        room: float = 0.2,
        prompt_lines: list[str] | None = None,
    ):
        """``room``: how tall the labels below the scale may be; ``prompt_lines``: the question laid out
        in lines (a questionnaire's), whose bottom sits PROMPT_LIFT above the scale (``prompt_y`` unused)."""
        self.item, self.scale = item, scale
        if item.min is None or item.max is None:
            raise InternalError("a number item has a range")
        self.low, self.high = item.min, item.max
        self.nudge = item.increment or (self.high - self.low) / 100  # VAS: 1% of the line per key press
        likert = scale.type == "likert"
        ticks = scale_ticks(scale, self.low, self.high)
        self.slider = kit.visual.Slider(
            kit.win,
            ticks=ticks,
            labels=None,  # drawn below (self.labels), laid out by measured width
            granularity=item.increment or 0,
            style="rating",
            size=(width, layout.SLIDER_HEIGHT),
            pos=(0, slider_y),
            color=TEXT,
            fillColor=FOCUS,
            borderColor=TEXT,
        )
        if prompt_lines is None:
            self.prompt = kit.text(prompt, prompt_y, 0.034)
        else:
            self.prompt = kit.box(prompt_lines, 0.0, slider_y + PROMPT_LIFT, PROMPT_HEIGHT, anchor="bottom-center")
        self.labels = []
        top = slider_y - layout.LABEL_TOP_DROP
        offered = not_applicable_label(item, scale) is not None
        rows = scale_labels(kit, scale, ticks, self.low, self.high, width, room, not_applicable=offered)
        for fitted, colour in rows:
            self.labels += label_stims(kit, fitted, top, colour)
            top -= fitted.block_height(kit.line_height) + layout.ROW_GAP
        self.na: NotApplicable | None = None  # the scale's "does not apply" answer, in a row below its labels
        if offered:
            text = kit.say("lab.not_applicable", label=scale.not_applicable)
            self.na = NotApplicable(kit, text, top, na_height(rows))
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
        for stim in self.labels:
            stim.draw()
        if self.na is not None:
            self.na.draw(self.not_applicable)
        if self.readout is not None:
            shown = "" if self.not_applicable else self.typed or ("" if self.value is None else f"{self.value:g}")
            if self.readout.text != shown:
                self.readout.text = shown
            if shown:  # nothing to show until answered: skip the draw call
                self.readout.draw()

    def poll_mouse(self, frame: Frame) -> bool:
        """Take up a value the participant set with the mouse; whether they did. The Slider handles a click or a
        drag itself (it sets its rating when the button comes up); a tap pressed and released within one frame
        it never sees, so that is placed here, at the tapped point."""
        code = self.item.na_code
        if self.na is not None and code is not None and frame.clicked and self.na.contains(frame.mouse_pos):
            if not self.not_applicable:  # chosen once; a value on the scale undoes it
                self._set(code, frame.now)
            return True
        rating = self.slider.getRating()
        if rating is not None and rating != self.value:
            self._set(float(rating), frame.now, from_mouse=True)
            return True
        if frame.clicked and not frame.button_down and self.slider.validArea.contains(frame.mouse_pos):
            self._set(self._value_at(frame.mouse_pos[0]), frame.now)
            return True
        return False

    def _value_at(self, x: float) -> float:
        width, _height = self.slider.size
        value = layout.x_value(x - self.slider.pos[0], self.low, self.high, width)
        if self.item.increment:
            value = self.low + round((value - self.low) / self.item.increment) * self.item.increment
        return min(self.high, max(self.low, value))

    def key(self, key: str, at: float) -> bool:
        """Handle a key meant for this question; False if it is not one of its keys."""
        if key in ("left", "right"):
            on_scale = self.value if not self.not_applicable else None  # "does not apply": from the middle
            start = on_scale if on_scale is not None else (self.low + self.high) / 2
            moved = start + (self.nudge if key == "right" else -self.nudge)
            self._set(min(self.high, max(self.low, moved)), at)
            return True
        if key == "backspace":
            self.typed = self.typed[:-1]
            return True
        if key in NUMBER_KEYS and (NUMBER_KEYS[key] != "." or self.scale.type == "vas"):
            candidate = self.typed + NUMBER_KEYS[key]
            if candidate[:1] == "0" and candidate[1:2].isdigit():  # "0" (does not apply), then "7": 7
                candidate = candidate.lstrip("0") or "0"
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

    @property
    def not_applicable(self) -> bool:
        """Whether the answer is the scale's "does not apply" (stored as the item's ``na_code``, below the scale)."""
        return self.na is not None and self.value is not None and self.value == self.item.na_code

    def keep(self, value: float) -> None:
        """Show the answer given before a stop (the session resumed): the marker at it, as if just set."""
        self.value, self.kept = value, True
        self._place_marker()

    def _set(self, value: float, at: float, *, from_mouse=False, typed=False) -> None:
        if not typed:
            self.typed = ""
        self.kept = False
        self.value = value
        self.answered_at = at
        self.changes += 1
        if not from_mouse:
            self._place_marker()  # moves the marker to the value typed or nudged

    def _place_marker(self) -> None:
        """The marker at the value; none for "does not apply", which is no point of the scale (the Slider would
        put it at the scale's low end, and report that end as a rating of its own)."""
        self.slider.rating = None if self.not_applicable else self.value


class NotApplicable:
    """A scale's "does not apply" answer: a box and its label (``lab.not_applicable``: typing 0 chooses it too)
    in a row of their own, centred below the scale's labels, ``top`` its top; chosen, the box shows the
    marker's colour inside and the label is drawn in it."""

    def __init__(self, kit: Kit, text: str, top: float, height: float):
        size = height * 1.1
        gap = height * 0.6
        row = kit.line_height(height)
        width = size + gap + kit.measure(text, height)
        left, middle = -width / 2, top - row / 2
        self.box = kit.visual.Rect(
            kit.win, width=size, height=size, pos=(left + size / 2, middle), lineColor=TEXT, fillColor=None, lineWidth=2
        )
        self.tick = kit.visual.Rect(kit.win, width=size * 0.6, height=size * 0.6, pos=self.box.pos, fillColor=FOCUS)
        self.label = kit.box(text, left + size + gap, top, height, anchor="top-left")
        pad = layout.ROW_GAP / 2
        self.area = (left - pad, left + width + pad, top - row - pad, top + pad)  # left, right, bottom, top
        self.chosen = False

    def draw(self, chosen: bool) -> None:
        if chosen != self.chosen:  # a colour change costs PsychoPy a conversion: only when it changes
            self.chosen = chosen
            self.label.color = FOCUS if chosen else TEXT
        self.box.draw()
        if chosen:
            self.tick.draw()
        self.label.draw()

    def contains(self, pos: tuple[float, float]) -> bool:
        left, right, bottom, top = self.area
        return left <= pos[0] <= right and bottom <= pos[1] <= top


def na_height(rows: list[tuple[layout.LabelLayout, str]]) -> float:
    """The letter height of a scale's "does not apply" row: its labels' (LABEL_HEIGHT for a scale without any)."""
    return rows[0][0].height if rows else layout.LABEL_HEIGHT


def _measure_at(kit: Kit, height: float, text: str) -> float:
    return kit.measure(text, height)


def scale_ticks(scale, low: float, high: float) -> list:
    """The marked points of a scale: every point of a Likert scale or a short NRS, else its two ends."""
    whole = scale.type == "nrs" and high - low <= 10
    return list(range(int(low), int(high) + 1)) if scale.type == "likert" or whole else [low, high]


def scale_labels(
    kit: Kit, scale, ticks, low, high, width, room, *, not_applicable: bool = False
) -> list[tuple[layout.LabelLayout, str]]:
    """The rows of text below a scale, each laid out by measured width: a Likert scale's labels or an NRS's
    numbers, then the anchors of its two ends (an NRS's or a VAS's), with their colours; both rows in
    the same letter height, the largest at which both fit in ``room`` (with ``not_applicable``: and the
    row of the scale's "does not apply" answer below them, in that height too)."""
    likert = scale.type == "likert"
    labels = scale.labels if likert else [f"{t:g}" for t in ticks] if scale.type == "nrs" else None
    for cap in layout.label_heights():
        space = room - (kit.line_height(cap) + layout.ROW_GAP if not_applicable else 0.0)
        rows = []
        if labels:
            xs = [layout.value_x(t, low, high, width) for t in ticks]
            fitted = layout.fit_labels(
                labels, xs, kit.measure, kit.line_height, room=space, edge=kit.half_width, height=cap
            )
            rows.append((fitted, TEXT))
        if scale.anchors and not likert:
            left = space - (rows[0][0].block_height(kit.line_height) + layout.ROW_GAP if rows else 0)
            ends = [-width / 2, width / 2]
            anchors = layout.fit_labels(
                scale.anchors, ends, kit.measure, kit.line_height, room=left, edge=kit.half_width, height=cap
            )
            rows.append((anchors, DIM))
        if all(fitted.height >= cap - 1e-9 for fitted, _ in rows):
            break  # both at this height; else the numbers shrink too, which gives the anchors more room
    return rows


def labels_height(kit: Kit, rows: list[tuple[layout.LabelLayout, str]], not_applicable: bool = False) -> float:
    """How tall the rows of text below a scale are (with ``not_applicable``: and its "does not apply" row)."""
    height = sum(fitted.block_height(kit.line_height) for fitted, _ in rows) + layout.ROW_GAP * (len(rows) - 1)
    if not_applicable:
        height += layout.ROW_GAP * bool(rows) + kit.line_height(na_height(rows))
    return height


def label_stims(kit: Kit, fitted: layout.LabelLayout, top: float, colour) -> list:
    """The stimuli of a scale's labels laid out by ``layout.fit_labels``, the first row's top at ``top``."""
    rows = [top]
    if len(fitted.rows) > 1:
        rows.append(top - fitted.rows[0] * kit.line_height(fitted.height) - layout.ROW_GAP)
    return [kit.box(label.lines, label.x, rows[label.row], fitted.height, colour) for label in fitted.labels]


class Button:
    """A button on the bottom line (Continue by default: greyed out until every question on the screen is
    answered; a consent's agree and decline, side by side at ``x``)."""

    def __init__(self, kit: Kit, label: str | None = None, x: float = 0.0, size=layout.BUTTON_SIZE, letter=0.028):
        w, h = size
        self.box = kit.visual.Rect(kit.win, width=w, height=h, pos=(x, layout.BUTTON_Y), lineColor=TEXT)
        self.label = kit.text(label or kit.say("continue"), layout.BUTTON_Y, letter, x=x, wrap=w * 0.95)
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
        hint = kit.say("lab.scale_hint")
        if any(len(page) > 1 for page in pages):
            hint = kit.say("lab.choose_question") + " " + hint
        if len(pages) > 1:  # a questionnaire spread over pages says where the participant is
            hints = [f"{hint}   ·   {kit.say('page_of', page=n, pages=len(pages))}" for n in range(1, len(pages) + 1)]
        else:
            hints = [hint]
        self.hints = [kit.text(text, layout.BUTTON_Y - 0.06, 0.02, colour=DIM) for text in hints]
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

    @property
    def hint(self):
        return self.hints[self.page]

    @property
    def page_label(self) -> str | None:
        """Which page is shown ('page2of3'; None for a single page): names the screenshot of each page."""
        return f"page{self.page + 1}of{len(self.pages)}" if len(self.pages) > 1 else None

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
        for n, question in enumerate(self.inputs):
            if question.poll_mouse(frame):
                self.focus = n  # the keys that follow (← →, a number) go to the question clicked, as anywhere else
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
        """Four questions to a page when each question fits on one line and its labels fit below it at
        COMPACT_LABEL_HEIGHT or larger; else three to a page, further apart (room for two lines and more)."""
        records = step.records()
        width = layout.QUESTION_SLIDER_WIDTH
        measure = lambda text: kit.measure(text, PROMPT_HEIGHT)  # noqa: E731
        prompts = [layout.wrap_words(item.text, kit.wrap, measure) or [item.text] for item in step.items]
        scales = [step.item_scale(item) for item in step.items]

        def room(spacing: float, prompt_lines: int) -> float:
            below = PROMPT_LIFT + prompt_lines * kit.line_height(PROMPT_HEIGHT) + layout.LABEL_TOP_DROP
            return spacing - below - layout.ROW_GAP

        compact = room(layout.QUESTION_SPACING, 1)

        def fits_compact(scale, record) -> bool:
            ticks = scale_ticks(scale, record.min, record.max)
            offered = not_applicable_label(record, scale) is not None  # a row below the labels
            rows = scale_labels(kit, scale, ticks, record.min, record.max, width, compact, not_applicable=offered)
            return all(f.fits and f.height >= COMPACT_LABEL_HEIGHT - 1e-9 for f, _ in rows) and (
                labels_height(kit, rows, offered) <= compact
            )

        roomy = any(len(lines) > 1 for lines in prompts) or not all(
            fits_compact(scale, record) for scale, record in zip(scales, records, strict=True)
        )
        per_page = layout.ROOMY_ITEMS_PER_PAGE if roomy else layout.ITEMS_PER_PAGE
        spacing = layout.ROOMY_QUESTION_SPACING if roomy else layout.QUESTION_SPACING
        space = room(spacing, max(len(lines) for lines in prompts))
        questions = list(zip(step.items, records, prompts, scales, strict=True))
        pages = []
        for first in range(0, len(questions), per_page):
            pages.append(
                [
                    ScaleInput(
                        kit,
                        record,
                        scale,
                        item.text,
                        0.0,
                        layout.question_slider_y(n, roomy),
                        width,
                        room=space,
                        prompt_lines=lines,
                    )
                    for n, (item, record, lines, scale) in enumerate(questions[first : first + per_page])
                ]
            )
        return pages

    @staticmethod
    def _intro(kit: Kit, step: QuestionnaireStep):
        """The questionnaire's prompt, below the title: at most two lines (smaller letters if need be)."""
        if not step.prompt:
            return None
        top = layout.TITLE_Y - 0.035 if step.title else layout.TITLE_Y + 0.02
        height = 0.03
        while True:
            lines = layout.wrap_words(step.prompt, kit.wrap, functools.partial(_measure_at, kit, height))
            if (lines is not None and len(lines) <= 2) or height <= INTRO_MIN_HEIGHT:
                break
            height = max(INTRO_MIN_HEIGHT, height * 0.92)
        return kit.box(lines or [step.prompt], 0.0, top, height, colour=DIM)
