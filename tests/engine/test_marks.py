"""A scheduled step whose mark was never set in the participant's cell stops the session with a SessionError
(validate refuses such a protocol; this is the engine's own guard), never a KeyError mid-session."""

from __future__ import annotations

import pytest

from placebolab.errors import SessionError
from placebolab.simulation.model import EffectsModel
from placebolab.simulation.run import simulate_study


def _mark_only_in(study, cells: list[str]) -> None:
    """Show the step that sets t0 (the cream) only to ``cells``, bypassing validate (as an old frozen study might)."""
    timeline = [
        step.model_copy(update={"cells": cells}) if step.mark == "t0" else step for step in study.protocol.timeline
    ]
    study.protocol = study.protocol.model_copy(update={"timeline": timeline})


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_simulating_a_cell_without_the_mark_raises_a_session_error_not_a_key_error(flagship_study):
    _mark_only_in(flagship_study, ["no-such-cell"])
    with pytest.raises(SessionError) as caught:
        simulate_study(flagship_study, 1, EffectsModel(), seed=3)
    message = str(caught.value)
    assert "itch_post@t0+3min is timed from mark 't0'" in message and "SIM0001" in message
    participant = flagship_study.store.participant("SIM0001")
    assert participant.status != "completed"
    answered = flagship_study.store.completed_steps("SIM0001")
    assert "check" in answered  # everything before the scheduled step was stored
