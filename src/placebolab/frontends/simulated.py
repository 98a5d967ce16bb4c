"""Simulated participants as a frontend: the same timeline, answered by a model, on a virtual clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from placebolab.components import PauseStep
from placebolab.components.media import IMAGE_VIEW_SECONDS
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

    def wait(self, current: Current) -> None:
        assert current.not_before is not None, "drive waits only for a scheduled step"
        self.clock.sleep_until(current.not_before)

    def show(self, current: Current) -> Response:
        shown_at = self.clock.now()
        step = current.step
        values = step.simulate(self.participant.draw)
        self.clock.advance(self._time_taken(current))
        return Response({k: v for k, v in values.items() if v is not None}, shown_at)

    def _time_taken(self, current: Current) -> float:
        step = current.step
        if current.media is not None:  # watching takes as long as the recording
            return current.media.duration if current.media.duration is not None else IMAGE_VIEW_SECONDS
        if isinstance(step, PauseStep):
            return step.seconds if step.seconds is not None else EXPERIMENTER_PAUSE_SECONDS
        if current.pages:
            return READING_SECONDS_PER_PAGE * len(current.pages) * self.rng.lognormal(0, 0.3)
        n_items = sum(1 for item in current.occurrence.items if item.kind != "ack")
        return n_items * self.participant.model.rt_seconds * self.rng.lognormal(0, 0.4)
