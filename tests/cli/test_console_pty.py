"""A whole console session driven through a real pseudo-terminal: intake, pages, ratings (with a wrong
entry re-asked), the experimenter pause and the timed ratings; then the export holds exactly what was typed."""

from __future__ import annotations

import re

from tests.engine.schedule_protocols import rating, write_protocol

from .conftest import SEED, export, run_cli, stored_steps
from .flagship_session import (
    ANSWERS,
    ENTER,
    GO,
    ITCH,
    PLAN,
    SCORES,
    answer_intake,
    answer_prompt,
    do_step,
    finish,
    step_rule,
)


def test_a_console_session_stores_exactly_what_was_typed(study, terminal):
    term = terminal("run", study, "--participant", "P001", cwd=study.parent)
    answer_intake(term, sex="female", age="34", name="Robin")

    do_step(term, "welcome")

    # itch_baseline: an out-of-range value and a non-number are refused and asked again
    term.expect(step_rule(2))
    term.expect(ITCH)
    term.answer(answer_prompt("itch_baseline"), "150")
    term.expect("150 is outside 0–100. Please type a number from 0 to 100.")
    term.answer(answer_prompt("itch_baseline"), "lots")
    term.expect("'lots' is not a number. Please type a number from 0 to 100.")
    term.answer(answer_prompt("itch_baseline"), "[/red]")  # shown as typed, not taken as terminal markup
    term.expect("'[/red]' is not a number. Please type a number from 0 to 100.")
    term.answer(answer_prompt("itch_baseline"), "62.5")
    term.expect("62.5 is not on the scale")
    term.answer(answer_prompt("itch_baseline"), str(ANSWERS["itch_baseline", "", ""]))

    clinician_starts = term.pos
    do_step(term, "clinician")
    script = term.since(clinician_starts)
    assert "Dr. Morgan Lee" in script
    do_step(term, "expectancy")
    do_step(term, "check")

    # the experimenter pause waits for the word 'go', nothing else
    term.expect(step_rule(6))
    term.answer(GO, "ok")
    term.answer(GO, "go")

    term.expect(re.compile(r"Next, at \d\d:\d\d:\d\d: The next question"))  # the waiting screen of a timed rating
    do_step(term, "itch_post@t0+1s")
    do_step(term, "itch_post@t0+2s")
    do_step(term, "debrief")
    finish(term)

    tables = export(study)
    (person,) = tables["wide"]
    cell = person["cell"]
    assert person["participant"] == "P001" and person["status"] == "completed"
    assert (person["sex"], person["age"]) == ("female", "34")
    assert cell.split("/") == [person["warmth"], person["competence"]]

    # long.csv: one row per answer, exactly the values typed, per step / occasion / item
    long = tables["long"]
    got = {(r["step"], r["occasion"], r["item"]): float(r["value"]) for r in long}
    assert len(got) == len(long), "an answer is stored twice"
    assert got == {key: float(value) for key, value in ANSWERS.items()}
    assert {r["participant"] for r in long} == {"P001"}
    assert {r["cell"] for r in long} == {cell}
    assert {r["frontend"] for r in long} == {"console"}

    # wide.csv: the scores computed from them (doubt is reverse-keyed in expectancy.expectancy)
    for column, expected in SCORES.items():
        assert float(person[column]) == expected, column

    # steps.csv: every step of the plan shown once; the store has them in the order of the plan
    shown = [r["step"] + (f"@{r['occasion']}" if r["occasion"] else "") for r in tables["steps"]]
    assert sorted(shown) == sorted(PLAN)
    assert stored_steps(study, "P001") == PLAN

    # the name is used in the session (by the warm clinician) but never exported
    assert ("Robin" in script) == (person["warmth"] == "warm")
    assert "name" not in person
    exported = "".join(
        (study / "export" / f).read_text(encoding="utf-8") for f in ("long.csv", "wide.csv", "steps.csv")
    )
    assert "Robin" not in exported


def test_a_wrong_intake_answer_is_asked_again(study, terminal):
    term = terminal("run", study, "--participant", "P002", cwd=study.parent)
    term.answer("Sex (female, male, diverse): ", "robot")
    term.expect("'robot' is not one of female, male, diverse")
    term.answer("Sex (female, male, diverse): ", "[/red]")
    term.expect("'[/red]' is not one of female, male, diverse")
    term.answer("Sex (female, male, diverse): ", "male")
    term.answer("Age in years: ", "12")
    term.expect("12 is outside 18–99")
    term.answer("Age in years: ", "twenty")
    term.expect("'twenty' is not a whole number")
    term.answer("Age in years: ", "20")
    term.answer("First name the clinician should use: ", "")
    term.expect("an answer is needed")
    term.answer("First name the clinician should use: ", "Kim")
    term.expect(step_rule(1))
    term.expect(ENTER)
    term.send("\x03")  # stop at the first page: nothing but the enrolment is stored
    term.answer(re.compile(r"Quit the session\? Every answer so far is saved\. \[y/N\]\s*\n> "), "y")
    assert term.wait() == 8
    (person,) = export(study)["wide"]
    assert (person["participant"], person["sex"], person["age"], person["status"]) == (
        "P002",
        "male",
        "20",
        "incomplete",
    )


def test_a_scale_in_steps_of_ten_says_so_when_asked_and_when_refused(tmp_path, terminal):
    """0–100 in tens: the prompt names the steps, and 45 is refused with the values it may be (not "a number
    from 0 to 100", which 45 is)."""
    protocol = write_protocol(tmp_path, rating("improve", scale="{type: nrs, min: 0, max: 100, step: 10}"))
    assert run_cli("init", protocol, tmp_path / "study", "--seed", SEED, cwd=tmp_path).code == 0
    term = terminal("run", tmp_path / "study", "--participant", "P001", cwd=tmp_path)
    term.answer("Your answer (0–100, in steps of 10): ", "45")
    term.expect("45 is not on the scale (steps of 10 from 0). Please type one of 0, 10, … 100.")
    term.answer("Your answer (0–100, in steps of 10): ", "40")
    term.expect("Session of P001 complete")
    assert [float(row["value"]) for row in export(tmp_path / "study")["long"]] == [40.0]


def test_a_page_shows_what_looks_like_html_as_written(tmp_path, terminal):
    """A name typed as ``Kim <K>`` (or a stimulus's ``<b>``) is shown as written, as the browser and the lab
    window show it; the terminal's markdown used to read it as HTML and drop it."""
    hello = '  - {id: hello, type: text, text: "Hello <b>you</b>, a < b"}\n'
    protocol = write_protocol(tmp_path, hello, rating("improve"))
    assert run_cli("init", protocol, tmp_path / "study", "--seed", SEED, cwd=tmp_path).code == 0
    term = terminal("run", tmp_path / "study", "--participant", "P001", cwd=tmp_path)
    term.expect("Hello <b>you</b>, a < b")
