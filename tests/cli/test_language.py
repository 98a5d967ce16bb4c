"""A German protocol (`language: de`) run in a real pseudo-terminal: everything the terminal adds to the
protocol's texts is German — the intake's and the ratings' error messages, the consent step's questions (its
statements confirmed with 'j') and refusal, page turns, answer prompts, the
experimenter's word, the waiting screen, the note on keys typed early, the quit question and its answer 'j' —
and no English text of the catalogue appears before the experimenter's own closing line."""

from __future__ import annotations

import re
import time

from tests.frontends.german import english_left, german_protocol

from .conftest import SEED, export, run_cli

WAIT = 3  # seconds from the pause to the last rating


def test_a_german_console_session_speaks_german(tmp_path, terminal):
    study = tmp_path / "study"
    result = run_cli(
        "init",
        german_protocol(tmp_path / "protocol", media=False, at=f"t0+{WAIT}s", consent=True),
        study,
        "--seed",
        SEED,
        cwd=tmp_path,
    )
    assert result.code == 0, result.stderr
    term = terminal("run", study, "--participant", "P001", cwd=tmp_path)

    sex = "Geschlecht (weiblich, männlich, divers): "
    term.answer(sex, "robot")
    term.expect("„robot“ ist nicht möglich; möglich sind: weiblich, männlich, divers")
    term.answer(sex, "weiblich")
    term.answer("Alter in Jahren: ", "12")
    term.expect("12 liegt außerhalb von 18–99")
    term.answer("Alter in Jahren: ", "zwanzig")
    term.expect("„zwanzig“ ist keine ganze Zahl")
    term.answer("Alter in Jahren: ", "34")

    statement = "Diese Aussage bestätigen? Tippen Sie j (ja) oder n (nein): "
    choose = "Tippen Sie a, um zuzustimmen (Ich stimme der Teilnahme zu), oder d, um abzulehnen (Ich stimme nicht zu): "
    term.expect("Sie bewerten einen Juckreiz.")
    term.answer(statement, "j")
    term.answer(statement, "nein")
    term.answer(choose, "a")  # one statement not confirmed: refused, asked again
    term.expect("Um zuzustimmen, bestätigen Sie bitte jede Aussage (j); oder lehnen Sie ab (d).")
    term.answer(statement, "ja")
    term.answer(statement, "j")
    term.answer(choose, "a")

    for _page in range(2):
        term.answer("Weiter mit [Enter] ", "")
    term.answer("Ihre Antwort (0–100): ", "150")
    term.expect("150 liegt außerhalb von 0–100. Bitte geben Sie eine Zahl von 0 bis 100 ein.")
    term.answer("Ihre Antwort (0–100): ", "viel")
    term.expect("„viel“ ist keine Zahl. Bitte geben Sie eine Zahl von 0 bis 100 ein.")
    term.answer("Ihre Antwort (0–100): ", "40")
    term.answer("Ihre Antwort (1–3): ", "2")
    term.answer("Ihre Antwort (1–3): ", "3")
    term.answer("[Versuchsleitung: 'go' eingeben und Enter drücken, um fortzufahren] ", "go")

    term.expect(re.compile(r"Bitte warten Sie\. Um \d\d:\d\d:\d\d Uhr folgt: Die nächste Frage\. "))
    term.expect("Eingaben bis dahin werden nicht gewertet.")
    term.send("5\r")  # typed during the wait: not an answer, and the participant is told so
    term.expect("(was vor dem Erscheinen dieser Frage eingegeben wurde, wird nicht gewertet)", timeout=WAIT + 10)
    term.answer("Ihre Antwort (0–10): ", "4")
    term.expect("Das war alles.")
    term.expect("Weiter mit [Enter] ")
    time.sleep(0.2)
    term.send("\x03")  # the experimenter stops at the last page
    term.answer(re.compile(r"Sitzung beenden\? Alle bisherigen Antworten sind gespeichert\. \[j/N\]\s*\n> "), "j")
    assert term.wait() == 8, term.text[-2000:]

    shown = term.text
    participant_saw = shown[: shown.rindex("The session was stopped")]  # then the experimenter's line (English)
    assert english_left(participant_saw) == []
    long = export(study)["long"]
    assert {(r["step"], r["item"]): float(r["value"]) for r in long} == {
        ("einwilligung", ""): 1,
        ("vorher", ""): 40,
        ("erwartung", "linderung"): 2,
        ("erwartung", "vertrauen"): 3,
        ("nachher", ""): 4,
    }
