"""`placebolab share`: every example protocol, simulated briefly, shares as a Psych-DS dataset (checked by
tests/share/psychds.py against the spec's own rules), blinded too; no identifying intake value is in any
file; the materials are the frozen ones; the analysis reruns from the dataset alone."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from placebolab.allocation.audit import audit_study
from placebolab.analysis.plan import run_analyses
from placebolab.errors import AuditError, StoreError
from placebolab.export import export_study
from placebolab.frontends.base import drive
from placebolab.frontends.simulated import SimulatedFrontend
from placebolab.protocol.measures import measures
from placebolab.session import Session, VirtualClock
from placebolab.share import data_file_name, share_study
from placebolab.simulation.model import SimulatedParticipant, load_effects
from placebolab.study import Study
from tests.cli.conftest import run_cli
from tests.conftest import ROOT

from .psychds import RULES, canonical_keywords, check_dataset, variable_names

PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))
#: Warnings a placebolab dataset is expected to draw (recommended parts placebolab cannot know or does not make).
EXPECTED_WARNINGS = {"MISSING_RESULTS_DIRECTORY", "MISSING_PSYCHDSIGNORE", "JSON_KEY_RECOMMENDED"}


def secret(number: int) -> str:
    """The identifying intake value of participant ``number``: a string found nowhere else."""
    return f"Qzorblax{number}Wintervale"


def simulate_with_names(study: Study, n: int, seed: int) -> None:
    """``simulate_study``, but each participant's identifying intake fields hold :func:`secret` values."""
    protocol = study.protocol
    path = ROOT / "protocols" / "effects" / f"{protocol.protocol}.yaml"
    model = load_effects(path if path.exists() else None, protocol)
    known = measures(protocol)
    for number, child in enumerate(np.random.SeedSequence(seed).spawn(n), start=1):
        rng = np.random.default_rng(child)
        clock = VirtualClock()
        intake = SimulatedParticipant(model, protocol, "", rng, known).intake(protocol)
        intake |= {field.id: secret(number) for field in protocol.intake if field.identifying}
        session = Session.start(study, f"SIM{number:04d}", intake, "simulated", clock, simulated=True)
        drive(
            session,
            SimulatedFrontend(SimulatedParticipant(model, protocol, session.participant.cell, rng, known), rng, clock),
        )


@pytest.fixture(scope="module", params=PROTOCOLS, ids=lambda p: p.stem)
def shared(request, tmp_path_factory):
    """A study of the protocol (3 simulated participants per cell), shared plainly and blinded."""
    root = tmp_path_factory.mktemp(request.param.stem)
    study = Study.init(request.param, root / "study", seed=4)
    n = 3 * len(study.protocol.cells)
    simulate_with_names(study, n, seed=5)
    plain = share_study(study, root / "dataset")
    blinded = share_study(study, root / "dataset-blinded", blinded=True, license="CC0-1.0")
    yield study, n, plain, blinded
    study.close()


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def data_files(dataset: Path) -> list[Path]:
    return sorted((dataset / "data").glob("*.csv"))


# --- Psych-DS ---------------------------------------------------------------------------------------------


def test_the_vendored_rules_are_the_spec_s():
    source = RULES["_source"]
    assert source["schema_version"] == "1.5.0" and source["path"].endswith("1.5.0/schema.json")
    datafile = RULES["rules.files.tabular_data.data"]["Datafile"]
    assert datafile["fileRegex"] == r"([a-z]+-[a-zA-Z0-9]+)(_[a-z]+-[a-zA-Z0-9]+)*_data\.csv"
    assert "study" in canonical_keywords() and "description" in canonical_keywords()
    assert RULES["rules.compiled_metadata"]["CompiledMetadata"]["fields"]["variableMeasured"] == "required"


@pytest.mark.parametrize("which", ["plain", "blinded"])
def test_every_example_protocol_shares_a_valid_psychds_dataset(shared, which):
    study, n, plain, blinded = shared
    dataset = plain if which == "plain" else blinded
    found = check_dataset(dataset)
    assert found.errors == []
    assert found.codes() <= EXPECTED_WARNINGS, found.warnings
    names = [p.name for p in data_files(dataset)]
    assert names == sorted(data_file_name(study.protocol.protocol, t) for t in ("long", "wide", "steps"))
    keys = {pair.split("-")[0] for name in names for pair in name.split("_")[:-1]}
    assert keys <= set(canonical_keywords())  # no unofficial keyword either
    wide = read_csv(dataset / "data" / data_file_name(study.protocol.protocol, "wide"))
    assert len(wide) == n + 1  # header, then one row per participant


def test_variable_measured_covers_every_column_exactly(shared):
    _, _, plain, _ = shared
    description = json.loads((plain / "dataset_description.json").read_text(encoding="utf-8"))
    columns = {name for path in data_files(plain) for name in read_csv(path)[0]}
    named = variable_names(description)
    assert len(named) == len(set(named)) and set(named) == columns
    assert all(v["@type"] == "PropertyValue" and v.get("description") for v in description["variableMeasured"])


def test_description_carries_what_the_study_knows_and_todo_for_the_rest(shared):
    study, n, plain, blinded = shared
    description = json.loads((plain / "dataset_description.json").read_text(encoding="utf-8"))
    assert description["@context"] == "https://schema.org/" and description["@type"] == "Dataset"
    assert description["name"] == study.protocol.title
    assert description["schemaVersion"] == "Psych-DS 1.5.0"
    assert description["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert all(a.startswith("TODO") for a in description["author"])  # never invented
    assert study.protocol_sha256 in description["description"]
    assert f"{n} participants enrolled" in description["description"] and "SIMULATED" in description["description"]
    header = run_analyses(export_study(study)).header  # the numbers are the report's
    assert f"{header['n_rows']} participants enrolled, {header['n_completed']} completed" in description["description"]
    variables = {v["name"]: v for v in description["variableMeasured"]}
    assert variables["rt"]["unitText"] == "seconds"
    for factor, levels in study.protocol.factors.items():
        assert [r["value"] for r in variables[factor]["valueReference"]] == levels.levels
    book = json.loads((plain / "documentation" / "codebook.json").read_text(encoding="utf-8"))
    for entry in book["columns"]:
        if entry.get("value_labels"):
            got = {r["value"]: r["name"] for r in variables[entry["name"]]["valueReference"]}
            assert got == entry["value_labels"]
        if entry.get("min") is not None:
            assert variables[entry["name"]]["minValue"] == entry["min"]
    blind = json.loads((blinded / "dataset_description.json").read_text(encoding="utf-8"))
    assert (
        blind["license"] == "https://creativecommons.org/publicdomain/zero/1.0/" and "BLINDED" in blind["description"]
    )


def test_the_texts_hold_no_placeholder_but_todo(shared):
    _, _, plain, blinded = shared
    for dataset in (plain, blinded):
        for path in [*dataset.glob("*.md"), dataset / "analysis" / "README.md", dataset / "dataset_description.json"]:
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\{[a-z_]+\}|\bNone\b|\bnan\b|XXX|FIXME", text), path
        assert "TODO" in (dataset / "README.md").read_text(encoding="utf-8")  # the authors: explicit, not invented


# --- privacy and blinding ---------------------------------------------------------------------------------


def test_no_identifying_intake_value_is_in_any_file(shared):
    study, n, plain, blinded = shared
    identifying = [f.id for f in study.protocol.intake if f.identifying]
    stored = {p.intake.get(i) for p in study.store.participants() for i in identifying}
    assert stored == ({secret(k) for k in range(1, n + 1)} if identifying else set())  # the values were recorded
    secrets = [secret(k).encode() for k in range(1, n + 1)]
    for dataset in (plain, blinded):
        for path in dataset.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                assert not [s for s in secrets if s in content], path
        for path in data_files(dataset):
            assert not set(read_csv(path)[0]) & set(identifying), path
        intake = json.loads((dataset / "materials" / "intake.json").read_text(encoding="utf-8"))
        assert not {f["id"] for f in intake["fields"]} & set(identifying)


def test_some_example_protocol_has_an_identifying_field():
    """Else the test above checks nothing."""
    assert any("identifying: true" in p.read_text(encoding="utf-8") for p in PROTOCOLS)


def test_blinded_data_name_no_level_or_cell(shared):
    study, _, plain, blinded = shared
    protocol = study.protocol
    names = {level for f in protocol.factors.values() for level in f.levels} | {c.id for c in protocol.cells}
    key = json.loads(study.store.sealed()["blinding_key"])
    codes = {code for per in key["factors"].values() for code in per.values()} | set(key["cells"].values())
    for dataset, expect_names in ((blinded, False), (plain, True)):
        cells = set()
        for path in data_files(dataset):
            rows = read_csv(path)
            header = rows[0]
            for column in ("cell", *protocol.factors):
                if column in header:
                    cells |= {row[header.index(column)] for row in rows[1:]} - {""}
            if not expect_names:  # step and item ids are the researcher's (the same in every cell), e.g. item "warm"
                kept = [i for i, column in enumerate(header) if column not in ("step", "item")]
                assert not {row[i] for row in rows[1:] for i in kept} & names, path
        assert (cells <= codes) is not expect_names and cells
    description = json.loads((blinded / "dataset_description.json").read_text(encoding="utf-8"))
    for variable in description["variableMeasured"]:
        if variable["name"] in protocol.factors:
            assert {r["value"] for r in variable["valueReference"]} <= codes
    assert "blinding_key" not in "".join(p.read_text(errors="ignore") for p in blinded.rglob("*.json"))


# --- materials, analysis, audit ---------------------------------------------------------------------------


def test_materials_are_the_frozen_protocol_and_files(shared):
    study, _, plain, _ = shared
    protocol_file = plain / "materials" / "protocol.yaml"
    assert hashlib.sha256(protocol_file.read_bytes()).hexdigest() == study.protocol_sha256
    frozen = study.store.files()
    for key, content in frozen.items():
        if key.startswith("placebolab-instruments/"):
            target = plain / "materials" / "instruments" / key.split("/", 1)[1]
        else:
            target = plain / "materials" / "stimuli" / Path(key).relative_to(study.protocol.stimuli)
        assert target.read_bytes() == content, key
    shipped = [p for p in (plain / "materials").rglob("*") if p.is_file()]
    assert len(shipped) == len(frozen) + 2  # protocol.yaml and intake.json besides


def test_analysis_holds_scripts_report_and_the_audit_chain_head(shared):
    study, _, plain, blinded = shared
    scripts = sorted(p.name for p in (ROOT / "analysis").glob("*.py"))
    assert scripts and all(
        (plain / "analysis" / s).read_bytes() == (ROOT / "analysis" / s).read_bytes() for s in scripts
    )
    report = (plain / "analysis" / "report.html").read_text(encoding="utf-8")
    assert study.protocol.title in html.unescape(report) and len(report) > 10_000
    audit = json.loads((plain / "analysis" / "audit.json").read_text(encoding="utf-8"))
    number, digest = audit_study(study).head
    assert audit["intact"] and audit["chain_head"] == {"entry": number, "sha256": digest} and number > 0
    assert digest in (plain / "README.md").read_text(encoding="utf-8")
    assert (blinded / "analysis" / "report.html").stat().st_size > 10_000


def test_the_analysis_reruns_from_the_dataset_alone(shared, tmp_path):
    study, _, plain, _ = shared
    copy = tmp_path / "copy"
    shutil.copytree(plain, copy)  # another machine: only the dataset
    done = subprocess.run([sys.executable, "analysis/make_export.py"], cwd=copy, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    again = run_analyses(copy / "analysis" / "study" / "export")
    original = run_analyses(export_study(study, tmp_path / "export"))
    assert again.header["n_analysed"] == original.header["n_analysed"] > 0
    if original.primary_anova is not None:
        assert again.primary_anova.equals(original.primary_anova)


# --- the checker can fail -----------------------------------------------------------------------------------


def test_the_checker_finds_each_kind_of_violation(shared, tmp_path):
    study, _, plain, _ = shared
    wide = data_file_name(study.protocol.protocol, "wide")

    def broken(change) -> set[str]:
        copy = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
        shutil.copytree(plain, copy)
        change(copy)
        return {line.split()[0] for line in check_dataset(copy).errors}

    def edit_description(edit):
        def change(root):
            path = root / "dataset_description.json"
            data = json.loads(path.read_text(encoding="utf-8"))
            edit(data)
            path.write_text(json.dumps(data), encoding="utf-8")

        return change

    assert "MISSING_DATASET_DESCRIPTION" in broken(lambda r: (r / "dataset_description.json").unlink())
    assert "FILENAME_KEYWORD_FORMATTING_ERROR" in broken(
        lambda r: (r / "data" / wide).rename(r / "data" / "wide_data.csv")
    )
    assert "CSV_COLUMN_MISSING_FROM_METADATA" in broken(
        edit_description(lambda d: d.update(variableMeasured=d["variableMeasured"][1:]))
    )
    assert "VARIABLE_MISSING_FROM_CSV_COLUMNS" in broken(
        edit_description(lambda d: d["variableMeasured"].append({"@type": "PropertyValue", "name": "nowhere"}))
    )
    assert "INCORRECT_DATASET_TYPE" in broken(edit_description(lambda d: d.update({"@type": "CreativeWork"})))
    assert "JSON_KEY_REQUIRED" in broken(edit_description(lambda d: d.pop("description")))

    def repeat_header(root):
        path = root / "data" / wide
        header, rest = path.read_bytes().split(b"\r\n", 1)
        path.write_bytes(header.replace(b"pilot", b"simulated") + b"\r\n" + rest)

    assert "CSV_HEADER_REPEATED" in broken(repeat_header)
    assert "CSV_HEADER_LENGTH_MISMATCH" in broken(lambda r: (r / "data" / wide).write_text("a,b\r\n1\r\n"))
    assert "MISSING_DATA_DIRECTORY" in broken(lambda r: shutil.rmtree(r / "data"))


# --- refusals -----------------------------------------------------------------------------------------------


def test_a_study_whose_audit_breaks_is_not_shared(tmp_path):
    study = Study.init(PROTOCOLS[0], tmp_path / "study", seed=4)
    simulate_with_names(study, len(study.protocol.cells), seed=5)
    study.close()
    with sqlite3.connect(tmp_path / "study" / "study.db") as db:
        db.execute(
            "UPDATE responses SET value = value + 1 WHERE (participant, step_key, item) = (SELECT participant, step_key, item FROM responses LIMIT 1)"
        )
    with Study.open(tmp_path / "study") as reopened, pytest.raises(AuditError, match="not shared"):
        share_study(reopened, tmp_path / "dataset")
    assert not (tmp_path / "dataset").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".dataset")]  # no hidden half dataset


def test_cli_errors_are_one_line_with_the_documented_exit_code(tmp_path):
    missing = run_cli("share", tmp_path / "nowhere", "--out", tmp_path / "ds", cwd=tmp_path)
    assert missing.code == 4 and missing.stderr.startswith("error: ") and "not a study folder" in missing.stderr
    assert "Traceback" not in missing.stderr and len(missing.stderr.strip().splitlines()) == 1

    study = Study.init(PROTOCOLS[0], tmp_path / "study", seed=4)
    study.close()
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    busy = run_cli("share", tmp_path / "study", "--out", taken, cwd=tmp_path)
    assert busy.code == 4 and "not an empty folder" in busy.stderr and "Traceback" not in busy.stderr
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    nobody = run_cli("share", tmp_path / "study", "--out", tmp_path / "ds", cwd=tmp_path)
    assert nobody.code == 7 and "nothing to analyse" in nobody.stderr and "Traceback" not in nobody.stderr
    assert not (tmp_path / "ds").exists()
    with pytest.raises(StoreError, match="--license"):
        with Study.open(tmp_path / "study") as opened:
            share_study(opened, tmp_path / "ds", license=" ")
