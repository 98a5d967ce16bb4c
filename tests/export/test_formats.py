"""Parquet and SPSS .sav exports: the same data as wide.csv, typed and labelled."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from placebolab.cli import main
from placebolab.errors import StoreError
from placebolab.export import export_study
from placebolab.export.formats import parse_formats, spss_names
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from tests.conftest import FLAGSHIP_EFFECTS


@pytest.fixture
def exported(flagship_study):
    simulate_study(flagship_study, 24, load_effects(FLAGSHIP_EFFECTS, flagship_study.protocol), seed=5)
    return export_study(flagship_study, formats=("csv", "parquet", "sav"))


def test_parquet_holds_the_csv_tables_with_factor_order(exported):
    wide_csv = pd.read_csv(exported / "wide.csv")
    wide = pd.read_parquet(exported / "wide.parquet")
    assert list(wide.columns) == list(wide_csv.columns) and len(wide) == len(wide_csv)
    assert list(wide["warmth"].cat.categories) == ["warm", "neutral"]
    np.testing.assert_allclose(wide["itch_post"].to_numpy(float), wide_csv["itch_post"].to_numpy(float))
    assert len(pd.read_parquet(exported / "long.parquet")) == len(pd.read_csv(exported / "long.csv"))


def test_sav_has_variable_and_value_labels(exported):
    data, meta = pyreadstat.read_sav(str(exported / "wide.sav"))
    wide = pd.read_csv(exported / "wide.csv")
    book = json.loads((exported / "codebook.json").read_text())
    assert len(data) == len(wide)
    assert meta.variable_value_labels["warmth"] == {1.0: "warm", 2.0: "neutral"}
    assert meta.variable_value_labels["simulated"] == {0.0: "no", 1.0: "yes"}
    decoded = data["competence"].map(meta.variable_value_labels["competence"])
    assert (decoded == wide["competence"]).all()
    labels = meta.column_names_to_labels
    assert labels["expectancy.expectancy"] == next(
        c["label"] for c in book["columns"] if c["name"] == "expectancy.expectancy"
    )
    # an occasion column gets a legal SPSS name and keeps its exported name in the label
    assert labels["itch_post_t0_3min"].endswith("[itch_post@t0+3min]")
    np.testing.assert_allclose(data["itch_post_t0_3min"], wide["itch_post@t0+3min"])


def test_spss_names_are_legal_and_unique():
    names = spss_names(["a@b", "a+b", "A_B", "1x", "x."])
    assert list(names.values()) == ["a_b", "a_b_2", "A_B_3", "v_1x", "x"]


def test_unknown_format_is_named():
    assert parse_formats(" CSV, sav ,csv") == ("csv", "sav")
    with pytest.raises(StoreError, match="Unknown export format 'xlsx'; choose from csv, parquet, sav"):
        parse_formats("csv,xlsx")


def test_cli_export_with_formats(flagship_study):
    simulate_study(flagship_study, 8, load_effects(FLAGSHIP_EFFECTS, flagship_study.protocol), seed=1)
    runner = CliRunner()
    done = runner.invoke(main, ["export", str(flagship_study.folder), "--format", "csv,parquet,sav"])
    assert done.exit_code == 0, done.output
    assert "wide.parquet, long.parquet, wide.sav" in done.output
    assert (flagship_study.folder / "export" / "wide.sav").is_file()
    bad = runner.invoke(main, ["export", str(flagship_study.folder), "--format", "xlsx"])
    assert bad.exit_code == 4 and "Unknown export format 'xlsx'" in bad.output


def test_codebook_exports_the_plans_simple_effects_and_mediation(exported):
    plan = json.loads((exported / "codebook.json").read_text())["analysis"]
    assert plan["simple_effects"][0] == {"effect": "warmth", "by": ["competence"]}
    assert plan["mediation"][0] == {
        "x": "competence", "m": "expectancy.expectancy", "y": "itch_post",
        "covariates": ["itch_baseline"], "moderator": "warmth",
    }  # fmt: skip
