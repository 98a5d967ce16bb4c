"""Where things are on the screen, in PsychoPy ``height`` units: the screen is 1 unit tall, y runs from
−0.5 (bottom) to 0.5 (top), x from −aspect/2 to aspect/2, (0, 0) is the centre.

Kept apart from the drawing code (and free of psychopy) so that a test can compute where a value of a
scale is on the screen and click there with a real mouse event.
"""

from __future__ import annotations

TEXT_HEIGHT = 0.032
TITLE_Y = 0.42
FOOTER_Y = -0.42
WRAP_WIDTH = 1.2  # at most; narrower on a narrow screen

RATING_PROMPT_Y = 0.16
RATING_SLIDER_Y = -0.02
RATING_SLIDER_WIDTH = 1.0
QUESTION_FIRST_Y = 0.27  # text of the first question on a questionnaire page
QUESTION_SPACING = 0.165
QUESTION_SLIDER_DROP = 0.05  # a question's scale sits this far below its text
QUESTION_SLIDER_WIDTH = 0.9
ITEMS_PER_PAGE = 4
SLIDER_HEIGHT = 0.03
BUTTON_Y = -0.41
BUTTON_SIZE = (0.22, 0.06)
CONSENT_TEXT_TOP = 0.36  # the consent text lies between here and CONSENT_TEXT_BOTTOM, its letters shrunk
CONSENT_TEXT_BOTTOM = -0.08  # (down to CONSENT_TEXT_MIN_HEIGHT) until it fits
CONSENT_TEXT_HEIGHT = 0.024
CONSENT_TEXT_MIN_HEIGHT = 0.015
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


def question_slider_y(position: int) -> float:
    """The y of the scale of the ``position``-th question (from 0) on a questionnaire page."""
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
