"""A small protocol whose level names, cell ids and arm are strings found nowhere else, and helpers to
run participants with IDs and intake of our choosing (the export tests of blinding, atomicity and CSV safety)."""

from __future__ import annotations

import textwrap

import numpy as np

from placebolab.frontends.base import drive
from placebolab.frontends.simulated import SimulatedFrontend
from placebolab.session import Session, VirtualClock
from placebolab.simulation.model import SimulatedParticipant, load_effects
from placebolab.study import Study

#: Every factor level and the arm: distinctive, so a byte scan finding one is a real leak.
LEVELS = {"warmth": ["qzwarmlevel", "qzcoollevel"], "competence": ["qzhighlevel", "qzlowlevel"]}
ARM = "qzwaitarm"
SECRET_NAMES = (*LEVELS["warmth"], *LEVELS["competence"], ARM)

PROBE = textwrap.dedent(
    f"""\
    protocol: export-probe
    version: "0.1"
    title: A probe of exports
    factors:
      warmth: {{levels: [{", ".join(LEVELS["warmth"])}], description: emotional component}}
      competence: {{levels: [{", ".join(LEVELS["competence"])}], description: cognitive component}}
    arms:
      {ARM}: {{description: waits without any interaction, levels: {{warmth: qzcoollevel}}}}
    allocation: {{scheme: complete, target_n: 40}}
    intake:
      - {{id: age, type: integer, min: 18, max: 80}}
      - {{id: change, type: number, min: -10, max: 10, label: Change in itch since yesterday}}
      - {{id: remark, type: text, label: "- anything to note?"}}
    timeline:
      - {{id: hello, type: text, text: Welcome.}}
      - {{id: pain_before, type: rating, prompt: Pain now?, scale: vas-0-100, role: symptom}}
      - id: talk
        type: script
        cells: [qzwarmlevel/qzhighlevel, qzwarmlevel/qzlowlevel, qzcoollevel/qzhighlevel, qzcoollevel/qzlowlevel]
        template: "The doctor ({{{{ warmth }}}}, {{{{ competence }}}}): this will help."
      - {{id: caring, type: rating, prompt: How caring was the doctor?, scale: nrs-0-10, role: manipulation_check}}
      - {{id: rest, type: pause, text: Please rest., duration: 30s, mark: t0}}
      - {{id: pain_after, type: rating, prompt: Pain now?, scale: vas-0-100, at: [t0+1min, t0+2min], role: symptom}}
    analysis:
      primary: {{outcome: pain_after, baseline: pain_before}}
      manipulation_checks: [{{measure: caring, factor: warmth}}]
    """
)


def probe_study(folder) -> Study:
    path = folder / "probe.yaml"
    path.write_text(PROBE)
    return Study.init(path, folder / "study", seed=7)


def run_participant(study: Study, participant_id: str, seed: int, **intake) -> None:
    """Enrol ``participant_id`` with simulated answers (intake fields given override the simulated ones)."""
    rng = np.random.default_rng(seed)
    model = load_effects(None, study.protocol)
    clock = VirtualClock()
    values = SimulatedParticipant(model, study.protocol, "", rng).intake(study.protocol) | intake
    session = Session.start(study, participant_id, values, "simulated", clock)
    drive(
        session,
        SimulatedFrontend(SimulatedParticipant(model, study.protocol, session.participant.cell, rng), rng, clock),
    )


def run_participants(study: Study, n: int, first: int = 1) -> list[str]:
    ids = [f"P{i:03d}" for i in range(first, first + n)]
    for i, participant in enumerate(ids):
        run_participant(study, participant, seed=first + i)
    return ids
