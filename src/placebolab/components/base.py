"""What every timeline step shares, and the small vocabulary of what a step type declares.

A step type is declared once, in its module of ``components/``, as a jsPsych plugin declares its ``info``:

- its parameters: the pydantic fields of its model (what a protocol may write under the step);
- the data it records: ``info`` (a :class:`StepInfo`): what each of its answers fills in ``long.csv``
  and the keys frontends add to its ``detail`` (``steps.csv``), each with its type and unit;
- its values: ``records()`` (the items the engine checks and stores);
- its measures: ``measures()`` (the names analysis plans, effects files and ``wide.csv`` use);
- how a simulated participant answers: ``simulate()``.

Frontends decide how a step looks (each has one table of screens by step type); components never import a
frontend. ``components/__init__.py`` derives the registry of step types from these declarations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from placebolab.components.catalogue import WordedError
from placebolab.errors import InternalError

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Role = Literal["symptom", "expectancy", "manipulation_check", "covariate"]

_SECONDS = {"s": 1, "sec": 1, "min": 60, "h": 3600}  # a duration's units (a pause, a video)
_SCHEDULE_SECONDS = {**_SECONDS, "d": 86_400, "w": 604_800}  # and days and weeks after a mark (follow-ups)
_DURATION = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-z]+)\s*$")
_AT = re.compile(r"^\s*(?P<mark>[A-Za-z][A-Za-z0-9_]*)\s*\+(?P<duration>.*)$")


def _units(table: dict[str, int]) -> str:
    """``'s, sec, min, h, d or w'``: the units a message names as allowed."""
    names = list(table)
    return f"{', '.join(names[:-1])} or {names[-1]}"


class PlacedValueError(ValueError):
    """A validator's ValueError that also says where, beneath the model, the mistake is: ``where`` is a
    path relative to the model (``("items", 1, "id")``), which the protocol loader appends to the model's
    own path so the message points at ``timeline[4].items[1].id`` rather than at the whole step."""

    def __init__(self, message: str, *where: str | int):
        super().__init__(message)
        self.where = where


class Model(BaseModel):
    """Base of every protocol model: unknown keys are errors (a misspelt key silently ignored loses a study)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True)


class _ShownAsWritten:
    """Marks a text field shown to participants exactly as written (a prompt, a label): not a jinja2 template,
    so template syntax in it would appear literally. Only a script's body, its speaker and a media file's name
    are templates; the protocol's checks refuse ``{{ … }}`` anywhere marked so (protocol/written_text.py)."""

    def __repr__(self) -> str:
        return "SHOWN_AS_WRITTEN"


SHOWN_AS_WRITTEN = _ShownAsWritten()
#: participant-facing text, shown as written (see :class:`_ShownAsWritten`)
ShownText = Annotated[str, SHOWN_AS_WRITTEN]


def parse_duration(text: str) -> float:
    """``'90s'``, ``'3min'``, ``'1.5h'`` → seconds."""
    return _seconds(str(text), _SECONDS, f"'{text}' is not a duration; write a number and a unit", "30s, 3min or 1h")


def _seconds(text: str, units: dict[str, int], problem: str, examples: str) -> float:
    """A number and one of ``units`` → seconds; else a ValueError: ``problem``, the units allowed, ``examples``."""
    match = _DURATION.match(text)
    if not match or match["unit"] not in units:
        raise ValueError(f"{problem} ({_units(units)}), e.g. {examples}")
    return float(match["n"]) * units[match["unit"]]


@dataclass(frozen=True)
class ScheduledTime:
    """A time relative to a mark: ``t0+3min`` → mark ``t0``, 180 seconds. ``label`` is the text as written."""

    mark: str
    seconds: float
    label: str

    @classmethod
    def parse(cls, text: str) -> ScheduledTime:
        """``'t0+3min'``, ``'t0+21d'``, ``'start+2w'``; a ValueError naming the units allowed."""
        problem = f"'{text}' is not a scheduled time; write a mark, a plus and a number with its unit"
        match = _AT.match(str(text))
        if not match:
            raise ValueError(f"{problem} ({_units(_SCHEDULE_SECONDS)}), e.g. t0+3min or t0+21d")
        seconds = _seconds(match["duration"], _SCHEDULE_SECONDS, problem, "t0+3min or t0+21d")
        amount = _DURATION.match(match["duration"])
        if amount is None:
            raise InternalError("a scheduled time that parsed has its amount (_seconds)")
        return cls(match["mark"], seconds, f"{match['mark']}+{amount['n']}{amount['unit']}")


@dataclass(frozen=True)
class Item:
    """One value a step records: a rating, one questionnaire item, or an acknowledgement."""

    id: str  # "" for a step's single value
    kind: Literal["number", "ack"]
    min: float | None = None
    max: float | None = None
    increment: float | None = None  # the scale's resolution: answers lie on min + k × increment (None: any value)
    label: str = ""
    na_code: float | None = None  # the stored value of a "does not apply" answer, when the scale offers one
    attention_expect: float | None = None  # an attention check's instructed answer (None: not a check)

    def check(self, value: Any) -> float | None:
        """The value as stored, or a WordedError (a ValueError) with a sentence a participant can act on."""
        if self.kind == "ack":
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise WordedError("answer.not_a_number", value=value) from None
        if self.na_code is not None and number == self.na_code:
            return number
        low, high = self.min, self.max
        if low is None or high is None:
            raise InternalError("a number item has a range")
        if not (low <= number <= high):
            raise WordedError("answer.outside", value=value, low=low, high=high)
        if self.increment:
            steps = (number - low) / self.increment
            if abs(steps - round(steps)) > 1e-9:
                raise WordedError("answer.off_scale", value=value, step=self.increment, low=low)
        return number


#: How a simulated participant answers: ``draw(measure, item)`` gives one value (simulation.model).
Draw = Callable[[str, Item], float]


def measure_name(step_id: str, item_id: str) -> str:
    """The data column of an item: ``itch_baseline`` for a rating, ``expectancy.improve`` for an item."""
    return f"{step_id}.{item_id}" if item_id else step_id


@dataclass(frozen=True)
class Datum:
    """One thing a step records: a column its answers fill in ``long.csv``, or a key of its ``detail``."""

    name: str
    type: str  # as JSON/CSV holds it: float, int, str, bool, list[float], object …
    unit: str  # s, ms, Hz, frames, "points of the step's scale" …; "" for none
    meaning: str


@dataclass(frozen=True)
class StepInfo:
    """What a step type records, beside its parameters (its pydantic fields): jsPsych's ``info.data``.

    ``answers``: what each answer the step records fills in ``long.csv`` (one row per answer; a step with
    none records only an acknowledgement, a row of ``steps.csv``). ``detail``: the keys a frontend adds to
    the step's ``detail`` in ``steps.csv`` beyond :data:`EVERY_STEP_DETAIL`, and which frontend adds them."""

    summary: str
    answers: tuple[Datum, ...] = ()
    detail: tuple[Datum, ...] = ()


#: what each answer fills in long.csv, for a step that records answers on a scale (rating, questionnaire)
SCALE_ANSWER = (
    Datum("value", "float", "points of the item's scale", "the answer as given (reverse keying only in scores)"),
    Datum("rt", "float", "s", "from the step's onset to the answer"),
    Datum("responded_at", "str", "ISO-8601 UTC", "when the answer was given"),
)

#: ``detail`` keys of every step: the engine's lateness and the lab window's frame log (frontend in brackets)
EVERY_STEP_DETAIL = (
    Datum("late_s", "float", "s", "[engine] a scheduled occasion: its onset minus its scheduled time"),
    Datum(
        "resumed",
        "object",
        "",
        "[engine] a step shown again after a stop: the onsets of its showings (shown_at: epoch s) and the items "
        "kept from before (kept); each rt runs from its own showing's onset",
    ),
    Datum("onset", "str", "", '[psychopy] "flip": shown_at is the flip that first showed the step'),
    Datum("refresh_hz", "float", "Hz", "[psychopy] the refresh frames are judged against"),
    Datum("refresh_source", "str", "", "[psychopy] measured, or assumed (no vsync)"),
    Datum("frames", "int", "frames", "[psychopy] frames the step was on screen"),
    Datum("dropped_frames", "int", "frames", "[psychopy] refreshes missed (an interval of k periods counts k − 1)"),
    Datum("frame_interval_ms", "object", "ms", "[psychopy] median, max and all intervals between two flips"),
    Datum("server_received_at", "float", "epoch s", "[web] when the server received the step's form"),
    Datum("client_onset_ms", "float", "ms", "[web] the page's first frame after it was painted (performance.now())"),
    Datum("client_rt_ms", "float", "ms", "[web] from that onset to Continue, by the browser's clock"),
    Datum("client_hidden_count", "int", "count", "[web] times the page was hidden (tab switched away) after onset"),
    Datum("client_hidden_ms", "float", "ms", "[web] how long it was hidden in all, between onset and Continue"),
    Datum("client_window", "list[int]", "CSS px", "[web] the window's inner width and height at Continue"),
    Datum("client_pixel_ratio", "float", "", "[web] devicePixelRatio: device pixels per CSS pixel"),
    Datum("client_refresh_hz", "float", "Hz", "[web] the display's refresh, estimated from animation frames"),
    Datum("client_user_agent", "str", "", "[web] the browser's user agent (at most 300 characters)"),
    Datum("honeypot", "bool", "", "[web] true: the page's hidden honeypot field was filled (a bot?); else absent"),
)

PAGE_RT = Datum("page_rt_s", "list[float]", "s", "[psychopy] from the onset to each page turn or Continue")
#: ``detail`` keys of the steps answered on scales (rating, questionnaire)
ANSWER_DETAIL = (
    PAGE_RT,
    Datum("changes", "object", "count", "[psychopy, web] item id → times the answer was set (1: answered once)"),
    Datum("client_answer_ms", "object", "ms", "[web] item id → from the onset to the answer's last setting"),
    Datum(
        "client_restored",
        "list[str]",
        "",
        "[web] items the page filled in from the browser's copy of an earlier showing (a Continue that never "
        "reached the server, a reload) and not set again: no client_answer_ms or changes; else absent",
    ),
)


@dataclass(frozen=True)
class Measure:
    """A value a step yields for analysis: a rating, a questionnaire item or a questionnaire score."""

    name: str
    step: StepBase
    kind: Literal["rating", "item", "score"]
    item: str = ""  # item id (kind item) or score name (kind score)
    min: float | None = None
    max: float | None = None
    label: str = ""
    na_code: float | None = None  # an item's stored "does not apply" answer: exported as missing
    measurement: str = "continuous"  # continuous | ordinal | binary: how an outcome on it is analysed
    labels: tuple[str, ...] = ()  # a Likert scale's labels, lowest (stored as 1) first
    not_applicable: str | None = None  # the label of its "does not apply" answer (stored as ``na_code``)

    @property
    def role(self) -> Role | None:
        return self.step.role

    @property
    def occasion_labels(self) -> list[str]:
        return [t.label for t in self.step.occasions if t is not None]

    def column(self, occasion: str | None) -> str:
        return f"{self.name}@{occasion}" if occasion else self.name


@dataclass(frozen=True)
class Template:
    """A jinja2 template a step holds (a script's body or speaker, a media file's name), for the checks."""

    key: str  # the step's field holding it: source, template or speaker
    what: str  # how a message names it: "'clinician.md.j2'", "the speaker" …
    text: str
    media: bool = False  # a file name (rendered from the cell alone), not text shown


class AttentionCheck(Model):
    """An instructed-response item ("for this question, choose 2"): answers other than ``expect`` are
    flagged in the export (``attention_passed``), never excluded; the item is no measure and in no score."""

    expect: float = Field(description="The answer the item instructs, a value on its scale, e.g. 2.")


def check_attention(check: AttentionCheck | None, scale: Any, *where: str | int) -> None:
    """A PlacedValueError unless an attention check's expected answer is a value its ``scale`` offers."""
    if check is None:
        return
    low, high, step = scale.min, scale.max, scale.step
    on_scale = low <= check.expect <= high and (
        not step or abs((check.expect - low) / step - round((check.expect - low) / step)) < 1e-9
    )
    if not on_scale:
        raise PlacedValueError(
            f"attention_check expects {check.expect:g}, which the scale ({low:g}–{high:g}"
            + (f" in steps of {step:g}" if step else "")
            + ") does not offer; give an answer on the scale",
            *where,
            "attention_check",
            "expect",
        )


class StepBase(Model):
    """Fields every step accepts."""

    if TYPE_CHECKING:  # each step type declares its own ``type: Literal[...]``, the timeline's discriminator
        type: str
    id: str = Field(pattern=ID_PATTERN, description="Unique step id; names the step's data columns.")
    title: ShownText | None = Field(None, description="Short heading shown above the step.")
    role: Role | None = Field(None, description="What the analysis treats this step's data as.")
    at: list[str] | None = Field(
        None,
        description="Scheduled occasions after a mark, e.g. [t0+3min, t0+9min] or [t0+1w, t0+21d] (units s, sec, "
        "min, h, d, w); the step runs once at each.",
    )
    mark: str | None = Field(
        None, pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="Name a time mark set when this step ends."
    )
    cells: list[str] | None = Field(None, description="Show the step only to these cells (default: all).")

    @field_validator("at", mode="before", json_schema_input_type=str | list[str] | None)
    @classmethod
    def _one_time_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("at")
    @classmethod
    def _times_parse(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return value
        seen: dict[tuple[str, float], int] = {}
        for index, text in enumerate(value):
            try:
                when = ScheduledTime.parse(text)
            except ValueError as exc:
                raise PlacedValueError(str(exc), index) from None
            if (when.mark, when.seconds) in seen:
                first = seen[(when.mark, when.seconds)]
                raise PlacedValueError(
                    f"{when.label} is the time of at[{first}] ({value[first]}); give each occasion once", index
                )
            seen[(when.mark, when.seconds)] = index
        return value

    @property
    def occasions(self) -> list[ScheduledTime | None]:
        return [ScheduledTime.parse(t) for t in self.at] if self.at else [None]

    #: what the step records (its answers' long.csv columns, its detail keys); every step type sets its own
    info: ClassVar[StepInfo]
    #: whether an answer to this step type may decline to go on (consent): see ``declines``
    may_decline: ClassVar[bool] = False
    #: "image", "audio" or "video" for a step that shows a stimulus file of that kind (components.media)
    media_kind: ClassVar[Literal["image", "audio", "video"] | None] = None

    @classmethod
    def detail_keys(cls) -> frozenset[str]:
        """Every key a frontend or the engine may store in this step type's ``detail``."""
        return frozenset(d.name for d in (*EVERY_STEP_DETAIL, *cls.info.detail))

    def sources(self) -> list[str]:
        """Stimulus files this step reads, relative to the protocol's stimuli folder."""
        return []

    def templates(self, files: dict[str, str]) -> list[Template]:
        """The jinja2 templates this step holds (``files``: the stimulus files read, path → text)."""
        return []

    def render(self, files: dict[str, str], context: dict[str, Any]) -> list[str]:
        """The pages of markdown the step shows (a text or script step), rendered with ``context``."""
        return []

    def render_speaker(self, context: dict[str, Any]) -> str | None:
        """Who speaks, shown above the pages (a script step)."""
        return None

    def fixed_seconds(self) -> float | None:
        """How long the step lasts by itself (a timed pause, an image with a duration); None: not set."""
        return None

    def lasts(self) -> str | None:
        """How long the step lasts, in words, where the step sets it ("lasts 2min"); None: until answered."""
        return None

    def measures(self) -> list[Measure]:
        """The measures the step yields (none for a step that records only an acknowledgement)."""
        return []

    def declines(self, values: dict[str, Any]) -> bool:
        """Whether these answers (as stored, item id → value) decline to go on: the session ends with this
        step (a consent declined). Only a type with ``may_decline`` ever returns True."""
        return False

    def stored_detail(self, files: dict[str, str]) -> dict[str, Any]:
        """``detail`` keys the engine stores with every answer to this step, whichever frontend showed it
        (a consent text's SHA-256); ``files``: the protocol's frozen stimulus files."""
        return {}

    def records(self) -> list[Item]:
        """What the step records; a step that records nothing stores an acknowledgement."""
        return [Item("", "ack")]

    @cached_property
    def recorded(self) -> tuple[Item, ...]:
        """``records()``, built once per step rather than at every answer: it depends only on the step's
        fields, and a step is frozen (pydantic keeps a cached property out of fields, equality and dumps).
        ``model_copy(update=…)`` would carry it over stale: a changed step is validated anew, never copied so."""
        return tuple(self.records())

    @cached_property
    def asked(self) -> int:
        """How many answers the step asks for: its recorded items but acknowledgements (0: a page, a pause)."""
        return sum(item.kind != "ack" for item in self.recorded)

    def simulate(self, draw: Draw) -> dict[str, float | None]:
        """A simulated participant's answers, item id → value; ``draw(measure, item)`` gives one value."""
        return {
            item.id: None if item.kind == "ack" else draw(measure_name(self.id, item.id), item)
            for item in self.recorded
        }
