"""The seal and the audit: every kind of tampering is named; a process killed mid-allocation leaves the list whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from placebolab.allocation.audit import audit_study
from placebolab.cli import main
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from placebolab.store.base import list_commitment
from placebolab.study import Study
from tests.conftest import FLAGSHIP, ROOT


@pytest.fixture
def run_study(tmp_path, backend):
    """The flagship with 12 simulated participants and one real enrolment."""
    study = Study.init(FLAGSHIP, tmp_path / "study", seed=3, store_url=backend)
    simulate_study(study, 12, load_effects(None, study.protocol), seed=4)
    yield study
    study.close()


def tamper(study, statement: str) -> None:
    """Change the store behind placebolab's back, as someone with the database file or the owner's login could."""
    study.store._db.execute(statement)


def problems(study) -> list[str]:
    return audit_study(study).problems


def test_an_untouched_study_is_intact_and_its_commitment_recomputes(run_study):
    report = audit_study(run_study)
    assert report.intact, report.problems
    assert len(report.checked) == 6 and not report.notes
    slots = sorted(
        (dict(r) for r in run_study.store.rows("allocation")),
        key=lambda r: (["sex=female", "sex=male", "sex=diverse"].index(r["stratum"]), r["position"]),
    )
    from placebolab.store.records import Slot

    listed = [Slot(r["stratum"], r["position"], r["cell"], r["block"], r["block_size"]) for r in slots]
    assert list_commitment(run_study.store.sealed()["salt"], listed) == run_study.meta["list_sha256"]
    assert list_commitment("another salt", listed) != run_study.meta["list_sha256"]  # salted: unguessable


def test_a_changed_allocation_slot_is_named(run_study):
    taken = next(r for r in run_study.store.rows("allocation") if r["participant"])
    other = next(c.id for c in run_study.protocol.cells if c.id != taken["cell"])
    tamper(
        run_study,
        f"UPDATE allocation SET cell = '{other}' WHERE stratum = '{taken['stratum']}' AND position = {taken['position']}",
    )
    found = problems(run_study)
    assert any(f"{taken['stratum']} #{taken['position']} holds {other}; the sealed list says" in p for p in found)
    assert any("does not hash to the commitment" in p for p in found)
    assert any(f"participant {taken['participant']} is recorded in cell" in p for p in found)


def test_a_participant_moved_to_another_cell_is_named(run_study):
    p = run_study.store.participants()[0]
    other = next(c.id for c in run_study.protocol.cells if c.id != p.cell)
    tamper(run_study, f"UPDATE participants SET cell = '{other}' WHERE id = '{p.id}'")
    found = problems(run_study)
    assert found[1].startswith(f"participant {p.id}: intake, stratum, cell or the simulated/pilot flags differ")
    assert found[:1] == [
        f"participant {p.id} is recorded in cell {other}; their slot "
        + next(
            f"{r['stratum']} #{r['position']} says {p.cell}"
            for r in run_study.store.rows("allocation")
            if r["participant"] == p.id
        )
    ]


def test_a_changed_response_is_named(run_study):
    r = next(r for r in run_study.store.rows("responses") if r["value"] is not None)
    tamper(
        run_study,
        f"UPDATE responses SET value = {r['value'] + 1} WHERE participant = '{r['participant']}' "
        f"AND step_key = '{r['step_key']}' AND item = '{r['item']}'",
    )
    assert problems(run_study) == [
        f"step {r['step_key']} of {r['participant']}: the stored answers differ from those logged"
    ]


def test_a_deleted_response_is_named(run_study):
    r = run_study.store.rows("responses")[5]
    tamper(
        run_study,
        f"DELETE FROM responses WHERE participant = '{r['participant']}' AND step_key = '{r['step_key']}' "
        f"AND item = '{r['item']}'",
    )
    assert problems(run_study) == [
        f"step {r['step_key']} of {r['participant']}: the stored answers differ from those logged"
    ]


def test_a_changed_log_entry_is_named(run_study):
    event = run_study.store.rows("events")[7]
    tamper(run_study, f"UPDATE events SET at = '2020-01-01T00:00:00.000+00:00' WHERE id = {event['id']}")
    assert problems(run_study) == [
        f"log entry #{event['id']} ({event['kind']}, {event['participant']}) does not match its hash: "
        "it was changed after it was written"
    ]


def test_a_deleted_log_entry_is_named(run_study):
    tamper(run_study, "DELETE FROM events WHERE id = 4")
    assert "log entry #4 is missing: the log jumps to #5" in problems(run_study)


def test_corrections_are_logged_never_deleting_and_keep_the_chain(run_study):
    pid = run_study.store.participants()[0].id
    before = len(run_study.store.rows("events"))
    run_study.store.correct(pid, "withdrawn", "withdrew consent", "tester")
    events = run_study.store.rows("events")
    assert len(events) == before + 1 and events[-1]["kind"] == "withdrawn" and events[-1]["participant"] == pid
    assert run_study.store.participant(pid) is not None
    assert audit_study(run_study).intact


_KILLABLE = """
import sys
from placebolab.study import Study
study = Study.open(sys.argv[1])
print("ready", flush=True)
i = 0
while True:
    study.store.enrol(f"K{i:05d}", "sex=male", {"sex": "male"})
    i += 1
"""


def test_sigkill_during_allocation_leaves_the_list_consistent(run_study):
    """A station killed while allocating in a loop: every allocation is whole or absent, the audit is intact."""
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE, str(run_study.folder)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert child.stdout.readline().strip() == b"ready"
    deadline = time.monotonic() + 20
    while run_study.store.allocation_summary()["allocated"] < 12 + 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    report = audit_study(run_study)
    assert report.intact, report.problems
    killed = [p for p in run_study.store.participants() if p.id.startswith("K")]
    assert len(killed) >= 20
    taken = [r for r in run_study.store.rows("allocation") if r["participant"]]
    assert len(taken) == 12 + len(killed) == run_study.store.allocation_summary()["allocated"]
    # the next allocation continues the list right after the last whole one
    run_study.store.enrol("AFTER", "sex=male", {"sex": "male"})
    male = sorted(
        r["position"] for r in run_study.store.rows("allocation") if r["stratum"] == "sex=male" and r["participant"]
    )
    assert male == list(range(1, len(male) + 1))


def test_cli_audit_correct_withdraw_and_status(run_study):
    folder = str(run_study.folder)
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", folder])
    assert ok.exit_code == 0, ok.output
    assert "hash chain intact" in ok.output and run_study.meta["list_sha256"] in ok.output
    ids = [p.id for p in run_study.store.participants()]
    assert runner.invoke(main, ["withdraw", folder, "-p", ids[0], "--reason", "felt unwell"]).exit_code == 0
    done = runner.invoke(main, ["correct", folder, "-p", ids[1], "--as", "excluded", "--reason", "age under 18"])
    assert done.exit_code == 0 and "nothing was deleted" in done.output
    bad = runner.invoke(main, ["correct", folder, "-p", "P999", "--as", "excluded", "--reason", "x"])
    assert bad.exit_code == 5 and "P999 is not enrolled" in bad.output
    shown = runner.invoke(main, ["status", folder])
    assert shown.exit_code == 0, shown.output
    assert "12 enrolled" in shown.output and "withdrawn — felt unwell" in shown.output
    assert "excluded — age under 18" in shown.output
    tamper(run_study, "UPDATE events SET detail = NULL WHERE id = 3")
    broken = runner.invoke(main, ["audit", folder])
    assert broken.exit_code == 9 and "log entry #3" in broken.output


def test_a_store_from_before_the_seal_is_refused_with_what_to_do(tmp_path):
    import sqlite3

    from placebolab.errors import StoreError

    study = Study.init(FLAGSHIP, tmp_path / "old", seed=1)
    study.close()
    db = sqlite3.connect(tmp_path / "old" / "study.db")
    db.execute("DROP TABLE sealed")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="without sealed allocation lists"):
        Study.open(tmp_path / "old")


# --- item 13: what decides who is analysed is sealed in the log; a cut log is caught by a kept head ---


def _file_edit(study) -> str:
    """An edit of one frozen stimulus file's bytes, in the backend's SQL."""
    blob = "X'00'" if study.store.__class__.__name__ == "SQLiteStore" else "'\\x00'::bytea"
    return f"UPDATE files SET content = {blob} WHERE path = (SELECT min(path) FROM files)"


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        ("UPDATE participants SET pilot = 1 WHERE id = 'SIM0003'", "participant SIM0003: intake, stratum, cell or"),
        ("UPDATE participants SET simulated = 0 WHERE id = 'SIM0003'", "participant SIM0003: intake, stratum, cell"),
        (
            "UPDATE participants SET intake = replace(intake, '\"age\": ', '\"age\": 1') WHERE id = 'SIM0003'",
            "participant SIM0003: intake, stratum, cell or the simulated/pilot flags differ",
        ),
        ("UPDATE participants SET status = 'running' WHERE id = 'SIM0003'", "SIM0003 has status running; the log says"),
        (
            "UPDATE meta SET value = 'f' || value WHERE key = 'bundle_sha256'",
            "bundle_sha256 in the store's meta differs",
        ),
        ("UPDATE meta SET value = 'f' || value WHERE key = 'list_sha256'", "list_sha256 in the store's meta differs"),
        (_file_edit, "stimulus files do not hash to the bundle hash sealed at init"),
    ],
    ids=["pilot", "simulated", "intake", "status", "meta-bundle", "meta-commitment", "frozen-file"],
)
def test_an_edit_of_what_decides_the_analysis_is_named_and_exits_9(run_study, edit, named):
    tamper(run_study, edit(run_study) if callable(edit) else edit)
    assert any(named in p for p in problems(run_study)), problems(run_study)
    result = CliRunner().invoke(main, ["audit", str(run_study.folder)])
    assert result.exit_code == 9 and named in result.output, result.output


def test_a_protocol_swapped_with_its_own_hash_is_named(run_study):
    """Editing the frozen protocol text and its protocol_sha256 together: the first log entry still says."""
    import hashlib

    text = run_study.meta["protocol_text"] + "# edited"
    tamper(
        run_study,
        f"UPDATE meta SET value = '{hashlib.sha256(text.encode()).hexdigest()}' WHERE key = 'protocol_sha256'",
    )
    tamper(run_study, "UPDATE meta SET value = value || '# edited' WHERE key = 'protocol_text'")
    found = problems(run_study)
    assert not any("does not match its recorded protocol_sha256" in p for p in found)  # consistent with meta
    assert "protocol_sha256 in the store's meta differs from the one sealed in log entry #1" in found
    assert any("do not hash to the bundle hash" in p for p in found)


def test_an_intake_that_is_no_longer_json_is_named_not_a_crash(run_study):
    tamper(run_study, "UPDATE participants SET intake = '{broken' WHERE id = 'SIM0002'")
    assert "participant SIM0002: the stored intake is not JSON: '{broken'" in problems(run_study)


def test_a_status_set_to_completed_without_the_steps_is_named(run_study):
    run_study.store.enrol("NEW1", "sex=male", {"sex": "male", "age": 30, "name": "Bo"})
    tamper(run_study, "UPDATE participants SET status = 'completed' WHERE id = 'NEW1'")
    assert "participant NEW1 has status completed; the log says allocated" in problems(run_study)


def test_a_cut_log_undoing_a_withdrawal_is_caught_by_the_kept_head(run_study, tmp_path):
    folder, runner = str(run_study.folder), CliRunner()
    kept = tmp_path / "heads.txt"
    assert runner.invoke(main, ["audit", folder, "--write-head", str(kept)]).exit_code == 0
    assert runner.invoke(main, ["withdraw", folder, "-p", "SIM0003", "--reason", "left"]).exit_code == 0
    withdrawn = runner.invoke(main, ["withdraw", folder, "-p", "SIM0004", "--reason", "felt unwell"])
    head = run_study.store.head()
    assert withdrawn.exit_code == 0 and f"chain head: #{head[0]} {head[1]}" in withdrawn.output
    assert runner.invoke(main, ["audit", folder, "--head", head[1], "--head-file", str(kept)]).exit_code == 0
    tamper(run_study, f"DELETE FROM events WHERE id >= {head[0] - 1}")  # both withdrawals undone: the chain is whole
    assert problems(run_study) == []  # without a kept head, a cut at the end cannot be seen
    cut = runner.invoke(main, ["audit", folder, "--head", head[1]])
    assert cut.exit_code == 9 and f"the kept chain head {head[1]} is no longer in the log" in cut.output
    assert runner.invoke(main, ["audit", folder, "--head-file", str(kept)]).exit_code == 0  # older head: still there
    # a new withdrawal written after the cut does not bring the kept head back
    assert runner.invoke(main, ["withdraw", folder, "-p", "SIM0005", "--reason", "x"]).exit_code == 0
    assert runner.invoke(main, ["audit", folder, "--head", head[1]]).exit_code == 9


def _rechain(study, strip: bool) -> None:
    """Recompute every hash, as an insider with the whole store could (``strip``: drop the sealed digests,
    as an older placebolab wrote its entries)."""
    import json

    from placebolab.store.base import GENESIS, SEALED_AT_INIT, chain_hash

    prev = GENESIS
    for e in study.store.rows("events"):
        detail = e["detail"]
        if strip and detail:
            fields = {
                k: v for k, v in json.loads(detail).items() if k != "participant_sha256" and k not in SEALED_AT_INIT
            }
            detail = json.dumps(fields)
        prev = chain_hash(prev, e["id"], e["at"], e["participant"], e["kind"], detail)
        text = "NULL" if detail is None else "'" + detail.replace("'", "''") + "'"
        tamper(study, f"UPDATE events SET detail = {text}, hash = '{prev}' WHERE id = {e['id']}")


def test_a_rewritten_chain_is_caught_by_the_kept_head(run_study):
    head = run_study.store.head()[1]
    tamper(run_study, "UPDATE participants SET pilot = 1 WHERE id = 'SIM0002'")
    _rechain(run_study, strip=True)  # hide the edit: no digests, a chain that recomputes
    assert audit_study(run_study).intact
    assert any("is no longer in the log" in p for p in problems_with_head(run_study, head))


def problems_with_head(study, head: str) -> list[str]:
    return audit_study(study, [head]).problems


def test_entries_of_an_older_version_are_not_sealed_and_never_silently_intact(run_study):
    _rechain(run_study, strip=True)
    report = audit_study(run_study)
    assert report.intact
    assert any("12 participants" in n and "not sealed in the log (made by an older version)" in n for n in report.notes)
    assert any("bundle_sha256" in n and "made by an older version" in n for n in report.notes)
    result = CliRunner().invoke(main, ["audit", str(run_study.folder)])
    assert result.exit_code == 0 and "! 12 participants" in result.output
    assert "intact as far as sealed" in result.output and "intact (list" not in result.output


def test_a_malformed_head_is_one_clear_error(run_study, tmp_path):
    bad = tmp_path / "heads.txt"
    bad.write_text("# kept heads\n\nnot-a-hash  #3\n")
    result = CliRunner().invoke(main, ["audit", str(run_study.folder), "--head-file", str(bad)])
    assert result.exit_code == 4 and f"{bad}:3: 'not-a-hash' is not a chain head" in result.output
    result = CliRunner().invoke(main, ["audit", str(run_study.folder), "--head", "abc"])
    assert result.exit_code == 4 and "--head: 'abc' is not a chain head" in result.output


def test_init_prints_the_chain_head_and_audit_prints_it_too(tmp_path):
    made = CliRunner().invoke(main, ["init", str(FLAGSHIP), str(tmp_path / "s"), "--seed", "1"])
    study = Study.open(tmp_path / "s")
    head = study.store.head()
    study.close()
    assert head[0] == 1 and f"chain head:       {head[1]}" in made.output
    audited = CliRunner().invoke(main, ["audit", str(tmp_path / "s")])
    assert f"chain head: #1 {head[1]}" in audited.output


def test_a_completed_session_missing_a_step_is_named_even_when_the_log_was_rewritten_to_match(run_study):
    """The step's row and its log entry hidden, the chain recomputed: the completed status still needs every step."""
    tamper(run_study, "DELETE FROM steps WHERE participant = 'SIM0002' AND step_key = 'welcome'")
    tamper(
        run_study,
        "UPDATE events SET kind = 'note' WHERE kind = 'step_recorded' AND participant = 'SIM0002' "
        "AND detail LIKE '%\"welcome\"%'",
    )
    _rechain(run_study, strip=False)
    assert problems(run_study) == ["participant SIM0002 is completed but has no recorded welcome"]


def test_simulate_prints_the_chain_head(run_study):
    result = CliRunner().invoke(main, ["simulate", str(run_study.folder), "-n", "1", "--seed", "2"])
    head = run_study.store.head()
    assert result.exit_code == 0 and f"chain head: #{head[0]} {head[1]}" in result.output


def test_a_step_digest_is_the_sha256_of_its_canonical_json():
    """The format logged with every step (studies already run depend on it): SHA-256 of ``json.dumps`` with sorted
    keys of the step's columns and its answers as sorted [item, value, rt, responded_at] lists, numbers as floats.
    ``record_digest`` (written at the step) and ``step_digest`` (recomputed by the audit) must both give it."""
    import hashlib
    import json

    from placebolab.store.base import record_digest, step_digest
    from placebolab.store.records import Answer, StepRecord

    answers = [Answer("warm", 7, 2.5, 1.8e9 + 10.125), Answer("competent", 6.5, None, 1.8e9 + 9.0)]
    record = StepRecord("wc@t0+3min", "wc", "t0+3min", 1.8e9, 1.8e9 + 12.25, "simulated", answers, None, None)
    detail = json.dumps({"late_s": 0.5, "onset": "flip", "note": "é"})
    expected = {
        "participant": "SIM0001",
        "step_key": "wc@t0+3min",
        "step": "wc",
        "occasion": "t0+3min",
        "shown_at": 1.8e9,
        "completed_at": 1.8e9 + 12.25,
        "frontend": "simulated",
        "detail": detail,
        "answers": [["competent", 6.5, None, 1.8e9 + 9.0], ["warm", 7.0, 2.5, 1.8e9 + 10.125]],
    }
    digest = hashlib.sha256(json.dumps(expected, sort_keys=True).encode()).hexdigest()
    assert record_digest("SIM0001", record, detail) == digest
    step = {"step_key": "wc@t0+3min", "step": "wc", "occasion": "t0+3min", "shown_at": int(1.8e9)}
    step |= {"completed_at": 1.8e9 + 12.25, "frontend": "simulated", "detail": detail}
    rows = [{"item": a.item, "value": a.value, "rt": a.rt, "responded_at": a.responded_at} for a in answers]
    assert step_digest("SIM0001", step, rows) == digest
