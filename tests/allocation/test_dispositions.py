"""Withdrawals, exclusions and allocations in error: recorded with the CLI, carried by the export as each
participant's disposition, left out of every analysis and named with their reasons in the report; and
`placebolab status`, consort.json and the report count the same people. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from placebolab.analysis.exported import load_export
from placebolab.analysis.plan import AnalysisResult, analysed_sample, consort_flow, run_analyses
from placebolab.cli import main
from placebolab.errors import AnalysisError
from placebolab.report.consort_diagram import consort_view
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from tests.conftest import FLAGSHIP_EFFECTS


def _cli(*args: str) -> str:
    done = CliRunner().invoke(main, list(args))
    assert done.exit_code == 0, done.output
    return done.output


def _residual_df(results: AnalysisResult) -> int:
    table = results.primary_anova
    return int(table.loc[table.Source == "Residual", "DF"].iloc[0])


def _completed_by_cell(study) -> dict[str, list[str]]:
    by_cell: dict[str, list[str]] = {}
    for p in study.store.participants():
        if p.status == "completed":
            by_cell.setdefault(p.cell, []).append(p.id)
    return by_cell


def test_withdrawn_and_excluded_are_not_analysed_and_are_named(flagship_study):
    study = flagship_study
    folder = str(study.folder)
    simulate_study(study, 24, load_effects(FLAGSHIP_EFFECTS, study.protocol), seed=11)
    _cli("export", folder)
    before = run_analyses(study.folder / "export")
    by_cell = _completed_by_cell(study)
    withdrawn, excluded = by_cell["warm/high"][0], by_cell["neutral/low"][0]

    _cli("withdraw", folder, "-p", withdrawn, "--reason", "felt unwell")
    _cli("correct", folder, "-p", excluded, "--as", "excluded", "--reason", "took antihistamine")
    _cli("export", folder)
    out = study.folder / "export"

    wide = pd.read_csv(out / "wide.csv", keep_default_na=False).set_index("participant")
    assert wide.loc[withdrawn, ["disposition", "disposition_reason"]].tolist() == ["withdrawn", "felt unwell"]
    assert wide.loc[excluded, ["disposition", "disposition_reason"]].tolist() == ["excluded", "took antihistamine"]
    others = wide.drop(index=[withdrawn, excluded])
    assert set(others.disposition) == {"included"} and set(others.disposition_reason) == {""}
    assert list(wide.columns[wide.columns.get_loc("status") :][:3]) == ["status", "disposition", "disposition_reason"]
    long = pd.read_csv(out / "long.csv", keep_default_na=False)
    assert set(long.loc[long.participant == withdrawn, "disposition"]) == {"withdrawn"}
    assert set(long.loc[long.participant == excluded, "disposition_reason"]) == {"took antihistamine"}
    columns = {c["name"]: c for c in json.loads((out / "codebook.json").read_text())["columns"]}
    assert columns["disposition"]["levels"] == ["included", "withdrawn", "excluded", "allocated-in-error"]
    assert columns["disposition_reason"]["kind"] == "disposition"

    after = run_analyses(out)
    assert _residual_df(after) == _residual_df(before) - 2
    assert not {withdrawn, excluded} & set(after.data.participant)
    header = after.header
    assert (header["n_withdrawn"], header["n_excluded"], header["n_allocated_in_error"]) == (1, 1, 0)
    assert header["n_analysed"] == before.header["n_analysed"] - 2

    _cli("analyze", folder)
    html = (study.folder / "report.html").read_text()
    assert "1 withdrawn (felt unwell), 1 excluded (took antihistamine)" in html  # the methods paragraph
    for participant, reason in ((withdrawn, "felt unwell"), (excluded, "took antihistamine")):
        assert f'<td class="left">{participant}</td>' in html and reason in html
    assert "Analysed (n = " in html and "Completed" not in html.split('aria-label="CONSORT flow diagram"')[1][:4000]

    _assert_status_consort_and_report_agree(study, out, after)
    _cli("export", folder, "--blinded")
    coded = pd.read_csv(study.folder / "export-blinded" / "wide.csv", keep_default_na=False).set_index("participant")
    assert coded.loc[withdrawn, "disposition_reason"] == "felt unwell"
    assert list(coded.disposition) == list(wide.disposition)  # blinding codes levels, not dispositions
    blind = run_analyses(study.folder / "export-blinded")
    assert _residual_df(blind) == _residual_df(after) and blind.header["corrected_reasons"] == {
        "withdrawn": {"felt unwell": 1},
        "excluded": {"took antihistamine": 1},
    }


def _assert_status_consort_and_report_agree(study, out, results: AnalysisResult) -> None:
    """`placebolab status`, consort.json and the report count the same analysed participants per cell."""
    consort = json.loads((out / "consort.json").read_text())["cells"]
    report_n = results.cell_counts.set_index("cell")["n"].to_dict()
    assert {cell: c["analysed"] for cell, c in consort.items()} == report_n
    assert sum(report_n.values()) == results.header["n_analysed"]
    for cell, c in consort.items():  # every allocated participant is counted exactly once
        parts = ("analysed", "pilot", "incomplete", "withdrawn", "excluded", "allocated_in_error")
        assert sum(c[k] for k in parts) == c["allocated"], cell
    status = _cli("status", str(study.folder))
    analysed_row = next(line for line in status.splitlines() if line.strip("│ ").startswith("analysed"))
    assert [int(n) for n in analysed_row.replace("│", " ").split()[1:]] == list(report_n.values())
    assert "felt unwell" in status and "took antihistamine" in status
    last_boxes = consort_view(consort_flow(out))["boxes"][-len(consort) :]
    assert [box["lines"][0] for box in last_boxes] == [f"Analysed (n = {n})" for n in report_n.values()]
    withdrawn_cell = next(cell for cell, c in consort.items() if c["withdrawn"])
    excluded_box = last_boxes[list(consort).index(next(cell for cell, c in consort.items() if c["excluded"]))]
    assert "  excluded: 1" in excluded_box["lines"] and "    took antihistamine: 1" in excluded_box["lines"]
    assert "  withdrawn: 1" in last_boxes[list(consort).index(withdrawn_cell)]["lines"]


def test_a_participant_allocated_in_error_is_not_analysed_in_their_cell(flagship_study):
    study = flagship_study
    simulate_study(study, 16, load_effects(FLAGSHIP_EFFECTS, study.protocol), seed=12)
    _cli("export", str(study.folder))
    before = run_analyses(study.folder / "export")
    wrong = _completed_by_cell(study)["warm/low"][0]
    _cli("correct", str(study.folder), "-p", wrong, "--as", "allocated-in-error", "--reason", "already enrolled")
    _cli("export", str(study.folder))
    after = run_analyses(study.folder / "export")
    assert wrong not in set(after.data.participant)
    n_before, n_after = (r.cell_counts.set_index("cell").loc["warm/low"] for r in (before, after))
    assert (n_after["n"], n_after["n_corrected"]) == (n_before["n"] - 1, 1)
    assert after.header["corrected"] == [
        {
            "participant": wrong,
            "cell": "warm/low",
            "disposition": "allocated-in-error",
            "reason": "already enrolled",
            "status": "completed",
        }
    ]
    assert _residual_df(after) == _residual_df(before) - 1


def test_a_later_correction_supersedes_and_old_exports_still_analyse(tmp_path, flagship_study):
    study = flagship_study
    ids = simulate_study(study, 8, load_effects(None, study.protocol), seed=13)
    _cli("correct", str(study.folder), "-p", ids[0], "--as", "excluded", "--reason", "wrong age")
    _cli("withdraw", str(study.folder), "-p", ids[0], "--reason", "withdrew consent")
    _cli("export", str(study.folder))
    out = study.folder / "export"
    data, header = analysed_sample(load_export(out))
    assert header["corrected_reasons"] == {"withdrawn": {"withdrew consent": 1}} and ids[0] not in set(data.participant)
    # An export written before dispositions existed has no such columns: everyone counts as included.
    wide = pd.read_csv(out / "wide.csv", dtype=str, keep_default_na=False)
    wide.drop(columns=["disposition", "disposition_reason"]).to_csv(out / "wide.csv", index=False)
    data, header = analysed_sample(load_export(out))
    assert ids[0] in set(data.participant) and header["corrected"] == [] and header["n_withdrawn"] == 0
    wide.assign(disposition=wide.disposition.replace("withdrawn", "dropped")).to_csv(out / "wide.csv", index=False)
    with pytest.raises(AnalysisError, match="'disposition' of wide.csv holds 'dropped'"):
        analysed_sample(load_export(out))
