"""An effects file's `baseline:` is one earlier draw of the same simulated participant (a rating or an item).
Anything else (a questionnaire score, a later measure, the measure itself) would silently give r ≈ 0, so
it is refused with the file, line and key, and `placebolab power` and `placebolab simulate` refuse alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from placebolab.cli import main
from placebolab.power.planning import outcome_model
from placebolab.protocol import load_protocol
from placebolab.simulation.model import SimulatedParticipant, load_effects

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "protocols" / "warmth-competence-itch.yaml"
ITCH_POST = "  itch_post: {mean: {warm/high: 33, default: 45}, sd: 14, "

BAD = [
    (
        "a score as baseline",
        ITCH_POST + "baseline: expectancy.expectancy, r: 0.6}",
        "measures.itch_post.baseline",
        (
            "'expectancy.expectancy' is a questionnaire score",
            "a baseline must be a rating or an item, e.g. expectancy.relief",
        ),
    ),
    (
        "a score modelled directly",
        "  expectancy.expectancy: {mean: 7, sd: 1}",
        "measures.expectancy.expectancy",
        ("'expectancy.expectancy' is a questionnaire score", "model its items instead, e.g. `expectancy.*`"),
    ),
    (
        "a baseline measured after the measure",
        "  itch_baseline: {mean: 56, sd: 16, baseline: check.warm, r: 0.5}",
        "measures.itch_baseline.baseline",
        ("check.warm comes after itch_baseline in the timeline",),
    ),
    (
        "a measure as its own baseline",
        "  expectancy.*: {mean: 5, sd: 1.5, baseline: expectancy.relief, r: 0.5}",
        "measures.expectancy.*.baseline",
        ("expectancy.relief cannot be its own baseline",),
    ),
]


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("effects") / "study"
    result = CliRunner().invoke(main, ["init", str(FLAGSHIP), str(folder)])
    assert result.exit_code == 0, result.output
    return str(folder)


@pytest.mark.parametrize(("line", "key", "words"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_power_and_simulate_refuse_a_baseline_that_cannot_be_modelled_alike(tmp_path, study, line, key, words):
    effects = tmp_path / "effects.yaml"
    effects.write_text(f"description: bad\nmeasures:\n{ITCH_POST}baseline: itch_baseline, r: 0.7}}\n{line}\n")
    if line.startswith(ITCH_POST):
        effects.write_text(f"description: bad\nmeasures:\n{line}\n")
    runner = CliRunner()
    power = runner.invoke(main, ["power", str(FLAGSHIP), "--effects", str(effects), "--n", "20", "--sims", "10"])
    simulate = runner.invoke(main, ["simulate", study, "-n", "2", "--effects", str(effects)])
    line_number = effects.read_text().splitlines().index(line) + 1
    for result in (power, simulate):
        assert result.exit_code == 3, result.output
        assert f"{effects}:{line_number}:" in result.output and f": {key}: " in result.output
        assert all(word in result.output for word in words), result.output
        assert "Traceback" not in result.output
    assert power.output.strip().splitlines()[-1] == simulate.output.strip().splitlines()[-1]


def test_an_item_as_baseline_gives_the_correlation_asked_for(tmp_path):
    """4,000 simulated participants: r's standard error is (1 − r²)/√n ≈ 0.01; rounding the 0–10 item to whole
    numbers attenuates r by √(2.25 / (2.25 + 1/12)) ≈ 0.98 (0.6 → 0.59), so |r̂ − 0.6| < 0.04 is 4 SE."""
    effects = tmp_path / "effects.yaml"
    effects.write_text(
        "measures:\n  expectancy.*: {mean: 5, sd: 1.5}\n"
        "  itch_post: {mean: 50, sd: 10, baseline: expectancy.relief, r: 0.6}\n"
    )
    protocol = load_protocol(FLAGSHIP)
    model = load_effects(effects, protocol)
    relief = next(i for i in protocol.step("expectancy").records() if i.id == "relief")
    rating = protocol.step("itch_post").records()[0]
    rng = np.random.default_rng(11)
    pairs = []
    for _ in range(4000):
        person = SimulatedParticipant(model, protocol, "warm/high", rng)
        pairs.append((person.draw("expectancy.relief", relief), person.draw("itch_post", rating)))
    assert np.corrcoef(np.array(pairs).T)[0, 1] == pytest.approx(0.6, abs=0.04)


def test_power_models_a_common_scale_score_as_simulated_participants_score_it():
    """The CEQ expectancy score maps 0–100 % items onto 1–9 before summing (`common_scale`); the power model
    of it as an outcome has the mean and sd of the scores of 4,000 simulated participants per cell (SE of a
    mean ≈ 2.6/√4000 ≈ 0.04; clipping to the scale moves it a little more, so within 0.25)."""
    protocol = load_protocol(ROOT / "protocols" / "video-vignette-anxiety.yaml")
    effects = load_effects(ROOT / "protocols" / "effects" / "video-vignette-anxiety.yaml", protocol)
    primary = protocol.analysis.primary.model_copy(update={"outcome": "expectancy.expectancy", "baseline": None})
    plan = protocol.analysis.model_copy(update={"primary": primary})
    model = outcome_model(protocol.model_copy(update={"analysis": plan}), effects)
    step, rng = protocol.step("expectancy"), np.random.default_rng(3)
    for cell in ("warm/high", "neutral/low"):
        scores = [
            step.score(step.simulate(SimulatedParticipant(effects, protocol, cell, rng).draw))["expectancy"]
            for _ in range(4000)
        ]
        assert np.mean(scores) == pytest.approx(model.cell_means[cell], abs=0.25)
        assert np.std(scores) == pytest.approx(model.sd, rel=0.06)
