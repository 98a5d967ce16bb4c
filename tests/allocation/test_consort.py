"""CONSORT counts: from the store to `status`, to consort.json in the export, to the report's flow diagram."""

from __future__ import annotations

import json

import pytest

from placebolab.allocation.audit import audit_study
from placebolab.allocation.consort import consort_counts
from placebolab.analysis.plan import consort_flow
from placebolab.errors import AlreadyEnrolled, StoreError
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


def test_declines_before_enrolment_are_counted_before_randomisation_and_drawn_beside_enrolment(flagship_study):
    """A consent declined before enrolment (online: docs/online.md, "Consent first") is a log entry of a link's
    participant: never enrolled nor allocated, counted once, outside every cell; the allocated invariant holds."""
    study = flagship_study
    (_, declined), (_, other), (_, enrolled) = study.new_links(3)
    ids = simulate_study(study, 6, load_effects(None, study.protocol), seed=2)
    Session.start(study, enrolled, INTAKE, "web", VirtualClock())
    detail = {"step": "consent", "consent_sha256": "0" * 64, "shown_at": 1.0, "answered_at": 2.0}
    for _ in range(2):  # a double click logs once
        study.decline_consent(declined, detail)
    with pytest.raises(AlreadyEnrolled):  # enrolled: their consent step records a decline
        study.decline_consent(enrolled, detail)
    with pytest.raises(StoreError, match="has no link"):
        study.decline_consent(ids[0], detail)
    assert study.consent_declined(declined) and not study.consent_declined(other)
    assert [e["participant"] for e in study.store.rows("events") if e["kind"] == "declined_consent"] == [declined]
    counts = consort_counts(study)
    assert (counts["enrolled"], counts["declined_before_enrolment"], counts["declined_consent"]) == (7, 1, 0)
    assert sum(c["allocated"] for c in counts["cells"].values()) == 7 == study.store.allocation_summary()["allocated"]
    assert audit_study(study).problems == []

    out = export_study(study)
    assert json.loads((out / "consort.json").read_text())["declined_before_enrolment"] == 1
    view = consort_view(consort_flow(out))
    cells = len(study.protocol.cells)
    assert len(view["boxes"]) == 3 + 3 * cells and len(view["links"]) == 2 + 3 * cells
    assessed, aside, enrolment = view["boxes"][:3]  # CONSORT's top: assessed → excluded aside → enrolled
    assert assessed["lines"] == ["Assessed for eligibility", "(n = 8)"]
    assert aside["lines"] == ["Excluded (n = 1)", "declined to participate: 1"]
    assert enrolment["lines"][0] == "Enrolled (n = 7)"
    assert aside["x"] >= assessed["x"] + assessed["w"] and aside["x"] + aside["w"] <= view["width"]
    assert assessed["y"] + assessed["h"] < aside["y"] < aside["y"] + aside["h"] < enrolment["y"]
    below = min(box["y"] for box in view["boxes"][3:])
    assert below > enrolment["y"] + enrolment["h"]  # nothing drawn over another
    from placebolab.analysis.plan import run_analyses
    from placebolab.report.html import render_report

    html = render_report(run_analyses(out))
    assert "declined to participate: 1" in html
    assert "(not counting 1 who declined consent before enrolment, never allocated)" in html
