"""Run a whole simulated study: n participants through the real engine and store, marked as simulated."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from placebolab.errors import AlreadyEnrolled
from placebolab.frontends.base import drive
from placebolab.frontends.simulated import SimulatedFrontend
from placebolab.protocol.measures import measures
from placebolab.session import Session, VirtualClock
from placebolab.simulation.model import EffectsModel, SimulatedParticipant

#: Simulated participants are SIM0001, SIM0002 … (more digits beyond 9999).
_SIMULATED_ID = re.compile(r"SIM(\d+)")


def simulate_study(
    study, n: int, model: EffectsModel, seed: int, on_participant: Callable[[str], None] | None = None
) -> list[str]:
    """Enrol and run ``n`` simulated participants; return their IDs. Reproducible for a seed.

    IDs follow the highest SIM number in the study; several simulations may run into one study at once
    (each takes the next free ID when another took its own a moment before)."""
    last = _highest_simulated(study.store)
    known = measures(study.protocol)  # once, not per participant
    ids = []
    for child in np.random.SeedSequence(seed).spawn(n):
        rng = np.random.default_rng(child)
        clock = VirtualClock()
        intake = SimulatedParticipant(model, study.protocol, "", rng, known).intake(study.protocol)
        session, last = _enrol(study, intake, clock, last + 1)
        answers = SimulatedParticipant(model, study.protocol, session.participant.cell, rng, known)
        drive(session, SimulatedFrontend(answers, rng, clock))
        ids.append(session.participant.id)
        if on_participant:
            on_participant(session.participant.id)
    return ids


def _enrol(study, intake: dict, clock, number: int) -> tuple[Session, int]:
    """Enrol as SIM<number>, or the next free number: the store refuses a taken ID atomically, storing nothing."""
    while True:
        try:
            session = Session.start(study, f"SIM{number:04d}", intake, "simulated", clock, simulated=True)
            return session, number
        except AlreadyEnrolled:
            number = max(number, _highest_simulated(study.store)) + 1


def _highest_simulated(store) -> int:
    """The highest SIM number of any participant, simulated or not (a real one may be called SIM0007)."""
    numbers = (_SIMULATED_ID.fullmatch(p.id) for p in store.participants())
    return max((int(m[1]) for m in numbers if m), default=0)
