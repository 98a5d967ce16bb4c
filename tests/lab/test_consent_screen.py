"""The consent screen in a real PsychoPy window on Xvfb, answered with real X input (xdotool): "I agree" is
refused until every statement is ticked (by a click on its box or its number key), and declining (its button
or D) ends the session there, recorded; the texts' hash and the statements ticked are stored."""

from __future__ import annotations

import json

from placebolab.frontends.psychopy import layout
from placebolab.study import Study
from tests.consent.protocols import PROTOCOL, consent_sha256, write_consent_protocol

from ..cli.conftest import SEED, export, run_cli
from .conftest import SCREEN, assert_detail_declared

AGREE = layout.to_pixels(-layout.CONSENT_BUTTON_X, layout.BUTTON_Y, SCREEN)
DECLINE = layout.to_pixels(layout.CONSENT_BUTTON_X, layout.BUTTON_Y, SCREEN)


def box(position: int) -> tuple[int, int]:
    return layout.to_pixels(layout.CONSENT_BOX_X, layout.consent_statement_y(position, 2), SCREEN)


def init(tmp_path):
    protocol = write_consent_protocol(tmp_path / "protocol")
    folder = tmp_path / "study"
    result = run_cli("init", protocol, folder, "--seed", SEED, cwd=tmp_path)
    assert result.code == 0, result.stderr
    return folder


def stored(study, participant):
    opened = Study.open(study)
    try:
        steps = [r for r in opened.store.rows("steps") if r["participant"] == participant]
        return steps, opened.store.step_values(participant, "consent")
    finally:
        opened.close()


def test_agree_is_refused_until_every_statement_is_ticked(tmp_path, lab):
    study = init(tmp_path)
    run = lab(study, "agree", "--participant", "P001")
    run.screen("01-consent")
    run.click(AGREE)  # refused: nothing ticked
    run.key("a")  # refused too
    run.click(box(0))  # ticks the first statement
    run.key("2", "2")  # ticks the second, then unticks it
    run.click(AGREE)  # still refused
    run.key("2")
    run.click(AGREE)
    run.screen("02-itch")
    steps, consent = stored(study, "P001")
    assert consent == {"": 1.0} and [s["step"] for s in steps] == ["consent"]
    detail = json.loads(steps[0]["detail"])
    assert detail["consent_checked"] == ["read", "data"] and detail["consent_sha256"] == consent_sha256()
    assert detail["onset"] == "flip"  # the window's frame log, as for every step
    run.type("4")
    run.key("Return")
    run.screen("03-expectancy")
    run.type("3")
    run.key("Down")
    run.type("5")
    run.key("Return")
    run.screen("04-attend_rating")
    run.type("7")
    run.key("Return")
    run.screen("05-bye")
    run.key("space")
    assert run.wait() == 0, run.output()
    tables = export(study)
    (person,) = tables["wide"]
    assert (person["status"], person["attention_failed"]) == ("completed", "1")
    assert_detail_declared(study)


def test_declining_by_its_button_ends_the_session_there(tmp_path, lab):
    study = init(tmp_path)
    run = lab(study, "decline", "--participant", "P002")
    run.screen("01-consent")
    run.click(box(1))
    run.click(DECLINE)
    assert run.wait() == 0, run.output()
    assert "P002 declined consent (step consent)" in run.output()
    assert not (tmp_path / "decline" / "02-itch.png").exists()
    steps, consent = stored(study, "P002")
    assert consent == {"": 0.0} and [s["step"] for s in steps] == ["consent"]
    assert json.loads(steps[0]["detail"])["consent_checked"] == ["data"]
    (person,) = export(study)["wide"]
    assert person["status"] == "declined"


def test_declining_by_its_key(tmp_path, lab):
    study = init(tmp_path)
    run = lab(study, "key", "--participant", "P003")
    run.screen("01-consent")
    run.key("d")
    assert run.wait() == 0, run.output()
    _, consent = stored(study, "P003")
    assert consent == {"": 0.0}


def test_a_long_text_and_many_statements_fit_and_each_box_is_where_it_is_drawn(tmp_path, lab):
    """Eight paragraphs shrink to fit above six statements set closer together; each box takes its click."""

    paragraph = "You may stop at any time without giving a reason, and nothing you answered is lost. " * 3
    text = "\n\n".join(f"**Part {n}.** {paragraph}" for n in range(1, 9))
    statements = "".join(f"      - {{id: s{n}, text: Statement number {n} is true.}}\n" for n in range(6))
    edited = PROTOCOL.replace(
        "    source: consent.md\n", "    text: |\n" + "".join(f"      {line}\n" for line in text.splitlines())
    ).replace(
        "      - {id: read, text: I have read the information above.}\n"
        "      - {id: data, text: I agree that my answers are stored without my name.}\n",
        statements,
    )
    study_dir = tmp_path / "study"
    result = run_cli(
        "init", write_consent_protocol(tmp_path / "protocol", edited), study_dir, "--seed", SEED, cwd=tmp_path
    )
    assert result.code == 0, result.stderr
    run = lab(study_dir, "long", "--participant", "P004")
    run.screen("01-consent")
    for n in range(6):
        run.click(layout.to_pixels(layout.CONSENT_BOX_X, layout.consent_statement_y(n, 6), SCREEN))
    run.click(AGREE)
    run.screen("02-itch")
    steps, consent = stored(study_dir, "P004")
    assert consent == {"": 1.0}
    assert json.loads(steps[0]["detail"])["consent_checked"] == [f"s{n}" for n in range(6)]
