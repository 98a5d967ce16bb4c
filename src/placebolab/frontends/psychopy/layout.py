"""Where things are on the screen, in PsychoPy ``height`` units: the screen is 1 unit tall, y runs from
−0.5 (bottom) to 0.5 (top), x from −aspect/2 to aspect/2, (0, 0) is the centre.

Kept apart from the drawing code (and free of psychopy) so that a test can compute where a value of a
scale is on the screen and click there with a real mouse event.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TEXT_HEIGHT = 0.032
TITLE_Y = 0.42
FOOTER_Y = -0.42
WRAP_WIDTH = 1.2  # at most; narrower on a narrow screen

RATING_PROMPT_Y = 0.16
RATING_SLIDER_Y = -0.02
RATING_SLIDER_WIDTH = 1.0
QUESTION_FIRST_Y = 0.27  # text of the first question on a questionnaire page
QUESTION_SPACING = 0.165
ROOMY_QUESTION_SPACING = 0.22  # a page of long questions or tall labels: three to a page, further apart
ROOMY_ITEMS_PER_PAGE = 3
ROOMY_QUESTION_FIRST_Y = 0.23  # three questions need less height than four: more room for the intro above
QUESTION_SLIDER_DROP = 0.05  # a question's scale sits this far below its text
QUESTION_SLIDER_WIDTH = 0.9
ITEMS_PER_PAGE = 4
SLIDER_HEIGHT = 0.03
BUTTON_Y = -0.41
BUTTON_SIZE = (0.22, 0.06)
CONSENT_TEXT_TOP = 0.36  # the consent text lies between here and CONSENT_TEXT_BOTTOM (a page's markdown,
CONSENT_TEXT_BOTTOM = -0.08  # made smaller when long: screens.page_stims)
CONSENT_FIRST_STATEMENT_Y = -0.13
CONSENT_STATEMENT_SPACING = 0.06
CONSENT_LAST_STATEMENT_Y = -0.33  # statements closer together when there are many: none below this
CONSENT_BOX_X = -0.55  # a statement's checkbox; its text begins just right of it
CONSENT_BOX_SIZE = 0.035
CONSENT_BUTTON_X = 0.2  # agree left of the centre at −x, decline right at +x
CONSENT_BUTTON_SIZE = (0.36, 0.06)


def consent_statement_spacing(count: int) -> float:
    """How far apart ``count`` statements of a consent screen are: closer when many, none below the last line."""
    room = CONSENT_FIRST_STATEMENT_Y - CONSENT_LAST_STATEMENT_Y
    return min(CONSENT_STATEMENT_SPACING, room / (count - 1)) if count > 1 else CONSENT_STATEMENT_SPACING


def consent_statement_y(position: int, count: int) -> float:
    """The y of the ``position``-th of ``count`` statements (from 0) of a consent screen."""
    return CONSENT_FIRST_STATEMENT_Y - position * consent_statement_spacing(count)


def question_slider_y(position: int, roomy: bool = False) -> float:
    """The y of the scale of the ``position``-th question (from 0) on a questionnaire page; ``roomy``: on
    the pages of a questionnaire with long questions or tall labels (three to a page, further apart)."""
    if roomy:
        return ROOMY_QUESTION_FIRST_Y - position * ROOMY_QUESTION_SPACING - QUESTION_SLIDER_DROP
    return QUESTION_FIRST_Y - position * QUESTION_SPACING - QUESTION_SLIDER_DROP


def value_x(value: float, low: float, high: float, width: float) -> float:
    """The x of ``value`` on a scale from ``low`` to ``high`` drawn ``width`` wide around x = 0."""
    return (value - low) / (high - low) * width - width / 2


def x_value(x: float, low: float, high: float, width: float) -> float:
    """The value at ``x`` on that scale (the inverse of ``value_x``)."""
    return low + (x + width / 2) / width * (high - low)


def to_pixels(x: float, y: float, size: tuple[int, int]) -> tuple[int, int]:
    """A point in height units → pixel (column, row) of a window of ``size`` (row 0 at the top)."""
    width, height = size
    return round(width / 2 + x * height), round(height / 2 - y * height)


# --- the labels of a scale ------------------------------------------------------------------------------

LABEL_HEIGHT = 0.022  # letter height of a scale's labels, shrunk (to LABEL_MIN_HEIGHT) where they do not fit
LABEL_MIN_HEIGHT = 0.016
LABEL_GAP = 0.014  # at least this much space between two labels side by side
LABEL_TOP_DROP = 0.024  # the first row of labels starts this far below the scale's line (under its marker)
ROW_GAP = 0.008  # between a row of labels and the row below it (staggered labels, anchors)
SCREEN_MARGIN = 0.03  # no label comes closer than this to the left or right edge of the screen


@dataclass(frozen=True)
class PlacedLabel:
    """A label laid out: its lines (broken only between words), centred at ``x``, in row 0 or 1."""

    lines: tuple[str, ...]
    x: float
    row: int


@dataclass(frozen=True)
class LabelLayout:
    height: float  # letter height, the same for every label of the scale
    labels: tuple[PlacedLabel, ...]
    rows: tuple[int, ...]  # lines in each row (one row, or two when staggered)
    fits: bool  # False: even the smallest letters, staggered, overlap; the labels are too long for the scale

    def block_height(self, line_height: Callable[[float], float]) -> float:
        """How tall the labels are, from the top of the first row to the bottom of the last."""
        return sum(self.rows) * line_height(self.height) + ROW_GAP * (len(self.rows) - 1)


def label_heights(largest: float = LABEL_HEIGHT) -> list[float]:
    """The letter heights labels are tried in, largest first, down to LABEL_MIN_HEIGHT."""
    heights = []
    while largest > LABEL_MIN_HEIGHT + 1e-9:
        heights.append(largest)
        largest = max(LABEL_MIN_HEIGHT, largest * 0.92)
    return [*heights, LABEL_MIN_HEIGHT]


def wrap_words(text: str, width: float, measure: Callable[[str], float]) -> list[str] | None:
    """``text`` broken into lines no wider than ``width``, only between words (never inside one), as few
    lines as fit and as even as can be ('neither agree / nor disagree', not 'neither agree nor /
    disagree'); None if a word alone is wider."""
    words = text.split()
    lines: list[str] = []
    for word in words:
        if measure(word) > width:
            return None
        if lines and measure(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) < 2 or len(words) > 12:  # a label's few words: every way to break them is tried
        return lines or [""]
    best, widest = lines, max(measure(line) for line in lines)
    for breaks in itertools.combinations(range(1, len(words)), len(lines) - 1):
        edges = (0, *breaks, len(words))
        candidate = [" ".join(words[a:b]) for a, b in itertools.pairwise(edges)]
        width_of = max(measure(line) for line in candidate)
        if width_of < widest - 1e-9:
            best, widest = candidate, width_of
    return best


def _slots(xs: Sequence[float], rows: Sequence[int], edge: float) -> list[float]:
    """The widest each label may be, centred on its x: up to half-way to the next label in its row (less
    half a gap), and no closer than SCREEN_MARGIN to the screen's edge (``edge``: half the screen width)."""
    widths = []
    for i, x in enumerate(xs):
        room = edge - SCREEN_MARGIN - abs(x)
        for j, other in enumerate(xs):
            if j != i and rows[j] == rows[i]:
                room = min(room, abs(other - x) / 2 - LABEL_GAP / 2)
        widths.append(2 * room)
    return widths


def fit_labels(
    texts: Sequence[str],
    xs: Sequence[float],
    measure: Callable[[str, float], float],
    line_height: Callable[[float], float],
    *,
    room: float,
    edge: float,
    height: float = LABEL_HEIGHT,
) -> LabelLayout:
    """Lay out the labels of a scale, each centred on its point at ``xs``, by measured text width
    (``measure(text, letter_height)``, in height units): wrapped only between words, at the largest
    letter height (``height`` down to LABEL_MIN_HEIGHT) where none overlaps its neighbours and the
    labels stay within ``room`` (height units below the first row); if none fits in one row, every
    other label goes to a second row below (staggered), which doubles the room of each."""
    heights = label_heights(height)
    one_row = [0] * len(xs)
    staggered = [i % 2 for i in range(len(xs))]
    fallback = None
    for rows in (one_row, staggered):
        if rows is staggered and len(xs) < 3:
            continue
        widths = _slots(xs, rows, edge)
        for h in heights:
            wrapped = [
                wrap_words(text, width, functools.partial(_at_height, measure, h))
                for text, width in zip(texts, widths, strict=True)
            ]
            if any(lines is None for lines in wrapped):
                continue
            placed = tuple(PlacedLabel(tuple(w or ()), x, r) for w, x, r in zip(wrapped, xs, rows, strict=True))
            counts = _row_lines(placed)
            layout = LabelLayout(h, placed, counts, True)
            if layout.block_height(line_height) <= room:
                return layout
            if fallback is None:
                fallback = layout
    if fallback is not None:  # no overlap side by side, but taller than the room: the caller makes room
        return fallback
    # even the smallest letters, staggered, cannot hold a word: one word per line, flagged as not fitting
    words = tuple(PlacedLabel(tuple(t.split()) or ("",), x, r) for t, x, r in zip(texts, xs, staggered, strict=True))
    return LabelLayout(LABEL_MIN_HEIGHT, words, _row_lines(words), False)


def _at_height(measure: Callable[[str, float], float], height: float, text: str) -> float:
    return measure(text, height)


def _row_lines(placed: Sequence[PlacedLabel]) -> tuple[int, ...]:
    """The lines of the tallest label in each row."""
    return tuple(max(len(p.lines) for p in placed if p.row == row) for row in sorted({p.row for p in placed}))
