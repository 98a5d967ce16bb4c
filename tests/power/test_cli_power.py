"""`placebolab power PROTOCOL --effects FILE`: the table, the needed n, the plot; bad input one line each."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from placebolab.power.planning import outcome_model, required_n
from placebolab.protocol import load_protocol
from placebolab.simulation.model import SimulatedParticipant, load_effects
from tests.cli.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "protocols" / "warmth-competence-itch.yaml"
EFFECTS = ROOT / "protocols" / "effects" / "warmth-competence-itch.yaml"


def test_power_of_the_flagship(tmp_path):
    out, table = tmp_path / "curve.png", tmp_path / "power.csv"
    result = run_cli(
        "power",
        FLAGSHIP,
        "--effects",
        EFFECTS,
        "--n",
        "20:60:20",
        "--sims",
        "2000",
        "--seed",
        "1",
        "--out",
        out,
        "--csv",
        table,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.code == 0, result.stderr
    text = result.stdout
    for effect in ("warmth * competence", "competence at warmth=neutral", "ANCOVA (adjusted for itch_baseline)"):
        assert effect in text
    assert "n/cell for 0.8" in text and "mean of 3 occasions" in text
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = list(csv.DictReader(table.open()))
    assert {r["n_per_cell"] for r in rows} == {"20", "40", "60"}
    assert len(rows) == 3 * 14  # 7 effects (2 main, 1 interaction, 4 simple) × ANOVA/ANCOVA × 3 n
    for row in rows:  # 2,000 studies: the simulated power is within 4 SE of the analytic
        exact, simulated = float(row["power_analytic"]), float(row["power_simulated"])
        assert abs(simulated - exact) <= 4 * max(np.sqrt(exact * (1 - exact) / 2000), 1e-3)


def test_default_plot_goes_to_the_current_folder(tmp_path):
    result = run_cli("power", FLAGSHIP, "--effects", EFFECTS, "--n", "30", "--sims", "200", "--seed", "2", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert (tmp_path / "power-warmth-competence-itch.png").is_file()


def test_the_needed_n_is_the_first_to_reach_the_target():
    protocol = load_protocol(FLAGSHIP)
    model = outcome_model(protocol, load_effects(EFFECTS, protocol))
    needed = required_n(model, 0.8).set_index(["analysis", "effect"])
    from placebolab.power import analytic_power

    for (analysis, effect), n in needed["n_per_cell"].items():
        at = analytic_power(n_per_cell=int(n), **model.arguments()).set_index(["analysis", "effect"])
        before = analytic_power(n_per_cell=int(n) - 1, **model.arguments()).set_index(["analysis", "effect"])
        assert at.loc[(analysis, effect), "power"] >= 0.8
        assert int(n) == 2 or before.loc[(analysis, effect), "power"] < 0.8


def test_the_outcome_model_is_what_simulated_participants_answer():
    """The mean of three itch_post occasions and its correlation with itch_baseline, drawn by the real
    simulated participants (10,000 of one cell), match the reduced model the power analysis uses."""
    protocol = load_protocol(FLAGSHIP)
    effects = load_effects(EFFECTS, protocol)
    model = outcome_model(protocol, effects)
    rating = protocol.step("itch_post").records()[0]
    baseline_item = protocol.step("itch_baseline").records()[0]
    rng = np.random.default_rng(5)
    post, base = [], []
    for _ in range(10_000):
        person = SimulatedParticipant(effects, protocol, "warm/low", rng)
        base.append(person.draw("itch_baseline", baseline_item))
        post.append(np.mean([person.draw("itch_post", rating) for _ in range(3)]))
    post, base = np.array(post), np.array(base)
    assert post.mean() == pytest.approx(model.cell_means["warm/low"], abs=0.4)  # SE ≈ 0.11
    assert post.std() == pytest.approx(model.sd, rel=0.04)  # clipping and rounding aside
    assert np.corrcoef(post, base)[0, 1] == pytest.approx(model.baseline_r, abs=0.02)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--n", "1:5"], 7, "n too small"),
        (["--alpha", "1.5"], 7, "alpha must lie strictly between 0 and 1"),
        (["--target", "1"], 7, "target power must lie strictly between 0 and 1"),
        (["--n", "20:10"], 2, "START:STOP:STEP"),
    ],
)
def test_bad_options_are_one_line(tmp_path, args, code, message):
    result = run_cli("power", FLAGSHIP, "--effects", EFFECTS, "--sims", "10", *args, cwd=tmp_path)
    assert result.code == code, result.stderr
    assert message in result.stderr
    if code != 2:
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("measures", "message"),
    [
        ("itch_post: {mean: {warm/high: 30, warm/low: 40, neutral/high: 40}, sd: 14}", "no mean for neutral/low"),
        ("itch_post: {mean: {warm/high: 30, cold/low: 40, default: 45}, sd: 14}", "'cold/low' is not a cell"),
        (
            "itch_post: {mean: {warm/high: 30, default: 45}, sd: 0}",
            "itch_post.sd: 0 is out of range; it must be above 0",
        ),
        ("itch_baseline: {mean: 50, sd: 10}", "no model for the primary outcome itch_post"),
    ],
)
def test_bad_effects_files_are_one_line(tmp_path, measures, message):
    effects = tmp_path / "effects.yaml"
    effects.write_text(f"measures:\n  {measures}\n", encoding="utf-8")
    result = run_cli("power", FLAGSHIP, "--effects", effects, "--sims", "10", cwd=tmp_path)
    assert result.code == 3, result.stderr
    assert message in result.stderr
    assert not list(tmp_path.glob("*.png"))


def _flagship_variant(tmp_path, old: str, new: str) -> Path:
    from tests.cli.conftest import write_short_protocol

    path = write_short_protocol(tmp_path, schedule="[t0+3min, t0+9min, t0+15min]")
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


PRIMARY = "primary: {outcome: itch_post, baseline: itch_baseline, between: [warmth, competence]}"


def test_without_a_planned_baseline_there_is_no_ancova(tmp_path):
    path = _flagship_variant(tmp_path, PRIMARY, "primary: {outcome: itch_post, between: [warmth, competence]}")
    protocol = load_protocol(path)
    model = outcome_model(protocol, load_effects(EFFECTS, protocol))
    assert model.baseline_r is None
    # three occasions sharing the baseline's z: sd 14 · √(0.49 + 0.51/3)
    assert model.sd == pytest.approx(14 * np.sqrt(0.49 + 0.51 / 3))
    result = run_cli("power", path, "--effects", EFFECTS, "--n", "30", "--sims", "500", "--seed", "3", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert "ANCOVA" not in result.stdout and "analytic" in result.stdout


def test_an_analysis_over_some_factors_only_is_refused(tmp_path):
    path = _flagship_variant(tmp_path, PRIMARY, "primary: {outcome: itch_post, between: [warmth]}")
    text = path.read_text(encoding="utf-8")  # the flagship's hypotheses test competence, no longer analysed
    path.write_text(text[: text.index("  hypotheses:")] + text[text.index("  ss_type:") :], encoding="utf-8")
    result = run_cli("power", path, "--effects", EFFECTS, "--sims", "10", cwd=tmp_path)
    assert result.code == 7
    assert "power is computed for analyses over all factors" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_score_outcome_is_the_mean_of_its_simulated_items(tmp_path):
    """expectancy.expectancy = mean of 4 items, each sd 1.7 in the effects file: sd 0.85 — as the real
    simulated participants' scored answers show (10,000 in one cell; rounding to whole points adds a little)."""
    path = _flagship_variant(
        tmp_path, PRIMARY, "primary: {outcome: expectancy.expectancy, between: [warmth, competence]}"
    )
    protocol = load_protocol(path)
    effects = load_effects(EFFECTS, protocol)
    model = outcome_model(protocol, effects)
    assert model.baseline_r is None and model.sd == pytest.approx(0.85)
    assert model.cell_means == {"warm/high": 6.8, "warm/low": 5.1, "neutral/high": 5.9, "neutral/low": 4.6}
    step = protocol.step("expectancy")
    rng = np.random.default_rng(9)
    scores = [
        step.score(step.simulate(SimulatedParticipant(effects, protocol, "neutral/low", rng).draw))["expectancy"]
        for _ in range(10_000)
    ]
    assert np.mean(scores) == pytest.approx(4.6, abs=0.03)
    assert np.std(scores) == pytest.approx(model.sd, rel=0.04)
    result = run_cli("power", path, "--effects", EFFECTS, "--n", "20", "--sims", "500", "--seed", "3", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert "expectancy.expectancy is the mean of 4 items" in result.stdout


def test_a_binary_primary_outcome_is_refused_in_one_line(tmp_path):
    import shutil

    shutil.copytree(ROOT / "stimuli" / "ibs-three-arm", tmp_path / "stimuli" / "ibs-three-arm")
    (tmp_path / "protocols").mkdir()
    text = (ROOT / "protocols" / "ibs-three-arm.yaml").read_text(encoding="utf-8")
    path = tmp_path / "protocols" / "ibs.yaml"
    path.write_text(text.replace("    outcome: severity_post\n", "    outcome: relief\n", 1), encoding="utf-8")
    for asked in ("    equivalence: {bound: 10, units: raw}\n", "    bayes_factor: true\n"):  # continuous only
        path.write_text(path.read_text().replace(asked, ""), encoding="utf-8")
    plan = path.read_text()  # comparisons of means too: validate refuses them on a binary outcome
    path.write_text(plan[: plan.index("  contrasts:\n")], encoding="utf-8")
    effects = ROOT / "protocols" / "effects" / "ibs-three-arm.yaml"
    result = run_cli("power", path, "--effects", effects, "--sims", "10", cwd=tmp_path)
    assert result.code == 7
    assert "the primary outcome relief is binary" in result.stderr and "not for a logistic" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
