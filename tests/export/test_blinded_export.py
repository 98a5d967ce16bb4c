"""A blinded export holds no level name and no cell id anywhere: every byte of every file, every format."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from placebolab.export import export_study
from tests.export.probe import SECRET_NAMES, probe_study, run_participants

FORMATS = ("csv", "parquet", "sav")


def _decoded_text(path) -> str:
    """What a file says once decoded: Parquet pages are compressed, so a raw byte scan alone could miss a name."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return json.dumps([table.to_pylist(), str(table.schema), str(pq.read_metadata(path).metadata)], default=str)
    if path.suffix == ".sav":
        data, meta = pyreadstat.read_sav(str(path))
        return data.to_csv() + json.dumps([meta.column_names_to_labels, meta.variable_value_labels, meta.file_label])
    return ""


def names_found(folder) -> dict[str, list[str]]:
    """Every secret name (level, cell id, arm) found in each file, in its bytes or its decoded content."""
    found = {}
    for path in sorted(folder.iterdir()):
        haystack = path.read_bytes().lower() + _decoded_text(path).lower().encode()
        hits = [name for name in SECRET_NAMES if name.encode() in haystack]
        if hits:
            found[path.name] = hits
    return found


@pytest.fixture
def probe(tmp_path):
    study = probe_study(tmp_path)
    run_participants(study, 20)
    yield study
    study.close()


def test_a_blinded_export_holds_no_level_name_in_any_file_of_any_format(probe):
    plain = export_study(probe, formats=FORMATS)
    every_file = {
        "long.csv", "wide.csv", "steps.csv", "codebook.json", "codebook.csv", "consort.json",
        "wide.parquet", "long.parquet", "wide.sav",
    }  # fmt: skip
    assert {p.name for p in plain.iterdir()} == every_file
    # the scan sees names wherever they are written, compressed Parquet included
    leaky = names_found(plain)
    assert set(leaky) >= every_file - {"steps.csv"}, leaky
    assert set(leaky["wide.parquet"]) == set(SECRET_NAMES)

    blinded = export_study(probe, formats=FORMATS, blinded=True)
    assert {p.name for p in blinded.iterdir()} == every_file
    assert names_found(blinded) == {}

    key = json.loads(probe.store.sealed()["blinding_key"])
    wide = pd.read_csv(blinded / "wide.csv", keep_default_na=False)
    assert set(wide.cell) <= set(key["cells"].values())
    book = pd.read_csv(blinded / "codebook.csv", keep_default_na=False).set_index("name")
    assert book.loc["warmth", "levels"] == str(sorted(key["factors"]["warmth"].values()))
    assert list(pd.read_parquet(blinded / "wide.parquet")["competence"].cat.categories) == ["A", "B"]
    _, meta = pyreadstat.read_sav(str(blinded / "wide.sav"))
    assert set(meta.variable_value_labels["warmth"].values()) == {"A", "B"}
