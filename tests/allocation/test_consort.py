"""CONSORT counts: from the store to `status`, to consort.json in the export, to the report's flow diagram."""

from __future__ import annotations

import json

from placebolab.allocation.consort import consort_counts
from placebolab.analysis.plan import consort_flow
from placebolab.export import export_study
from placebolab.report.consort_diagram import consort_view
from placebolab.session import Session, VirtualClock
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study

INTAKE = {"sex": "male", "age": "40", "name": "Sam"}


def test_counts_follow_enrolment_intervention_completion_and_corrections(flagship_study):
    study = flagship_study
    ids = simulate_study(study, 8, load_effects(None, study.protocol), seed=1)
    Session.start(study, "P001", INTAKE, "test", VirtualClock())  # enrolled, never reached the clinician
    study.store.correct(ids[0], "withdrawn", "felt unwell", "tester")
    study.store.correct(ids[1], "excluded", "took antihistamine", "tester")
    study.store.correct(ids[1], "withdrawn", "withdrew consent", "tester")  # the latest correction counts
    counts = consort_counts(study)
    cells = counts["cells"]
    assert counts["enrolled"] == 9 and counts["simulated"] == 8 and counts["intervention_step"] == "clinician"
    assert sum(c["allocated"] for c in cells.values()) == 9
    assert sum(c["received"] for c in cells.values()) == 8
    assert sum(c["not_received"] for c in cells.values()) == 1
    assert sum(c["withdrawn"] for c in cells.values()) == 2
    assert sum(c["excluded"] for c in cells.values()) == 0
    assert sum(c["completed"] for c in cells.values()) == 6
    cell_of = {p.id: p.cell for p in study.store.participants()}
    assert cells[cell_of[ids[0]]]["reasons"]["withdrawn"]["felt unwell"] >= 1
    for cell in study.protocol.cells:
        members = [p for p in study.store.participants() if p.cell == cell.id]
        assert cells[cell.id]["allocated"] == len(members)


def test_export_writes_consort_json_and_the_report_draws_it(flagship_study):
    study = flagship_study
    ids = simulate_study(study, 6, load_effects(None, study.protocol), seed=2)
    study.store.correct(ids[2], "excluded", "a very long reason that will not fit in its box", "tester")
    out = export_study(study)
    written = json.loads((out / "consort.json").read_text())
    assert written == consort_counts(study)
    view = consort_view(consort_flow(out))
    assert len(view["boxes"]) == 1 + 3 * len(study.protocol.cells) and len(view["links"]) == 3 * len(
        study.protocol.cells
    )
    texts = [line for box in view["boxes"] for line in box["lines"]]
    assert "Enrolled (n = 6)" in texts
    assert any(line.startswith("    a very long reason that…") for line in texts)  # under "excluded", in the last box
    from placebolab.analysis.plan import run_analyses
    from placebolab.report.html import render_report

    html = render_report(run_analyses(out))
    assert 'aria-label="CONSORT flow diagram"' in html and "Enrolled (n = 6)" in html
    (out / "consort.json").unlink()  # an export made before consort.json: no diagram, no error
    assert consort_view(consort_flow(out)) is None
    assert "CONSORT flow diagram" not in render_report(run_analyses(out))
