"""An effects file's `baseline:` is something measured earlier that the simulated participant's answers
can correlate with: a rating, an item, or a questionnaire score (the standardised combination of its
items' draws). `simulate` gives the correlation asked for and `power` models the same; what cannot be
modelled (a score of a scheduled step or of items with baselines of their own, a later measure, the
measure itself, a score modelled directly) is refused with file, line and key, by both alike."""

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
SCORE_BASELINE = ITCH_POST + "baseline: expectancy.expectancy, r: 0.6}"

# (id, lines of `measures:`, the line the problem is on, its key, words of the message)
BAD = [
    (
        "a score of items with baselines of their own",
        [SCORE_BASELINE, "  expectancy.*: {mean: 5, sd: 1.7, baseline: itch_baseline, r: 0.3}"],
        SCORE_BASELINE,
        "measures.itch_post.baseline",
        ("'expectancy.expectancy' is a questionnaire score", "expectancy.relief, expectancy.logical", "has a baseline"),
    ),  # fmt: skip
    (
        "a score modelled directly",
        ["  expectancy.expectancy: {mean: 7, sd: 1}"],
        "  expectancy.expectancy: {mean: 7, sd: 1}",
        "measures.expectancy.expectancy",
        ("'expectancy.expectancy' is a questionnaire score", "model its items instead, e.g. `expectancy.*`"),
    ),
    (
        "a baseline measured after the measure",
        ["  itch_baseline: {mean: 56, sd: 16, baseline: check.warm, r: 0.5}"],
        "  itch_baseline: {mean: 56, sd: 16, baseline: check.warm, r: 0.5}",
        "measures.itch_baseline.baseline",
        ("check.warm comes after itch_baseline in the timeline",),
    ),
    (
        "a measure as its own baseline",
        ["  expectancy.*: {mean: 5, sd: 1.5, baseline: expectancy.relief, r: 0.5}"],
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


@pytest.mark.parametrize(("lines", "line", "key", "words"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_power_and_simulate_refuse_a_baseline_that_cannot_be_modelled_alike(tmp_path, study, lines, line, key, words):
    effects = tmp_path / "effects.yaml"
    effects.write_text("description: bad\nmeasures:\n" + "\n".join(lines) + "\n")
    runner = CliRunner()
    plot = str(tmp_path / "power.png")
    power = runner.invoke(main, ["power", str(FLAGSHIP), "--effects", str(effects), "--sims", "10", "--out", plot])
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


SCORE_EFFECTS = (
    "measures:\n  expectancy.*: {mean: 5, sd: 1.7}\n"
    "  itch_post: {mean: 40, sd: 14, baseline: expectancy.expectancy, r: 0.6}\n"
)


def _score_and_itch(protocol, effects, n: int, seed: int):
    """Per simulated participant: the expectancy score as the questionnaire scores it, and the three itch_post
    answers, drawn in timeline order by the real simulated participant."""
    expectancy, rating = protocol.step("expectancy"), protocol.step("itch_post").records()[0]
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        person = SimulatedParticipant(effects, protocol, "warm/high", rng)
        score = expectancy.score(expectancy.simulate(person.draw))["expectancy"]
        rows.append([score, *(person.draw("itch_post", rating) for _ in range(3))])
    return np.array(rows)


def test_a_score_as_baseline_gives_the_correlation_asked_for_and_power_models_the_same(tmp_path):
    """4,000 participants: r's SE ≈ (1 − r²)/√n < 0.01; rounding the 0–10 items to whole numbers attenuates r
    by √(2.89 / (2.89 + 1/12)) ≈ 0.986 (0.6 → 0.59, 0.79 → 0.78), so within 0.03."""
    effects_file = tmp_path / "effects.yaml"
    effects_file.write_text(SCORE_EFFECTS)
    protocol = load_protocol(FLAGSHIP)
    effects = load_effects(effects_file, protocol)
    rows = _score_and_itch(protocol, effects, 4000, seed=8)
    assert np.corrcoef(rows[:, 0], rows[:, 1])[0, 1] == pytest.approx(0.6, abs=0.03)  # one occasion: r as asked
    primary = protocol.analysis.primary.model_copy(update={"baseline": "expectancy.expectancy"})
    planned = protocol.model_copy(update={"analysis": protocol.analysis.model_copy(update={"primary": primary})})
    model = outcome_model(planned, effects)
    assert model.baseline_r == pytest.approx(0.6 / np.sqrt(0.36 + 0.64 / 3))  # the mean of three occasions
    measured = np.corrcoef(rows[:, 0], rows[:, 1:].mean(axis=1))[0, 1]
    assert measured == pytest.approx(model.baseline_r, abs=0.03)
