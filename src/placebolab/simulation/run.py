"""Run a whole simulated study: n participants through the real engine and store, marked as simulated."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from placebolab.frontends.base import drive
from placebolab.frontends.simulated import SimulatedFrontend
from placebolab.session import Session, VirtualClock
from placebolab.simulation.model import EffectsModel, SimulatedParticipant


def simulate_study(
    study, n: int, model: EffectsModel, seed: int, on_participant: Callable[[str], None] | None = None
) -> list[str]:
    """Enrol and run ``n`` simulated participants; return their IDs. Reproducible for a seed."""
    first = 1 + sum(1 for p in study.store.participants() if p.simulated)
    ids = []
    for offset, child in enumerate(np.random.SeedSequence(seed).spawn(n)):
        rng = np.random.default_rng(child)
        participant_id = f"SIM{first + offset:04d}"
        clock = VirtualClock()
        intake = SimulatedParticipant(model, study.protocol, "", rng).intake(study.protocol)
        session = Session.start(study, participant_id, intake, "simulated", clock, simulated=True)
        answers = SimulatedParticipant(model, study.protocol, session.participant.cell, rng)
        drive(session, SimulatedFrontend(answers, rng, clock))
        ids.append(participant_id)
        if on_participant:
            on_participant(participant_id)
    return ids
