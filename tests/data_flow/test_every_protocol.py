"""Every protocol in protocols/ runs end to end: init, simulated participants, export, analysis, report."""

from __future__ import annotations

import pytest

from placebolab.analysis.plan import run_analyses
from placebolab.export import export_study
from placebolab.report import build_report
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from placebolab.study import Study
from tests.conftest import ROOT

PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))


def test_there_are_protocols_to_check():
    assert PROTOCOLS


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_protocol_simulates_and_analyses_end_to_end(path, tmp_path):
    study = Study.init(path, tmp_path / path.stem, seed=2)
    effects = ROOT / "protocols" / "effects" / path.name
    model = load_effects(effects if effects.exists() else None, study.protocol)
    n = 12 * len(study.protocol.cells)
    simulate_study(study, n, model, seed=3)
    out = export_study(study)
    results = run_analyses(out)
    assert results.header["n_analysed"] + results.header["n_in_arms"] == n
    if study.protocol.analysis:
        anova = results.primary_anova
        assert anova is not None and {"Residual", *study.protocol.factors} <= set(anova.Source)
    report = build_report(out)
    assert report.stat().st_size > 10_000
    study.close()
