"""Blinding: exports and reports with neutral codes only; unblinding shows the key and is logged."""

from __future__ import annotations

import json

from click.testing import CliRunner

from placebolab.cli import main
from placebolab.export import export_study
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from tests.conftest import FLAGSHIP_EFFECTS

LEVEL_NAMES = ("warm", "neutral", "high", "low")


def test_a_blinded_export_names_no_level_and_maps_back_through_the_key(flagship_study):
    study = flagship_study
    simulate_study(study, 16, load_effects(FLAGSHIP_EFFECTS, study.protocol), seed=3)
    plain = export_study(study)
    blinded = export_study(study, blinded=True)
    assert blinded == study.folder / "export-blinded"
    key = json.loads(study.store.sealed()["blinding_key"])
    import pandas as pd

    for name in ("codebook.json", "consort.json"):
        text = (blinded / name).read_text()
        for level in LEVEL_NAMES:
            assert f'"{level}"' not in text and f"/{level}" not in text and f"{level}/" not in text, (name, level)
    for name in ("wide.csv", "long.csv"):
        table = pd.read_csv(blinded / name, dtype=str)
        for column in ("cell", "arm", "warmth", "competence"):
            if column in table:
                assert not set(table[column].dropna()) & {*LEVEL_NAMES, *key["cells"]}, (name, column)

    clear, coded = pd.read_csv(plain / "wide.csv"), pd.read_csv(blinded / "wide.csv")
    assert list(clear.columns) == list(coded.columns)
    for factor, codes in key["factors"].items():
        assert list(clear[factor].map(codes)) == list(coded[factor])
    assert list(clear["cell"].map(key["cells"])) == list(coded["cell"])
    book = json.loads((blinded / "codebook.json").read_text())
    assert book["blinded"] is True and book["factors"] == {"warmth": ["A", "B"], "competence": ["A", "B"]}
    numbers = [c for c in clear.columns if c not in {"participant", "cell", "warmth", "competence", "status", "sex"}]
    assert clear[numbers].equals(coded[numbers])  # only the labels change


def test_keys_differ_between_studies(tmp_path):
    from placebolab.study import Study
    from tests.conftest import FLAGSHIP

    keys = set()
    for i in range(12):
        study = Study.init(FLAGSHIP, tmp_path / f"s{i}", seed=1)
        keys.add(study.store.sealed()["blinding_key"])
        study.close()
    assert len(keys) > 1  # not derived from the (shared) list seed


def test_analyze_blinded_then_unblind_is_recorded(flagship_study):
    study = flagship_study
    simulate_study(study, 24, load_effects(FLAGSHIP_EFFECTS, study.protocol), seed=5)
    runner = CliRunner()
    done = runner.invoke(main, ["analyze", str(study.folder), "--blinded"])
    assert done.exit_code == 0, done.output
    html = (study.folder / "report-blinded.html").read_text()
    assert "warm/high" not in html and "neutral/low" not in html and "A/B" in html
    shown = runner.invoke(main, ["unblind", str(study.folder), "--reason", "analysis locked", "--by", "Dr. Analyst"])
    assert shown.exit_code == 0, shown.output
    key = json.loads(study.store.sealed()["blinding_key"])
    assert f"{key['factors']['warmth']['warm']} = warm" in shown.output
    event = study.store.rows("events")[-1]
    assert event["kind"] == "unblinded" and json.loads(event["detail"]) == {
        "by": "Dr. Analyst",
        "reason": "analysis locked",
    }
    assert event["at"]
    missing = runner.invoke(main, ["unblind", str(study.folder)])
    assert missing.exit_code == 2 and "--reason" in missing.output


def test_a_design_with_an_arm_blinds_the_arm_too_and_still_analyses(tmp_path):
    import pandas as pd

    from placebolab.analysis.plan import run_analyses
    from placebolab.study import Study
    from tests.data_flow.test_designs import THREE_BY_TWO_WITH_CONTROL

    path = tmp_path / "three-by-two.yaml"
    path.write_text(THREE_BY_TWO_WITH_CONTROL)
    study = Study.init(path, tmp_path / "study", seed=4)
    simulate_study(study, 70, load_effects(None, study.protocol), seed=5)
    clear = run_analyses(export_study(study))
    out = export_study(study, blinded=True)
    wide = pd.read_csv(out / "wide.csv")
    assert set(wide.cell) == {"arm-1"} | {f"{w}/{f}" for w in "ABC" for f in "AB"}
    assert set(wide.warmth.dropna()) == {"A", "B", "C"} and wide[wide.cell == "arm-1"].warmth.isna().all()
    coded = run_analyses(out)
    assert coded.header["n_in_arms"] == clear.header["n_in_arms"]
    # the same F statistics, whatever the codes are called
    assert sorted(coded.primary_anova.F.dropna().round(8)) == sorted(clear.primary_anova.F.dropna().round(8))
    study.close()


def _run_real(study, n: int, seed: int) -> None:
    """Participants recorded as real (not simulated): the real engine and store, answers from the model."""
    import numpy as np

    from placebolab.frontends.base import drive
    from placebolab.frontends.simulated import SimulatedFrontend
    from placebolab.session import Session, VirtualClock
    from placebolab.simulation.model import SimulatedParticipant

    model = load_effects(FLAGSHIP_EFFECTS, study.protocol)
    for i, child in enumerate(np.random.SeedSequence(seed).spawn(n)):
        rng, clock = np.random.default_rng(child), VirtualClock()
        intake = {"sex": ["female", "male"][i % 2], "age": "30", "name": f"Person {i}"}
        session = Session.start(study, f"P{i + 1:03d}", intake, "console", clock)
        drive(
            session,
            SimulatedFrontend(SimulatedParticipant(model, study.protocol, session.participant.cell, rng), rng, clock),
        )


def test_analyze_with_level_names_before_unblind_warns_and_the_report_says_so(flagship_study):
    study = flagship_study
    _run_real(study, 16, seed=7)
    assert not any(p.simulated for p in study.store.participants())
    early = CliRunner().invoke(main, ["analyze", str(study.folder)])
    assert early.exit_code == 0, early.output  # a warning, not a refusal (docs/allocation.md says why)
    assert "Warning:" in early.stderr and "has not been unblinded" in early.stderr and "--blinded" in early.stderr
    html = (study.folder / "report.html").read_text()
    assert 'id="early-unblinded"' in html and "Analysed before unblinding" in html
    blinded = CliRunner().invoke(main, ["analyze", str(study.folder), "--blinded"])
    assert blinded.exit_code == 0 and "Warning:" not in blinded.stderr  # the blinded analysis needs no key
    assert 'id="early-unblinded"' not in (study.folder / "report-blinded.html").read_text()

    CliRunner().invoke(main, ["unblind", str(study.folder), "--reason", "analysis locked", "--by", "Dr. Analyst"])
    after = CliRunner().invoke(main, ["analyze", str(study.folder)])
    assert after.exit_code == 0 and "Warning:" not in after.stderr
    assert 'id="early-unblinded"' not in (study.folder / "report.html").read_text()


def test_simulated_data_are_analysed_with_level_names_without_a_warning(flagship_study):
    study = flagship_study
    simulate_study(study, 16, load_effects(FLAGSHIP_EFFECTS, study.protocol), seed=8)
    done = CliRunner().invoke(main, ["analyze", str(study.folder)])
    assert done.exit_code == 0 and "Warning:" not in done.stderr  # testing a protocol is not blinded data
    assert 'id="early-unblinded"' not in (study.folder / "report.html").read_text()
