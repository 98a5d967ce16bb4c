"""Nothing given is lost: a session stopped with Ctrl-C, or killed outright, resumes with `run --resume` at
its first unanswered step (inside a questionnaire, at its first unanswered item: each answer is kept as it is
given), and the finished export has every step and answer exactly once, as an uninterrupted session has them."""

from __future__ import annotations

import json
import re
import sqlite3

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


def kept_answers(study, participant="P001") -> dict[str, float]:
    """The answers kept of the participant's unfinished step (drafts), by item."""
    db = sqlite3.connect(f"file:{study / 'study.db'}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT item, value FROM drafts WHERE participant = ?", (participant,)).fetchall())
    finally:
        db.close()


def resume_and_check_first_step(terminal, study, key: str, kept: int = 0):
    """Resume P001 in a new terminal; the first step shown must be ``key`` (no intake asked again), and the
    experimenter is told how many of its answers were kept from before the stop."""
    term = terminal("run", study, "--participant", "P001", "--resume", cwd=study.parent)
    first = term.expect(ANY_RULE)
    shown_before = term.text[: first.start()]
    told = f"resuming at step {PLAN.index(key) + 1} of {len(PLAN)}, {key}"
    assert told + (f" ({kept} answers given before the stop kept)" if kept else "\n") in shown_before.replace("\r", "")
    assert int(first.group(1)) == PLAN.index(key) + 1, f"resumed at step {first.group(1)}, expected {key}"
    assert "Sex (" not in shown_before and "Age in years" not in shown_before, "the intake was asked again"
    term.pos = 0  # walk the step from its start with the usual helper
    return term


def test_ctrl_c_stops_with_exit_8_and_resume_continues_at_the_first_unanswered_step(study, terminal):
    term = terminal("run", study, "--participant", "P001", cwd=study.parent)
    answer_intake(term)
    for key in ["welcome", "itch_baseline", "clinician"]:
        do_step(term, key)

    # two expectancy items answered, then Ctrl-C on the third
    term.expect(step_rule(4))
    (relief, relief_text), (logical, logical_text), (_, confident_text), _ = ITEMS["expectancy"]
    term.expect(relief_text)
    term.answer(answer_prompt("expectancy"), str(ANSWERS["expectancy", "", relief]))
    term.expect(logical_text)
    term.answer(answer_prompt("expectancy"), str(ANSWERS["expectancy", "", logical]))
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

    # stored: the three steps completed, and the two answers of the questionnaire kept (not yet as data)
    assert stored_steps(study, "P001") == ["welcome", "itch_baseline", "clinician"]
    assert kept_answers(study) == {
        relief: ANSWERS["expectancy", "", relief],
        logical: ANSWERS["expectancy", "", logical],
    }

    term = resume_and_check_first_step(terminal, study, "expectancy", kept=2)
    term.expect(step_rule(4))
    head = term.expect(answer_prompt("expectancy"))
    asked = term.text[: head.start()]
    assert relief_text in asked and "answered: 8" in asked and confident_text in asked, "not resumed at item 3"
    term.pos = 0
    do_step(term, "expectancy", kept=(relief, logical))
    for key in PLAN[PLAN.index("expectancy") + 1 :]:
        do_step(term, key)
    finish(term)

    assert_complete_and_exact(study)
    (row,) = [r for r in export(study)["steps"] if r["step"] == "expectancy"]
    assert json.loads(row["detail"])["resumed"]["kept"] == [relief, logical]
    assert kept_answers(study) == {}, "the step's commit superseded its drafts"


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
        resume_at, kept = "check", ("warm", "caring")
    else:
        acknowledged = PLAN[: PLAN.index("itch_post@t0+1s") + 1]
        for key in acknowledged:
            do_step(term, key)
        # the waiting screen of the next rating (or, on a slow machine, the rating itself) is up
        term.expect(re.compile(r"Next, at \d\d:\d\d:\d\d: The next question|(?<![\d/])8/9(?![\d/])"))
        resume_at, kept = "itch_post@t0+2s", ()

    term.kill()  # SIGKILL: no handler runs, nothing is flushed or closed
    assert term.process.returncode == -9
    assert stored_steps(study, "P001") == acknowledged, "an acknowledged answer was lost, or more was stored"
    assert kept_answers(study) == {item: ANSWERS["check", "", item] for item in kept}, "a given answer was lost"

    term = resume_and_check_first_step(terminal, study, resume_at, kept=len(kept))
    do_step(term, resume_at, kept=kept)
    for key in PLAN[PLAN.index(resume_at) + 1 :]:
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
    waiting = re.compile(r"Please wait\. Next, at (\d\d:\d\d:\d\d): The next question\.")
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
