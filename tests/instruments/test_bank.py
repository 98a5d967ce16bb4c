"""The instrument bank: every instrument loads, and each one's scoring on hand-worked cases."""

from __future__ import annotations

import pytest

from placebolab.components import QuestionnaireStep
from placebolab.components.scales import NOT_APPLICABLE_CODE
from placebolab.instruments import bank, expand_step

NA = NOT_APPLICABLE_CODE
CARE_WORDING = {item.id: f"Item {n}" for n, item in enumerate(bank()["care"].items, start=1)}


def step(instrument: str, **more) -> QuestionnaireStep:
    step = {"id": "q", "type": "questionnaire", "instrument": instrument, **more}
    return QuestionnaireStep.model_validate(step, context={"expand_instrument": expand_step})


def test_the_bank_holds_the_instruments_the_studies_need():
    assert {"ceq", "care", "expectation-nrs", "warmth-competence", "manipulation-check"} <= set(bank())
    for name, instrument in bank().items():
        assert instrument.source and instrument.licence, f"{name} must cite its source and say what is shipped"


def test_ceq_credibility_sums_items_1_to_3_and_expectancy_maps_the_percent_items_onto_1_to_9():
    # Hand-worked: credibility = 7 + 6 + 8 = 21; expectancy = (1 + 8 × 0.5) + 6 + (1 + 8 × 0.7) = 5 + 6 + 6.6 = 17.6
    answers = {"logical": 7, "successful": 6, "recommend": 8, "improve_think": 50, "feel_help": 6, "improve_feel": 70}
    scores = step("ceq").score(answers)
    assert scores["credibility"] == 21
    assert scores["expectancy"] == pytest.approx(17.6)


def test_ceq_percent_items_take_steps_of_ten_and_both_factors_run_3_to_27():
    ceq = step("ceq")
    improve = next(i for i in ceq.records() if i.id == "improve_think")
    assert improve.check(40) == 40
    with pytest.raises(ValueError, match="steps of 10"):
        improve.check(45)
    assert ceq.score_range("credibility") == (3, 27)
    assert ceq.score_range("expectancy") == (3, 27)


def test_care_sums_ten_items_from_10_to_50():
    answers = dict(zip(CARE_WORDING, [5, 4, 4, 3, 5, 5, 4, 3, 2, 4], strict=True))  # 39
    care = step("care", wording=CARE_WORDING)
    assert care.score(answers) == {"care": 39}
    assert care.score_range("care") == (10, 50)


def test_care_replaces_up_to_two_not_applicable_answers_by_the_mean_of_the_others():
    # Eight answered, 5+4+4+3+5+5+4+3 = 33, mean 4.125; the two "does not apply" become 4.125 each: 41.25
    values = [5, 4, 4, 3, 5, 5, 4, 3, NA, NA]
    care = step("care", wording=CARE_WORDING)
    assert care.score(dict(zip(CARE_WORDING, values, strict=True)))["care"] == pytest.approx(41.25)


def test_care_is_not_scored_with_three_not_applicable_or_missing_answers():
    values = [5, 4, 4, 3, 5, 5, 4, NA, NA, None]
    care = step("care", wording=CARE_WORDING)
    assert care.score(dict(zip(CARE_WORDING, values, strict=True)))["care"] is None


def test_care_accepts_does_not_apply_as_an_answer_but_nothing_else_off_the_scale():
    item = step("care", wording=CARE_WORDING).records()[0]
    assert item.check(NA) == NA
    assert item.check(5) == 5
    with pytest.raises(ValueError, match="outside 1–5"):
        item.check(6)


def test_care_wording_comes_from_the_protocol():
    care = step("care", wording=CARE_WORDING)
    assert [i.text for i in care.items] == list(CARE_WORDING.values())
    with pytest.raises(ValueError, match="wording of care is not shipped"):
        step("care")


def test_expectation_nrs_mean_reflects_the_doubt_item_and_allows_one_missing():
    # (8 + 6 + 7 + (10 − 3)) / 4 = 7; without doubt (8 + 6 + 7) / 3 = 7; two missing: no score
    expectation = step("expectation-nrs")
    assert expectation.score({"relief": 8, "logical": 6, "confident": 7, "doubt": 3}) == {"expectancy": 7}
    assert expectation.score({"relief": 8, "logical": 6, "confident": 7}) == {"expectancy": 7}
    assert expectation.score({"relief": 8, "logical": 6}) == {"expectancy": None}


def test_warmth_competence_means_per_dimension():
    answers = {"warm": 6, "caring": 5, "friendly": 7, "competent": 2, "confident": 3, "skilled": 1}
    assert step("warmth-competence").score(answers) == {"warmth": 6, "competence": 2}


def test_manipulation_check_reflects_the_cold_item():
    # warmth: (6 + 5 + (1 + 7 − 2)) / 3 = 17/3; competence: (4 + 5) / 2 = 4.5
    answers = {"cared": 6, "understood": 5, "knew": 4, "chose_well": 5, "credible": 7, "cold": 2}
    scores = step("manipulation-check").score(answers)
    assert scores["warmth"] == pytest.approx(17 / 3)
    assert scores["competence"] == 4.5


def test_a_step_may_reword_items_and_override_the_prompt():
    reworded = step(
        "expectation-nrs", prompt="About the cream:", wording={"relief": "Will the cream relieve your itch?"}
    )
    assert reworded.prompt == "About the cream:"
    assert reworded.items[0].text == "Will the cream relieve your itch?"
    assert reworded.items[1].text == bank()["expectation-nrs"].items[1].text


def test_does_not_apply_is_exported_as_missing_and_scored_as_unanswered(tmp_path):
    import pandas as pd

    from placebolab.export import export_study
    from placebolab.session import Session, VirtualClock
    from placebolab.study import Study
    from tests.protocol.bad import copy_flagship, replace_once

    protocol = copy_flagship(tmp_path)
    wording = ", ".join(f"{key}: {text}" for key, text in CARE_WORDING.items())
    replace_once(
        protocol,
        "  - id: cream\n",
        f"  - {{id: care, type: questionnaire, instrument: care, wording: {{{wording}}}}}\n\n  - id: cream\n",
    )
    study = Study.init(protocol, tmp_path / "study", seed=1)
    clock = VirtualClock(1_000.0)
    session = Session.start(study, "P001", {"sex": "female", "age": 30, "name": "Ana"}, "simulated", clock)
    answers = {
        "welcome": {},
        "itch_baseline": {"": 50},
        "clinician": {},
        "expectancy": {"relief": 5, "logical": 5, "confident": 5, "doubt": 5},
        "check": {"warm": 4, "caring": 4, "friendly": 4, "competent": 4, "confident": 4, "skilled": 4},
        "care": dict(zip(CARE_WORDING, [5, 4, 4, 3, 5, 5, 4, 3, NA, NA], strict=True)),
    }
    for key, values in answers.items():
        session.submit(key, values, clock.now())
    out = export_study(study)
    wide = pd.read_csv(out / "wide.csv")
    assert wide.loc[0, "care.care"] == pytest.approx(41.25)
    assert pd.isna(wide.loc[0, "care.plan"]) and wide.loc[0, "care.at_ease"] == 5
    long = pd.read_csv(out / "long.csv")
    assert long.loc[(long.step == "care") & (long["item"] == "plan"), "value"].item() == NA
    import json

    entry = next(e for e in json.loads((out / "codebook.json").read_text())["columns"] if e["name"] == "care.plan")
    assert "Does not apply" in entry["missing"]
    study.close()
