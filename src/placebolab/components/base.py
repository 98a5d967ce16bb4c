"""What every timeline step shares, and the small vocabulary of what a step records.

A component declares what it takes (its pydantic fields) and what it records (``records()``), and can
answer for a simulated participant (``simulate()``), as jsPsych plugins declare ``info.parameters`` and
``info.data``. Frontends decide how a step looks; components never import a frontend.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Role = Literal["symptom", "expectancy", "manipulation_check", "covariate"]

_AT = re.compile(r"^\s*(?P<mark>[A-Za-z][A-Za-z0-9_]*)\s*\+\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>s|sec|min|h)\s*$")
_DURATION = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>s|sec|min|h)\s*$")
_SECONDS = {"s": 1, "sec": 1, "min": 60, "h": 3600}


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


def parse_duration(text: str) -> float:
    """``'90s'``, ``'3min'``, ``'1.5h'`` → seconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a duration; write a number and a unit, e.g. 30s, 3min or 1h")
    return float(match["n"]) * _SECONDS[match["unit"]]


@dataclass(frozen=True)
class ScheduledTime:
    """A time relative to a mark: ``t0+3min`` → mark ``t0``, 180 seconds. ``label`` is the text as written."""

    mark: str
    seconds: float
    label: str

    @classmethod
    def parse(cls, text: str) -> ScheduledTime:
        match = _AT.match(str(text))
        if not match:
            raise ValueError(f"'{text}' is not a scheduled time; write a mark, a plus and a duration, e.g. t0+3min")
        seconds = float(match["n"]) * _SECONDS[match["unit"]]
        return cls(match["mark"], seconds, f"{match['mark']}+{match['n']}{match['unit']}")


@dataclass(frozen=True)
class Item:
    """One value a step records: a rating, one questionnaire item, or an acknowledgement."""

    id: str  # "" for a step's single value
    kind: Literal["number", "ack"]
    min: float | None = None
    max: float | None = None
    step: float | None = None
    label: str = ""
    na_code: float | None = None  # the stored value of a "does not apply" answer, when the scale offers one

    def check(self, value: Any) -> float | None:
        """The value as stored, or ValueError with a sentence a participant's experimenter can act on."""
        if self.kind == "ack":
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"'{value}' is not a number") from None
        if self.na_code is not None and number == self.na_code:
            return number
        low, high = self.min, self.max
        assert low is not None and high is not None, "a number item has a range"
        if not (low <= number <= high):
            raise ValueError(f"{value} is outside {low:g}–{high:g}")
        if self.step:
            steps = (number - low) / self.step
            if abs(steps - round(steps)) > 1e-9:
                raise ValueError(f"{value} is not on the scale (steps of {self.step:g} from {low:g})")
        return number


#: How a simulated participant answers: ``draw(measure, item)`` gives one value (simulation.model).
Draw = Callable[[str, Item], float]


def measure_name(step_id: str, item_id: str) -> str:
    """The data column of an item: ``itch_baseline`` for a rating, ``expectancy.improve`` for an item."""
    return f"{step_id}.{item_id}" if item_id else step_id


class StepBase(Model):
    """Fields every step accepts."""

    id: str = Field(pattern=ID_PATTERN, description="Unique step id; names the step's data columns.")
    title: str | None = Field(None, description="Short heading shown above the step.")
    role: Role | None = Field(None, description="What the analysis treats this step's data as.")
    at: list[str] | None = Field(
        None, description="Scheduled occasions, e.g. [t0+3min, t0+9min]; the step runs once at each."
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

    def sources(self) -> list[str]:
        """Stimulus files this step reads, relative to the protocol's stimuli folder."""
        return []

    def records(self) -> list[Item]:
        """What the step records; a step that records nothing stores an acknowledgement."""
        return [Item("", "ack")]

    def simulate(self, draw: Draw) -> dict[str, float | None]:
        """A simulated participant's answers, item id → value; ``draw(measure, item)`` gives one value."""
        return {
            item.id: None if item.kind == "ack" else draw(measure_name(self.id, item.id), item)
            for item in self.records()
        }
