"""Simulated participants through the real engine and store, then the exported tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from placebolab.errors import EffectsError
from placebolab.export import export_study
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from placebolab.study import Study
from tests.conftest import FLAGSHIP, FLAGSHIP_EFFECTS


@pytest.fixture
def simulated(flagship_study):
    model = load_effects(FLAGSHIP_EFFECTS, flagship_study.protocol)
    simulate_study(flagship_study, 80, model, seed=3)
    return flagship_study, export_study(flagship_study)


def test_simulation_is_reproducible_for_its_seed(tmp_path):
    values = []
    for name in ("a", "b"):
        study = Study.init(FLAGSHIP, tmp_path / name, seed=1)
        simulate_study(study, 12, load_effects(FLAGSHIP_EFFECTS, study.protocol), seed=42)
        values.append([(r["participant"], r["step_key"], r["item"], r["value"]) for r in study.store.rows("responses")])
        study.close()
    assert values[0] == values[1]


def test_every_simulated_participant_completes_and_is_marked(simulated):
    study, out = simulated
    wide = pd.read_csv(out / "wide.csv")
    assert len(wide) == 80 and (wide.status == "completed").all() and wide.simulated.all()
    long = pd.read_csv(out / "long.csv")
    assert long.simulated.all() and (long.frontend == "simulated").all()
    per_person = long.groupby("participant").size()
    assert (per_person == 1 + 4 + 6 + 3).all()  # baseline, 4 expectancy items, 6 checks, 3 itch_post


def test_the_effects_file_shapes_the_data(simulated):
    _, out = simulated
    means = pd.read_csv(out / "wide.csv").groupby("cell")[["itch_post", "check.warmth", "check.competence"]].mean()
    assert means.loc["warm/high", "itch_post"] < means.loc["neutral/low", "itch_post"] - 5
    assert (
        means.loc[["warm/high", "warm/low"], "check.warmth"].min()
        > means.loc[["neutral/high", "neutral/low"], "check.warmth"].max()
    )
    assert (
        means.loc[["warm/high", "neutral/high"], "check.competence"].min()
        > means.loc[["warm/low", "neutral/low"], "check.competence"].max()
    )


def test_wide_scores_follow_the_score_rules_from_the_long_table(simulated):
    _, out = simulated
    long, wide = pd.read_csv(out / "long.csv"), pd.read_csv(out / "wide.csv").set_index("participant")
    expectancy = long[long.step == "expectancy"].pivot(index="participant", columns="item", values="value")
    reflected = expectancy.assign(doubt=0 + 10 - expectancy.doubt)  # reverse-keyed on a 0–10 scale
    np.testing.assert_allclose(wide.loc[expectancy.index, "expectancy.expectancy"], reflected.mean(axis=1))
    post = long[long.step == "itch_post"].pivot(index="participant", columns="occasion", values="value")
    np.testing.assert_allclose(wide.loc[post.index, "itch_post@t0+9min"], post["t0+9min"])
    np.testing.assert_allclose(wide.loc[post.index, "itch_post"], post.mean(axis=1))


def test_times_since_the_mark_match_the_schedule(simulated):
    _, out = simulated
    long = pd.read_csv(out / "long.csv")
    post = long[long.step == "itch_post"]
    scheduled = post.occasion.map({"t0+3min": 180, "t0+9min": 540, "t0+15min": 900})
    assert (post.t_since_t0 >= scheduled).all()
    assert (post.t_since_t0 - scheduled < 120).all()
    assert (long.rt > 0).all()


def test_identifying_intake_is_never_exported(simulated):
    _, out = simulated
    for name in ("long.csv", "wide.csv", "codebook.csv"):
        text = (out / name).read_text()
        assert "Alex" not in text
    assert "name" not in pd.read_csv(out / "wide.csv").columns


def test_the_codebook_describes_every_wide_column(simulated):
    study, out = simulated
    book = json.loads((out / "codebook.json").read_text())
    wide = pd.read_csv(out / "wide.csv")
    assert [c["name"] for c in book["columns"]] == list(wide.columns)
    assert book["protocol_sha256"] == study.protocol_sha256
    kinds = {c["name"]: c for c in book["columns"]}
    assert kinds["warmth"]["kind"] == "factor" and kinds["warmth"]["levels"] == ["warm", "neutral"]
    assert kinds["itch_post"]["role"] == "symptom" and "mean of" in kinds["itch_post"]["derived"]
    assert "reverse-keyed: doubt" in kinds["expectancy.expectancy"]["derived"]
    assert book["analysis"]["primary"] == {
        "outcome": "itch_post",
        "baseline": "itch_baseline",
        "between": ["warmth", "competence"],
        "equivalence": None,  # the plan asks for no equivalence test
        "bayes_factor": False,
    }
    assert kinds["itch_post"]["measurement"] == "continuous" and "labels" not in kinds["itch_post"]
    assert kinds["check.warm"]["measurement"] == "continuous"  # a 1–7 NRS: the instrument's scale


def test_a_null_model_without_effects_file_still_runs(flagship_study):
    simulate_study(flagship_study, 8, load_effects(None, flagship_study.protocol), seed=1)
    assert len(flagship_study.store.participants()) == 8


@pytest.mark.parametrize(
    "text, message",
    [
        ("measures:\n  itch_pots: {mean: 3}\n", "2:14: measures.itch_pots: 'itch_pots' matches no measure"),
        ("measures:\n  itch_post: {mean: {warm/hihg: 3}}\n", "warm/hihg' is not a cell"),
        ("measures:\n  itch_post: {sd: -1}\n", "measures.itch_post.sd"),
        ("measures:\n  itch_post: {mena: 3}\n", "did you mean `mean`"),
        ("measures: [\n", "YAML syntax"),
    ],
)
def test_a_bad_effects_file_is_located(flagship_study, tmp_path, text, message):
    path = tmp_path / "effects.yaml"
    path.write_text(text)
    with pytest.raises(EffectsError) as caught:
        load_effects(path, flagship_study.protocol)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
