"""Keys typed ahead are not answers: text typed on the terminal during a waiting screen is discarded; the
answer stored is the one typed after the prompt, with a real response time. Piped answers are a script
and are all read, in order."""

from __future__ import annotations

import os
import re
import time

import pytest

from placebolab.frontends.console import discard_typed_ahead

from .conftest import SEED, export, run_cli, write_short_protocol
from .flagship_session import GO, ITCH, answer_intake, answer_prompt, do_step, step_rule

WAIT = 3  # seconds from the cream to the first timed rating: time to type during the waiting screen
THINK = 0.5  # seconds the participant takes after the prompt appears


@pytest.fixture
def slow_study(tmp_path):
    protocol = write_short_protocol(tmp_path, schedule=f"[t0+{WAIT}s, t0+{WAIT + 1}s]")
    folder = tmp_path / "study"
    result = run_cli("init", protocol, folder, "--seed", SEED, cwd=tmp_path)
    assert result.code == 0, result.stderr
    return folder


def test_an_answer_typed_during_a_waiting_screen_is_not_stored(slow_study, terminal):
    term = terminal("run", slow_study, "--participant", "P001", cwd=slow_study.parent)
    answer_intake(term)
    for key in ("welcome", "itch_baseline", "clinician", "expectancy", "check"):
        do_step(term, key)
    term.expect(step_rule(6))
    term.answer(GO, "go")

    term.expect(re.compile(r"Please wait\. Next, at \d\d:\d\d:\d\d: The next question"))
    term.send("99\r")  # typed ahead: during the wait, before the question
    term.send("7")  # and half a line
    term.expect(step_rule(7), timeout=WAIT + 10)
    term.expect(ITCH)
    term.expect(answer_prompt("itch_post"))
    time.sleep(THINK)
    term.send("41\r")

    term.expect(step_rule(8), timeout=WAIT + 10)
    term.answer(answer_prompt("itch_post"), "29")
    term.expect(step_rule(9))
    term.answer("[Enter] to continue", "")
    term.expect("Session of P001 complete")
    assert term.wait() == 0, term.text[-2000:]
    long = export(slow_study)["long"]
    post = {r["occasion"]: r for r in long if r["step"] == "itch_post"}
    assert float(post[f"t0+{WAIT}s"]["value"]) == 41  # not 99, nor 741
    assert float(post[f"t0+{WAIT}s"]["rt"]) >= THINK
    assert float(post[f"t0+{WAIT + 1}s"]["value"]) == 29
    assert not any(float(r["value"]) == 99 for r in long)
    assert "ignored" in term.text  # the participant is told that what was typed early did not count


def test_typed_ahead_input_is_discarded_on_a_terminal_but_not_from_a_pipe():
    master, slave = os.openpty()
    try:
        os.write(master, b"99\n")
        time.sleep(0.1)
        with os.fdopen(os.dup(slave), "r") as tty:
            assert discard_typed_ahead(tty) is True
            os.write(master, b"5\n")
            assert tty.readline() == "5\n"  # what is typed after the discard is read
    finally:
        os.close(master)
        os.close(slave)
    read_end, write_end = os.pipe()
    os.write(write_end, b"female\n30\n")
    os.close(write_end)
    with os.fdopen(read_end, "r") as pipe:
        assert discard_typed_ahead(pipe) is False
        assert pipe.read() == "female\n30\n"  # a script's answers are all kept
