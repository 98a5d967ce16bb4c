"""The report flags scheduled occasions shown later than the protocol's schedule_tolerance."""

from __future__ import annotations

import re

import pytest

from placebolab.analysis.schedule import late_occasions
from placebolab.export.tables import export_study
from placebolab.report import build_report
from placebolab.session import Session, VirtualClock
from placebolab.study import Study
from tests.engine.schedule_protocols import HEAD, pause, rating, write_protocol

AT = "[t0+2min, t0+6min]"
PLAN = "analysis: {primary: {outcome: itch}}\n"


def run_participant(study, participant: str, answer_seconds: float) -> None:
    """A participant who takes ``answer_seconds`` over every step (on a virtual clock)."""
    clock = VirtualClock(start=1_000_000.0)
    session = Session.start(study, participant, {}, "test", clock)
    while (current := session.current()) is not None:
        if current.not_before is not None:
            clock.sleep_until(current.not_before)
        shown_at = clock.now()
        clock.advance(answer_seconds)
        values = {item.id: 5 for item in current.occurrence.items if item.kind != "ack"}
        session.submit(current.key, values, shown_at)


@pytest.fixture
def export_dir(tmp_path):
    """Four participants; itch and pain are due together, so pain is late by itch's answering time:
    P001 takes 50 s (beyond the 30 s tolerance), the others 10 s."""
    steps = [pause("cream", mark="t0"), rating("itch", AT), rating("pain", AT)]
    path = write_protocol(tmp_path, *steps, head=HEAD + "schedule_tolerance: 30s\n", tail=PLAN)
    study = Study.init(path, tmp_path / "study", seed=5)
    try:
        for participant, seconds in [("P001", 50), ("P002", 10), ("P003", 10), ("P004", 10)]:
            run_participant(study, participant, seconds)
        return export_study(study)
    finally:
        study.close()


def test_late_occasions_counts_those_beyond_the_tolerance(export_dir):
    import json

    codebook = json.loads((export_dir / "codebook.json").read_text())
    assert codebook["schedule_tolerance_s"] == 30
    found = late_occasions(export_dir, codebook, ["P001", "P002", "P003", "P004"])
    assert (found["n_occasions"], found["n_late"], found["n_participants"]) == (16, 2, 1)
    assert found["late"] == [
        {"participant": "P001", "occasion": "pain@t0+2min", "late_s": 50.0},
        {"participant": "P001", "occasion": "pain@t0+6min", "late_s": 50.0},
    ]
    assert found["max_late_s"] == 50.0
    assert late_occasions(export_dir, codebook, ["P002"])["n_late"] == 0  # only the participants asked about


def test_the_report_flags_late_occasions(export_dir):
    html = build_report(export_dir).read_text(encoding="utf-8")
    section = html[html.index('<section id="schedule">') :]
    section = section[: section.index("</section>")]
    assert re.search(r"2 of 16 scheduled\s+occasions", section)
    assert "more than 30 s" in section and "50.0 s late" in section
    rows = re.findall(r"<tr><td class=\"left\">(\w+)</td><td class=\"left\">([^<]+)</td><td>([^<]+)</td></tr>", section)
    assert rows == [("P001", "pain@t0+2min", "50.0 s"), ("P001", "pain@t0+6min", "50.0 s")]


def test_a_report_without_late_occasions_says_all_were_on_time(tmp_path):
    steps = [pause("cream", mark="t0"), rating("itch", AT)]
    path = write_protocol(tmp_path, *steps, tail=PLAN)
    study = Study.init(path, tmp_path / "study", seed=5)
    try:
        for participant in ("P001", "P002", "P003", "P004"):
            run_participant(study, participant, 10)
        out = export_study(study)
    finally:
        study.close()
    html = build_report(out).read_text(encoding="utf-8")
    assert 'id="late-occasions"' not in html
    assert re.search(r"All 8 scheduled occasions of the analysed participants were shown within\s+60 s", html)
