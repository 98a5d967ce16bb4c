"""Nothing acknowledged is lost: a session stopped with Ctrl-C, or killed outright, resumes with
`run --resume` at its first unanswered step, and the finished export has every step exactly once."""

from __future__ import annotations

import re

import pytest

from .conftest import SEED, export, run_cli, stored_steps, write_short_protocol
from .flagship_session import (
    ANSWERS,
    ITEMS,
    PLAN,
    SCORES,
    answer_intake,
    answer_prompt,
    do_step,
    finish,
    step_rule,
)

QUIT = re.compile(r"Quit the session\? Every answer so far is saved\. \[y/N\]\s*\n> ")
ANY_RULE = re.compile(rf"(?<![\d/])(\d+)/{len(PLAN)}(?![\d/])")


def assert_complete_and_exact(study, participant="P001"):
    """The export has every step of the plan once and exactly the answers of ANSWERS, scored."""
    tables = export(study)
    shown = [r["step"] + (f"@{r['occasion']}" if r["occasion"] else "") for r in tables["steps"]]
    assert sorted(shown) == sorted(PLAN), "a step is missing or stored twice"
    assert sorted(stored_steps(study, participant)) == sorted(PLAN)
    long = tables["long"]
    got = [((r["step"], r["occasion"], r["item"]), float(r["value"])) for r in long]
    assert len(got) == len(ANSWERS), "an answer is missing or stored twice"
    assert dict(got) == {key: float(value) for key, value in ANSWERS.items()}
    (person,) = tables["wide"]
    assert person["status"] == "completed"
    for column, expected in SCORES.items():
        assert float(person[column]) == expected, column


def resume_and_check_first_step(terminal, study, key: str):
    """Resume P001 in a new terminal; the first step shown must be ``key`` (no intake asked again)."""
    term = terminal("run", study, "--participant", "P001", "--resume", cwd=study.parent)
    first = term.expect(ANY_RULE)
    shown_before = term.text[: first.start()]
    assert int(first.group(1)) == PLAN.index(key) + 1, f"resumed at step {first.group(1)}, expected {key}"
    assert "Sex (" not in shown_before and "Age in years" not in shown_before, "the intake was asked again"
    term.pos = 0  # walk the step from its start with the usual helper
    return term


def test_ctrl_c_stops_with_exit_8_and_resume_continues_at_the_first_unanswered_step(study, terminal):
    term = terminal("run", study, "--participant", "P001", cwd=study.parent)
    answer_intake(term)
    for key in ["welcome", "itch_baseline", "clinician"]:
        do_step(term, key)

    # two expectancy items answered (with other values than the final ones), then Ctrl-C on the third
    term.expect(step_rule(4))
    (relief, relief_text), (logical, logical_text), (_, confident_text), _ = ITEMS["expectancy"]
    term.expect(relief_text)
    term.answer(answer_prompt("expectancy"), "1")
    term.expect(logical_text)
    term.answer(answer_prompt("expectancy"), "1")
    term.expect(confident_text)
    term.expect(answer_prompt("expectancy"))

    term.send("\x03")  # Ctrl-C, answered "no" (the default): the same question again
    term.answer(QUIT, "")
    term.expect(answer_prompt("expectancy"))
    term.send("\x03")  # and now yes
    term.answer(QUIT, "y")
    assert term.wait() == 8, term.text[-2000:]
    message = term.text[term.pos :]
    assert "Traceback" not in message and "internal error" not in message
    assert f"placebolab run {study} --participant P001 --resume" in message

    # stored: the three steps completed; nothing of the questionnaire left half-way
    assert stored_steps(study, "P001") == ["welcome", "itch_baseline", "clinician"]

    term = resume_and_check_first_step(terminal, study, "expectancy")
    term.expect(step_rule(4))
    head = term.expect(answer_prompt("expectancy"))
    assert relief_text in term.text[: head.start()], "the questionnaire did not restart at its first item"
    term.pos = 0
    for key in PLAN[PLAN.index("expectancy") :]:
        do_step(term, key)
    finish(term)

    assert_complete_and_exact(study)


@pytest.mark.parametrize("where", ["mid-questionnaire", "waiting-for-a-timed-rating"])
def test_a_killed_session_resumes_without_losing_or_repeating_a_step(study, terminal, where):
    term = terminal("run", study, "--participant", "P001", cwd=study.parent)
    answer_intake(term)
    if where == "mid-questionnaire":
        acknowledged = ["welcome", "itch_baseline", "clinician", "expectancy"]
        for key in acknowledged:
            do_step(term, key)
        # the next step's first prompt is up, so 'expectancy' was acknowledged; answer two of six items
        term.expect(step_rule(5))
        for item, text in ITEMS["check"][:2]:
            term.expect(text)
            term.answer(answer_prompt("check"), str(ANSWERS["check", "", item]))
        term.expect(ITEMS["check"][2][1])
        term.expect(answer_prompt("check"))
        resume_at = "check"
    else:
        acknowledged = PLAN[: PLAN.index("itch_post@t0+1s") + 1]
        for key in acknowledged:
            do_step(term, key)
        # the waiting screen of the next rating (or, on a slow machine, the rating itself) is up
        term.expect(re.compile(r"The next question comes at|(?<![\d/])8/9(?![\d/])"))
        resume_at = "itch_post@t0+2s"

    term.kill()  # SIGKILL: no handler runs, nothing is flushed or closed
    assert term.process.returncode == -9
    assert stored_steps(study, "P001") == acknowledged, "an acknowledged answer was lost, or more was stored"

    term = resume_and_check_first_step(terminal, study, resume_at)
    for key in PLAN[PLAN.index(resume_at) :]:
        do_step(term, key)
    finish(term)

    assert_complete_and_exact(study)


def test_ctrl_c_while_waiting_for_a_timed_rating_asks_and_the_schedule_survives_a_resume(tmp_path, terminal):
    """Ctrl-C on the waiting screen asks too (no 'Aborted!', exit 8); resumed, the rating is still due at
    t0 + 20 s of the first session: the schedule runs from the stored mark, not from the resume."""
    protocol = write_short_protocol(tmp_path, schedule="[t0+20s, t0+21s]")
    study = tmp_path / "study"
    assert run_cli("init", protocol, study, "--seed", SEED, cwd=tmp_path).code == 0

    term = terminal("run", study, "--participant", "P001", cwd=tmp_path)
    answer_intake(term)
    for key in ["welcome", "itch_baseline", "clinician", "expectancy", "check", "cream"]:
        do_step(term, key)
    waiting = re.compile(r"Please wait\. The next question comes at (\d\d:\d\d:\d\d)\.")
    due = term.expect(waiting).group(1)

    term.send("\x03")
    term.answer(QUIT, "n")  # no: keep waiting
    with pytest.raises(AssertionError):
        term.expect(ANY_RULE, timeout=1)  # the rating is not shown early
    term.send("\x03")
    term.answer(QUIT, "y")
    assert term.wait() == 8, term.text[-2000:]
    assert "--resume" in term.text[term.pos :] and "Aborted" not in term.text
    assert stored_steps(study, "P001") == PLAN[: PLAN.index("cream") + 1]

    term = terminal("run", study, "--participant", "P001", "--resume", cwd=tmp_path)
    assert term.expect(waiting).group(1) == due
    assert not ANY_RULE.search(term.text), "a step was shown before its time"
