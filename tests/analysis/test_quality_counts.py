"""The report counts participants who declined consent apart from incomplete sessions, and counts (never
excludes) analysed participants flagged by an attention check or for answering too fast."""

from __future__ import annotations

from placebolab.analysis import run_analyses
from placebolab.report import build_report
from tests.analysis.synthetic import wide_table, write_export


def test_declines_and_quality_flags_are_counted_not_excluded(tmp_path):
    wide = wide_table()
    wide["attention_failed"], wide["too_fast_steps"], wide["honeypot"] = 0, 0, ""
    first_warm_high = wide.index[(wide["cell"] == "warm/high") & (wide["status"] == "completed")][0]
    wide.loc[first_warm_high, "attention_failed"] = 2
    wide.loc[first_warm_high, "too_fast_steps"] = 1
    incomplete = wide.index[wide["status"] == "incomplete"]
    wide.loc[incomplete[0], "status"] = "declined"  # one of the three warm/low non-completers declined consent
    export = write_export(tmp_path / "experiments" / "demo", wide)

    results = run_analyses(export)
    header = results.header
    assert (header["n_incomplete"], header["n_declined_consent"], header["n_analysed"]) == (2, 1, 80)
    counts = results.cell_counts.set_index("cell")
    assert (counts.loc["warm/low", "n_incomplete"], counts.loc["warm/low", "n_declined"]) == (2, 1)
    assert counts.loc["warm/high", ["n", "n_attention_failed", "n_too_fast"]].tolist() == [20, 1, 1]
    assert counts["n_attention_failed"].sum() == 1

    html = build_report(export).read_text(encoding="utf-8")
    assert "2 incomplete sessions excluded; 1 declined consent" in html
    assert "3 incomplete excluded" not in html and "1 declined consent)" in html.replace("\n", " ")
    assert "<th>declined consent</th>" in html and "<th>attention check failed (analysed)</th>" in html
    assert "flagged, not used to exclude anyone" in html
