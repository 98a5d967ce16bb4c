"""What the experimenter reads when a console session stops or resumes: a stop (exit code 8) is the normal,
resumable end it is, said without "error:"; a resume first says where it takes up."""

from __future__ import annotations

from .conftest import run_cli

INTAKE = "female\n30\nAlex\n"


def test_quitting_a_console_session_is_a_resumable_stop_not_an_error(study):
    # intake, Enter on the welcome page, then end of input: asked whether to quit, the end of input is yes
    result = run_cli("run", study, "--participant", "P001", cwd=study.parent, input=INTAKE + "\n")
    assert result.code == 8, result.stdout + result.stderr
    assert result.stderr == "" and "error:" not in result.stdout
    assert result.stdout.strip().splitlines()[-1] == (
        f"The session was stopped; every answer so far is stored; continue with "
        f"`placebolab run {study} --participant P001 --resume`."
    )


def test_a_resume_says_at_which_step_it_takes_up_before_showing_it(study):
    assert run_cli("run", study, "--participant", "P001", cwd=study.parent, input=INTAKE + "\n").code == 8
    result = run_cli("run", study, "--participant", "P001", "--resume", cwd=study.parent, input="")
    assert result.code == 8, result.stdout + result.stderr
    told = "P001: resuming at step 2 of 9, itch_baseline\n"
    assert result.stdout.startswith(told), result.stdout
    assert "2/9" in result.stdout[len(told) :], "the step is shown after the experimenter is told"
