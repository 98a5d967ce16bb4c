"""The consent step in a real pseudo-terminal: every statement asked, agreeing refused until each is confirmed,
declining ends the session (recorded, said to the experimenter, never resumed); and an attention check asked
like any question and flagged in the export."""

from __future__ import annotations

import json

from placebolab.components.catalogue import catalogue
from tests.consent.protocols import consent_sha256, write_consent_protocol

from .conftest import SEED, export, run_cli

SAY = catalogue("en")
STATEMENT = SAY("console.consent_statement") + " "
CHOOSE = SAY("console.consent_choose", agree=SAY("consent.agree"), decline=SAY("consent.decline")) + " "


def init(tmp_path):
    protocol = write_consent_protocol(tmp_path / "protocol")
    folder = tmp_path / "study"
    result = run_cli("init", protocol, folder, "--seed", SEED, cwd=tmp_path)
    assert result.code == 0, result.stderr
    return folder


def test_agreeing_needs_every_statement_then_the_session_runs_on(tmp_path, terminal):
    study = init(tmp_path)
    term = terminal("run", study, "--participant", "P001", cwd=tmp_path)
    term.expect("You will rate an itch")
    term.expect("I have read the information above.")
    term.answer(STATEMENT, "maybe")  # neither y nor n: asked again
    term.answer(STATEMENT, "y")
    term.expect("I agree that my answers are stored without my name.")
    term.answer(STATEMENT, "n")
    term.answer(CHOOSE, "a")  # one statement unconfirmed: agreeing is refused, the statements asked again
    term.expect(SAY("console.consent_tick_every"))
    term.answer(STATEMENT, "y")
    term.answer(STATEMENT, "y")
    term.answer(CHOOSE, "a")
    term.answer("Your answer (0–10): ", "4")
    term.answer("Your answer (1–5): ", "3")
    term.answer("Your answer (1–5): ", "5")  # the check says 2
    term.answer("Your answer (0–10): ", "7")  # as instructed
    term.answer("[Enter] to continue ", "")
    term.expect("Session of P001 complete")
    assert term.wait() == 0, term.text[-2000:]

    tables = export(study)
    (consent,) = [r for r in tables["steps"] if r["step"] == "consent"]
    assert json.loads(consent["detail"]) == {"consent_checked": ["read", "data"], "consent_sha256": consent_sha256()}
    rows = {(r["step"], r["item"]): r for r in tables["long"]}
    assert rows[("consent", "")]["value"] == "1.0"
    assert (rows[("expectancy", "attend")]["attention_expect"], rows[("expectancy", "attend")]["attention_passed"]) == (
        "2.0",
        "False",
    )
    assert rows[("attend_rating", "")]["attention_passed"] == "True"
    (person,) = tables["wide"]
    assert (person["status"], person["attention_failed"], person["honeypot"]) == ("completed", "1", "")


def test_declining_ends_the_session_and_it_cannot_be_resumed(tmp_path, terminal):
    study = init(tmp_path)
    term = terminal("run", study, "--participant", "P002", cwd=tmp_path)
    term.answer(STATEMENT, "y")
    term.answer(STATEMENT, "n")
    term.answer(CHOOSE, "d")
    term.expect(SAY("console.declined"))
    term.expect("P002 declined consent (step consent); the session ended there, recorded.")
    assert term.wait() == 0, term.text[-2000:]
    assert "Your answer" not in term.text  # nothing after the consent was asked

    resumed = run_cli("run", study, "--participant", "P002", "--resume", cwd=tmp_path)
    assert resumed.code != 0 and "declined consent" in resumed.stderr and "Traceback" not in resumed.stderr
    again = run_cli("run", study, "--participant", "P002", cwd=tmp_path)
    assert again.code != 0 and "declined consent" in again.stderr and "use a new participant ID" in again.stderr

    tables = export(study)
    (person,) = tables["wide"]
    assert person["status"] == "declined"
    (consent,) = tables["steps"]
    assert json.loads(consent["detail"]) == {"consent_checked": ["read"], "consent_sha256": consent_sha256()}
    status = run_cli("status", study, cwd=tmp_path)
    assert status.code == 0 and "declined consent" in status.stdout
