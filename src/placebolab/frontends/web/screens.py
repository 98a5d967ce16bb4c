"""How a browser shows each step type: the web frontend's ``SCREENS`` table.

Each entry turns the engine's ``Current`` into a :class:`Screen`: the template (templates/, shipped in the
package) and what it shows. Everything from the protocol is escaped by the templates (autoescape); only
markdown pages become HTML, rendered by markdown-it with raw HTML off, so a stimulus cannot inject markup.
This module needs no web server (``placebolab validate --frontend web`` imports it without the web extra).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from markupsafe import Markup

from placebolab.components import ConsentStep, PauseStep, QuestionnaireStep, RatingStep
from placebolab.components.base import Item
from placebolab.components.catalogue import Words
from placebolab.components.consent import AGREED, DECLINED
from placebolab.components.scales import not_applicable_label
from placebolab.errors import InternalError
from placebolab.frontends.base import Unsupported
from placebolab.session import Current

T = TypeVar("T")

#: the honeypot's form field: hidden from people (style.css .hp), a name bots like to fill
HONEYPOT = "website"

NO_EXPERIMENTER = Unsupported(
    "an online session has no experimenter to end the pause; give it a duration (until: duration, duration: 2min) "
    "or run the study in the lab",
    applies=lambda step: getattr(step, "until", None) == "experimenter",
)


@dataclass(frozen=True)
class Screen:
    """One step as a page: ``template`` with ``context``. ``hold``: seconds from onset before the Continue
    button appears (the page reloads then: a timed pause, a timed picture); ``minimum``: seconds from onset
    before an answer is accepted (a sound or film is heard or seen to its end); ``plays``: a sound or film
    that the page script reports played to its end (with JavaScript on, Continue needs its ``ended``)."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    hold: float | None = None
    minimum: float | None = None
    plays: bool = False
    #: a screen whose form is not one field per item (consent): what is missing from the form (None: nothing),
    #: the values it gives, and what it adds to the step's detail; None: the generic reading (``answers``)
    problem: Callable[[Any], Words | None] | None = None
    values: Callable[[Any], dict[str, Any]] | None = None
    detail: Callable[[Any], dict[str, Any]] | None = None


#: the most points a numeric scale shows as a row of buttons; a longer one is a slider showing the number chosen
#: (an NRS of 0–100 was 101 buttons: a page 5,760 px wide on a desktop, 7,000 px tall on a phone), as the lab
#: window marks each point of an NRS of at most 10 steps only (psychopy/screens.py, scale_ticks)
BUTTONS_AT_MOST = 11


@dataclass(frozen=True)
class Slider:
    """A question answered on a line: a VAS (any value, no number shown) or a numeric scale too long for buttons
    (its points: ``step``, and the number chosen shown above it: ``readout``). ``na``: the scale's "does not
    apply" answer, offered as a box to tick: (its form field, its label), or None."""

    low: str
    high: str
    step: str  # "any": a VAS
    readout: bool
    na: tuple[str, str] | None = None

    @property
    def inputmode(self) -> str:
        """The keyboard a phone shows for typing the answer (without JavaScript): digits alone for whole numbers."""
        return "numeric" if self.step != "any" and float(self.step).is_integer() else "decimal"


@dataclass(frozen=True)
class Question:
    """A question as a form shows it: radio ``options`` (value, label), or a ``slider`` (``options`` empty)."""

    name: str  # the form field
    prompt: str
    item: Item
    options: list[tuple[str, str]]
    anchors: tuple[str, str] | None
    slider: Slider | None = None
    na_value: str | None = None  # the option that is "does not apply": shown by its label alone, its code is no point


def field_name(item: Item) -> str:
    return f"item-{item.id}"


def na_field(item: Item) -> str:
    """The box a slider's "does not apply" answer is ticked in."""
    return f"na-{item.id}"


def question(prompt: str, item: Item, scale) -> Question:
    anchors = cast(tuple[str, str] | None, tuple(scale.anchors) if scale.anchors else None)
    not_applicable = not_applicable_label(item, scale)
    points = scale.points  # None: a VAS
    if points is None or (scale.type == "nrs" and points > BUTTONS_AT_MOST):
        step = "any" if points is None else f"{scale.step:g}"
        na = (na_field(item), not_applicable) if not_applicable is not None else None
        slider = Slider(f"{scale.min:g}", f"{scale.max:g}", step, readout=points is not None, na=na)
        return Question(field_name(item), prompt, item, [], anchors, slider)
    values = [scale.min + k * scale.step for k in range(points)]
    labels = list(scale.labels) if scale.labels else [""] * points
    if anchors and not scale.labels:
        labels[0], labels[-1] = anchors
    options = [(f"{value:g}", label) for value, label in zip(values, labels, strict=True)]
    na_value = f"{item.na_code:g}" if not_applicable is not None else None
    if na_value is not None:
        options.append((na_value, not_applicable))
    return Question(field_name(item), prompt, item, options, None, na_value=na_value)


@functools.lru_cache(maxsize=1024)
def markdown(text: str) -> Markup:
    """A page's HTML, kept for the texts shown most (every participant of a cell reads the same pages, and the
    POST of a page renders them again; building the parser and rendering was a quarter of a request's time)."""
    return Markup(markdown_parser().render(text))  # noqa: S704 - escaped by markdown-it


@functools.cache
def markdown_parser():
    from markdown_it import MarkdownIt

    # commonmark with html off: raw HTML in a stimulus shows as text instead of becoming markup
    return MarkdownIt("commonmark", {"html": False})


def _pages(current: Current) -> Screen:
    return Screen("pages.html.j2", {"pages": [markdown(page) for page in current.pages], "speaker": current.speaker})


def _rating(current: Current) -> Screen:
    step = cast(RatingStep, current.step)  # SCREENS chose this screen by the step's type
    return Screen("questions.html.j2", {"questions": [question(step.prompt, step.records()[0], step.effective_scale)]})


def _questionnaire(current: Current) -> Screen:
    step = cast(QuestionnaireStep, current.step)
    questions = [
        question(item.text, record, step.item_scale(item))
        for item, record in zip(step.items, step.records(), strict=True)
    ]
    return Screen("questions.html.j2", {"prompt": step.prompt, "questions": questions})


@dataclass(frozen=True)
class Statement:
    name: str  # the checkbox's form field
    id: str
    text: str


def statement_field(statement_id: str) -> str:
    return f"statement-{statement_id}"


def _consent(current: Current) -> Screen:
    step = cast(ConsentStep, current.step)  # SCREENS chose this screen by the step's type
    statements = [Statement(statement_field(s.id), s.id, s.text) for s in step.statements]
    context = {
        "text": markdown(current.pages[0]),
        "statements": statements,
        "agree": step.agree,  # None: the catalogue's (the template's t("consent.agree"))
        "decline": step.decline,
    }

    def problem(form: Any) -> Words | None:
        choice = form.get("consent")
        if choice == "decline":
            return None
        if choice != "agree":
            return Words("web.consent_choose")
        if any(not form.get(s.name) for s in statements):
            return Words("web.consent_tick_every", {"decline": step.decline or Words("consent.decline")})
        return None

    def values(form: Any) -> dict[str, Any]:  # ``problem`` has checked the form
        return {"": AGREED if form.get("consent") == "agree" else DECLINED}

    def detail(form: Any) -> dict[str, Any]:
        return {"consent_checked": [s.id for s in statements if form.get(s.name)]}

    return Screen("consent.html.j2", context, problem=problem, values=values, detail=detail)


def _pause(current: Current) -> Screen:
    step = cast(PauseStep, current.step)
    return Screen("pause.html.j2", {"text": step.text}, hold=step.seconds, minimum=step.seconds)


def _media(current: Current) -> Screen:
    media = current.media
    if media is None:
        raise InternalError("a media step's file is resolved by the engine")
    context = {"kind": media.kind, "prompt": getattr(current.step, "prompt", None)}
    if media.kind == "image":  # a timed picture shows for its duration, then the Continue button appears
        return Screen("media.html.j2", context, hold=media.duration, minimum=media.duration)
    # played to its end: the page script unlocks Continue at the player's `ended` (seeking forward undone) and
    # the server wants that report; without JavaScript, it refuses an answer before the recording's length
    return Screen("media.html.j2", context, minimum=media.duration, plays=True)


#: how a browser shows each step type: ``screen(current) → Screen``
SCREENS: dict[str, Callable[[Current], Screen] | Unsupported] = {
    "text": _pages,
    "script": _pages,
    "rating": _rating,
    "questionnaire": _questionnaire,
    "pause": NO_EXPERIMENTER,
    "image": _media,
    "audio": _media,
    "video": _media,
    "consent": _consent,
}

#: the timed pause's screen, for the steps NO_EXPERIMENTER lets through
PAUSE = _pause

#: the step types whose screen is made from the step alone (the frozen protocol), never from the participant's
#: rendering of it (pages, media): the same for everyone, so a server may keep it (``fixed_screen``)
FIXED = frozenset({"rating", "questionnaire", "pause"})


def screen_for(current: Current) -> Screen:
    entry = SCREENS[current.step.type]
    if isinstance(entry, Unsupported):
        if entry.refuses(current.step):
            raise InternalError("refused before anyone was enrolled (refuse_unshowable)")
        return PAUSE(current)
    return entry(current)


def fixed_screen(current: Current, kept: dict[int, tuple[Any, Screen]]) -> Screen:
    """``screen_for``, kept in ``kept`` for a step whose screen depends on the step alone (``FIXED``): every
    participant's page of a questionnaire is built from the same questions, so they are built once."""
    if current.step.type not in FIXED:
        return screen_for(current)
    return kept_for(kept, current.step, lambda: screen_for(current))


def kept_for(kept: dict[int, tuple[Any, T]], thing: Any, make: Callable[[], T]) -> T:
    """``make()`` for ``thing``, made once and kept in ``kept``: by identity (a frozen step, a question of its
    screen: neither hashable nor changing), ``thing`` kept with it so that its id stays its own."""
    found = kept.get(id(thing))
    if found is None or found[0] is not thing:
        found = kept[id(thing)] = (thing, make())
    return found[1]


def form_problem(screen: Screen, form: Any) -> Words | None:
    """What the participant must do before the form can be taken (a consent: tick every statement to agree),
    in no language yet (the app says it in the protocol's)."""
    return screen.problem(form) if screen.problem else None


def form_detail(screen: Screen, form: Any) -> dict[str, Any]:
    """What the form tells beside the answers: the screen's own (statements ticked), the honeypot when filled."""
    found = screen.detail(form) if screen.detail else {}
    if str(form.get(HONEYPOT) or "").strip():
        found["honeypot"] = True
    return found


def form_values(screen: Screen, current: Current, form: Any) -> dict[str, Any]:
    """The answers the form gives: the screen's own reading, else one field per item (``answers``)."""
    return screen.values(form) if screen.values else answers(current, form)


def answers(current: Current, form: Any) -> dict[str, Any]:
    """The values the form holds for the step's items (a missing one is left out: the engine asks for it); a
    slider's "does not apply" box, ticked, is its answer."""
    found = {}
    for item in current.step.records():
        if item.kind != "number":
            continue
        if item.na_code is not None and form.get(na_field(item)):
            found[item.id] = f"{item.na_code:g}"
        elif form.get(field_name(item)) not in (None, ""):
            found[item.id] = form[field_name(item)]
    return found
