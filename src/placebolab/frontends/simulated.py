"""Simulated participants as a frontend: the same timeline, answered by a model, on a virtual clock."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from placebolab.components.media import IMAGE_VIEW_SECONDS
from placebolab.errors import InternalError
from placebolab.frontends.base import Response
from placebolab.session import Current, VirtualClock

if TYPE_CHECKING:  # only named: simulation sits above the frontends and hands its participants in
    from placebolab.simulation.model import SimulatedParticipant

READING_SECONDS_PER_PAGE = 20.0
EXPERIMENTER_PAUSE_SECONDS = 90.0


class SimulatedFrontend:
    name = "simulated"

    def __init__(self, participant: SimulatedParticipant, rng: np.random.Generator, clock: VirtualClock):
        self.participant, self.rng, self.clock = participant, rng, clock

    @staticmethod
    def refuse_unshowable(protocol) -> None:
        """Nothing to refuse: a simulated participant answers every step type."""

    def use_language(self, language: str) -> None:
        """Nothing to say: a simulated participant reads no screen."""

    def ask_intake(self, fields, given: dict, participant: str) -> dict:
        """The model answers the fields not ``given``."""
        return {**self.participant.intake_of(field for field in fields if field.id not in given), **given}

    def open(self, *, pilot: bool = False) -> None:
        """Nothing to open."""

    def close(self) -> None:
        """Nothing to close."""

    def wait(self, current: Current) -> None:
        if current.not_before is None:
            raise InternalError("drive waits only for a scheduled step")
        self.clock.sleep_until(current.not_before)

    def show(self, current: Current) -> Response:
        shown_at = self.clock.now()
        step = current.step
        values = step.simulate(self.participant.draw)
        self.clock.advance(self._time_taken(current))
        return Response({k: v for k, v in values.items() if v is not None}, shown_at)

    def _time_taken(self, current: Current) -> float:
        return SCREENS[current.step.type](self, current)

    def _reading(self, current: Current) -> float:
        return READING_SECONDS_PER_PAGE * len(current.pages) * self._lognormal(0.3)

    def _answering(self, current: Current) -> float:
        return current.step.asked * self.participant.model.rt_seconds * self._lognormal(0.4)

    def _lognormal(self, sigma: float) -> float:
        """``rng.lognormal(0, sigma)``, the same number from the same draw: numpy computes exp(0 + sigma · z) from
        one standard normal z, but first turns its arguments into arrays to check them (most of its time)."""
        return math.exp(sigma * self.rng.standard_normal())

    def _waiting(self, current: Current) -> float:
        seconds = current.step.fixed_seconds()
        return seconds if seconds is not None else EXPERIMENTER_PAUSE_SECONDS

    def _watching(self, current: Current) -> float:  # as long as the recording
        if current.media is None:
            raise InternalError("a media step comes with its file (Session._media)")
        return current.media.duration if current.media.duration is not None else IMAGE_VIEW_SECONDS


#: how long a simulated participant spends on each step type (the answers are the step's ``simulate``):
#: ``time_taken(frontend, current) → seconds`` on the virtual clock
SCREENS = {
    "text": SimulatedFrontend._reading,
    "script": SimulatedFrontend._reading,
    "rating": SimulatedFrontend._answering,
    "questionnaire": SimulatedFrontend._answering,
    "pause": SimulatedFrontend._waiting,
    "image": SimulatedFrontend._watching,
    "audio": SimulatedFrontend._watching,
    "video": SimulatedFrontend._watching,
    "consent": SimulatedFrontend._reading,  # reads the consent text, then agrees (ConsentStep.simulate)
}
