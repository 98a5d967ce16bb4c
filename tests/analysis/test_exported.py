"""Reading wide.csv + codebook.json: column types, flags, odd levels, broken files."""

from __future__ import annotations

import pandas as pd
import pytest

from placebolab.analysis import load_export
from placebolab.errors import AnalysisError, StoreError
from tests.analysis.synthetic import codebook, wide_table, write_export


def test_types_follow_the_codebook(export_dir):
    wide = load_export(export_dir).wide
    assert list(wide["warmth"].cat.categories) == ["warm", "neutral"]  # protocol order, not alphabetical
    assert wide["simulated"].dtype == bool and wide["pilot"].dtype == bool
    assert pd.api.types.is_numeric_dtype(wide["itch_post@t0+3min"])
    assert pd.api.types.is_numeric_dtype(wide["age"])
    assert not pd.api.types.is_numeric_dtype(wide["participant"])
    assert wide["itch_post"].isna().sum() == 2  # two incomplete participants left before the cream


@pytest.mark.parametrize(("true", "false"), [("true", "false"), ("True", "False"), ("1", "0"), ("TRUE", "")])
def test_flag_spellings(tmp_path, true, false):
    wide = wide_table().astype({"simulated": str, "pilot": str})
    wide["simulated"] = [true, false] * (len(wide) // 2) + [true] * (len(wide) % 2)
    wide["pilot"] = false
    study = load_export(write_export(tmp_path / "f", wide))
    assert study.wide["simulated"].sum() == (len(wide) + 1) // 2
    assert not study.wide["pilot"].any()


def test_unknown_flag_value_is_named(tmp_path):
    wide = wide_table().astype({"pilot": str})
    wide.loc[3, "pilot"] = "maybe"
    with pytest.raises(AnalysisError, match="Column 'pilot' holds 'maybe'"):
        load_export(write_export(tmp_path / "f", wide))


def test_levels_that_look_missing_stay_levels(tmp_path):
    book = codebook()
    book["factors"] = {"warmth": ["warm", "None"], "competence": ["high", "NA"]}
    wide = wide_table().replace({"warmth": {"neutral": "None"}, "competence": {"low": "NA"}})
    study = load_export(write_export(tmp_path / "l", wide, book))
    assert study.wide["warmth"].value_counts()["None"] == 40
    assert study.wide["competence"].isna().sum() == 0


def test_text_in_a_measure_stays_text_so_the_analysis_can_name_it(tmp_path):
    wide = wide_table().astype({"itch_post": object})
    wide.loc[5, "itch_post"] = "n/a?"
    study = load_export(write_export(tmp_path / "t", wide))
    assert not pd.api.types.is_numeric_dtype(study.wide["itch_post"])


def test_labels_come_from_the_codebook(export_dir):
    study = load_export(export_dir)
    assert study.label("itch_post") == "Itch after the cream (mean of 3 occasions)"
    assert study.label("not-a-column") == "not-a-column"


def test_missing_files(tmp_path):
    export = write_export(tmp_path / "experiments" / "demo")
    (export / "wide.csv").unlink()
    with pytest.raises(
        StoreError, match="No exported table \\(wide.csv\\) in .*; run `placebolab export .*demo` first"
    ):
        load_export(export)
    (export / "codebook.json").unlink()
    with pytest.raises(StoreError, match="codebook.json"):
        load_export(export)


def test_broken_codebook(tmp_path):
    export = write_export(tmp_path / "b")
    (export / "codebook.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError, match="is not valid JSON \\(line 1"):
        load_export(export)
