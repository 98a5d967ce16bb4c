"""How a participant answers the (short) flagship protocol in the PsychoPy window, with real input:
each answer of tests/cli/flagship_session.ANSWERS is given one of the ways a participant can — a mouse
click on the scale, ← / → keys, or typing the number — and confirmed with Enter or the Continue button."""

from __future__ import annotations

from placebolab.frontends.psychopy import layout

from ..cli.flagship_session import ANSWERS, PLAN
from .conftest import SCREEN, Lab

RANGES = {"itch_baseline": (0, 100), "itch_post": (0, 100), "expectancy": (0, 10), "check": (1, 7)}
QUESTIONS = {
    "expectancy": [["relief", "logical", "confident", "doubt"]],
    "check": [["warm", "caring", "friendly", "competent"], ["confident", "skilled"]],
}
BUTTON = layout.to_pixels(0, layout.BUTTON_Y, SCREEN)


def screen_name(key: str) -> str:
    return f"{PLAN.index(key) + 1:02d}-{key}"


def answer(step: str, occasion: str = "", item: str = "") -> int:
    return ANSWERS[(step, occasion, item)]


def scale_pixel(step: str, value: float, position: int | None) -> tuple[int, int]:
    low, high = RANGES[step]
    if position is None:
        x = layout.value_x(value, low, high, layout.RATING_SLIDER_WIDTH)
        return layout.to_pixels(x, layout.RATING_SLIDER_Y, SCREEN)
    x = layout.value_x(value, low, high, layout.QUESTION_SLIDER_WIDTH)
    return layout.to_pixels(x, layout.question_slider_y(position), SCREEN)


def pages(lab: Lab, key: str, count: int) -> None:
    """Turn each page once it is on screen (a step of several pages saves a screenshot of each)."""
    for page in range(1, count + 1):
        lab.screen(screen_name(key) + (f"-page{page}of{count}" if count > 1 else ""))
        lab.key("space")


def rating_by_click(lab: Lab, key: str, value: int) -> None:
    """Click the value on the scale, then the Continue button."""
    lab.screen(screen_name(key))
    lab.click(BUTTON)  # refused: nothing rated yet (a response is required)
    lab.click(scale_pixel(key.partition("@")[0], value, None))
    lab.click(BUTTON)


def rating_by_tap(lab: Lab, key: str, value: int) -> None:
    """Quick taps (press and release at once) on the value and on the Continue button."""
    lab.screen(screen_name(key))
    lab.tap(scale_pixel(key.partition("@")[0], value, None))
    lab.tap(BUTTON)


def rating_by_typing(lab: Lab, key: str, value: int) -> None:
    lab.screen(screen_name(key))
    lab.key("Return")  # refused: nothing rated yet
    lab.type(str(value))
    lab.key("Return")


def expectancy(lab: Lab) -> None:
    """Each of the four questions answered a different way; Enter goes on."""
    lab.screen(screen_name("expectancy"))
    lab.type(str(answer("expectancy", item="relief")))  # question 1 has the focus: typed
    lab.click(scale_pixel("expectancy", answer("expectancy", item="logical"), 1))  # clicked: question 2 has the focus
    lab.key("Down")
    lab.type(str(answer("expectancy", item="confident")))  # typed after moving the focus
    lab.key("Down")
    doubt = answer("expectancy", item="doubt")
    lab.key(*["Left"] * (5 - doubt))  # ← from the middle of 0–10 (5)
    lab.key("Return")


def check_page_one(lab: Lab, values: dict[str, int]) -> None:
    lab.screen(screen_name("check"))
    for position, item in enumerate(QUESTIONS["check"][0]):
        lab.click(scale_pixel("check", values[item], position))


def check(lab: Lab) -> None:
    values = {item: answer("check", item=item) for page in QUESTIONS["check"] for item in page}
    check_page_one(lab, values)
    lab.click(BUTTON)
    lab.screen(screen_name("check") + "-page2of2")  # the second page is saved as it is shown
    check_page_two(lab)


def check_page_two(lab: Lab) -> None:
    lab.type(str(answer("check", item="confident")))  # page 2: typed, then ↓ and typed
    lab.key("Down")
    lab.type(str(answer("check", item="skilled")))
    lab.key("Return")


def cream(lab: Lab) -> None:
    lab.screen(screen_name("cream"))
    lab.key("space", "Return")  # the participant's keys do not end an experimenter pause
    lab.key("F12")


def after_cream(lab: Lab) -> None:
    """The two scheduled itch ratings (each after its waiting screen) and the debriefing."""
    lab.screen(screen_name("itch_post@t0+1s") + "-waiting")
    rating_by_typing(lab, "itch_post@t0+1s", answer("itch_post", "t0+1s"))
    rating_by_tap(lab, "itch_post@t0+2s", answer("itch_post", "t0+2s"))
    pages(lab, "debrief", 1)
