"""A pause: the experimenter does something (applies the cream) and continues, or time passes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from placebolab.components.base import Datum, PlacedValueError, ShownText, StepBase, StepInfo, parse_duration


class PauseStep(StepBase):
    info = StepInfo(
        "A pause: text shown until the experimenter's key, or for a duration.",
        detail=(Datum("experimenter_key", "str", "", "[psychopy] the key that ended an experimenter pause"),),
    )
    type: Literal["pause"]
    text: ShownText = Field(description="What the participant sees meanwhile.")
    until: Literal["experimenter", "duration"] = Field(
        "experimenter", description="experimenter: wait for the experimenter's key; duration: wait `duration`."
    )
    duration: str | None = Field(None, description="How long, e.g. 30s or 2min (with until: duration).")
    experimenter_key: str = Field("F12", description="The key only the experimenter presses to continue.")

    @field_validator("duration")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _duration_implies_until(cls, data: Any) -> Any:
        if isinstance(data, dict) and "duration" in data and "until" not in data:
            data = {**data, "until": "duration"}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> PauseStep:
        if self.until == "duration" and self.duration is None:
            raise PlacedValueError("a pause with until: duration needs `duration`, e.g. duration: 2min", "until")
        if self.until == "experimenter" and self.duration is not None:
            raise PlacedValueError(
                "`duration` goes with until: duration; an experimenter pause waits for a key", "duration"
            )
        return self

    @property
    def seconds(self) -> float | None:
        return parse_duration(self.duration) if self.duration else None

    def fixed_seconds(self) -> float | None:
        return self.seconds

    def lasts(self) -> str | None:
        return f"lasts {self.duration}" if self.until == "duration" else "until the experimenter continues"
