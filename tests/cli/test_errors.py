"""Each user mistake ends as one clean line on stderr (no traceback, no "internal error"), the exit code the
README documents, and no change to anything already stored."""

from __future__ import annotations

import re

import pytest

from .conftest import SEED, read_csv, run_cli, table_dump, write_short_protocol

EFFECTS_OK_HEAD = "description: test\nmeasures:\n"


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """A study with a completed participant (SIM0001, simulated) and an interrupted one (P001: stopped
    after the welcome page). Shared by the tests of this module, each of which checks it changes nothing."""
    root = tmp_path_factory.mktemp("errors")
    protocol = write_short_protocol(root)
    folder = root / "study"
    assert run_cli("init", protocol, folder, "--seed", SEED, cwd=root).code == 0
    assert run_cli("simulate", folder, "-n", "1", "--seed", "7", cwd=root).code == 0
    # intake, Enter on the welcome page, then end of input: the console asks whether to quit and takes
    # the end of input as yes
    stopped = run_cli("run", folder, "--participant", "P001", cwd=root, input="female\n30\nAlex\n\n")
    assert stopped.code == 8, stopped.stdout + stopped.stderr
    return folder


def assert_clean_error(result, code: int, *fragments: str | re.Pattern) -> str:
    """One line on stderr, starting 'error:', naming ``fragments``; the documented exit code."""
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        if isinstance(fragment, re.Pattern):
            assert fragment.search(lines[0]), f"{fragment.pattern!r} not in {lines[0]!r}"
        else:
            assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert result.code == code, f"exit code {result.code}, expected {code}: {lines[0]}"
    return lines[0]


def unchanged(folder, action):
    """Run ``action`` and check every table of the store is as it was."""
    before = table_dump(folder)
    result = action()
    assert table_dump(folder) == before, "the study store changed"
    return result


# --- study folders ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["run", "{missing}", "--participant", "P001"],
        ["run", "{missing}", "--participant", "P001", "--resume"],
        ["simulate", "{missing}", "-n", "2"],
        ["export", "{missing}"],
        ["analyze", "{missing}"],
    ],
    ids=["run", "resume", "simulate", "export", "analyze"],
)
def test_an_unknown_study_folder(tmp_path, args):
    missing = tmp_path / "no-such-study"
    result = run_cli(*[a.format(missing=missing) for a in args], cwd=tmp_path)
    assert_clean_error(result, 4, str(missing), "placebolab init")
    assert not missing.exists(), "a failed command made the folder"


def test_a_folder_that_is_not_a_study(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "study.db").write_bytes(b"this is not sqlite at all, just some bytes" * 40)
    result = run_cli("export", tmp_path / "notes", cwd=tmp_path)
    assert_clean_error(result, 4, "study.db")


def test_init_into_an_initialised_study(populated):
    readme = (populated / "README.txt").read_bytes()
    protocol = populated.parent / "protocols" / "short-itch.yaml"
    result = unchanged(populated, lambda: run_cli("init", protocol, populated, cwd=populated.parent))
    assert_clean_error(result, 4, "already", "initialised")
    assert (populated / "README.txt").read_bytes() == readme


def test_init_from_an_invalid_protocol_makes_no_folder(tmp_path):
    protocol = write_short_protocol(tmp_path)
    text = protocol.read_text(encoding="utf-8").replace("scheme: permuted-blocks", "scheme: permuted-blocs")
    protocol.write_text(text, encoding="utf-8")
    result = run_cli("init", protocol, tmp_path / "new", cwd=tmp_path)
    assert result.code == 3 and "Traceback" not in result.stderr
    assert "short-itch.yaml:" in result.stderr and "permuted-blocs" in result.stderr
    assert not (tmp_path / "new").exists()


# --- participants -----------------------------------------------------------------------------------


def test_run_a_participant_who_completed(populated):
    result = unchanged(populated, lambda: run_cli("run", populated, "--participant", "SIM0001", cwd=populated.parent))
    assert_clean_error(result, 6, "SIM0001", "completed")
    assert result.stdout == "", "an intake question was asked"


def test_resume_a_participant_who_completed(populated):
    result = unchanged(
        populated, lambda: run_cli("run", populated, "--participant", "SIM0001", "--resume", cwd=populated.parent)
    )
    assert_clean_error(result, 6, "SIM0001", "completed")


def test_run_an_interrupted_participant_without_resume(populated):
    result = unchanged(populated, lambda: run_cli("run", populated, "--participant", "P001", cwd=populated.parent))
    assert_clean_error(result, 6, "P001", "--resume")
    assert result.stdout == "", "an intake question was asked"


def test_resume_an_unknown_participant(populated):
    result = unchanged(
        populated, lambda: run_cli("run", populated, "--participant", "P999", "--resume", cwd=populated.parent)
    )
    assert_clean_error(result, 6, "P999", "not enrolled")


@pytest.mark.parametrize(
    ("intake", "fragments"),
    [
        (["sex=robot", "age=30", "name=Alex"], ["robot", "female, male, diverse"]),
        (["sex=robot"], ["robot", "female, male, diverse"]),  # refused before the other questions are asked
        (["age=eleven"], ["eleven", "whole number"]),
        (["age=12"], ["12", "18–99"]),
        (["handedness=left"], ["handedness"]),
        (["sex=female", "hair=red", "eyes=blue"], ["hair", "eyes"]),
    ],
    ids=["invalid-choice", "invalid-choice-alone", "not-a-number", "out-of-range", "unknown-field", "unknown-fields"],
)
def test_a_wrong_intake_given_up_front(populated, intake, fragments):
    args = [a for pair in intake for a in ("--intake", pair)]
    result = unchanged(
        populated, lambda: run_cli("run", populated, "--participant", "P002", *args, cwd=populated.parent)
    )
    assert_clean_error(result, 6, "intake", *fragments)
    assert result.stdout == "", "an intake question was asked before the wrong value was refused"


@pytest.mark.parametrize(
    "participant", ["", "  ", "P 001", " P001", "P001\t"], ids=["empty", "blank", "space", "leading", "tab"]
)
def test_a_participant_id_that_would_waste_an_allocation(populated, participant):
    result = unchanged(
        populated,
        lambda: run_cli("run", populated, "--participant", participant, cwd=populated.parent, input="female\n30\nAl\n"),
    )
    assert result.code == 2 and "participant ID" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == "", "an intake question was asked"


def test_an_out_of_range_intake_for_a_field_with_only_a_minimum(tmp_path):
    protocol = write_short_protocol(tmp_path)
    text = protocol.read_text(encoding="utf-8")
    assert text.count("min: 18, max: 99") == 1
    protocol.write_text(text.replace("min: 18, max: 99", "min: 18"), encoding="utf-8")
    folder = tmp_path / "study"
    assert run_cli("init", protocol, folder, cwd=tmp_path).code == 0
    result = run_cli("run", folder, "--participant", "P001", "--intake", "age=12", cwd=tmp_path)
    assert_clean_error(result, 6, "12", "18")


def test_intake_that_is_not_field_equals_value(populated):
    result = unchanged(
        populated,
        lambda: run_cli("run", populated, "--participant", "P002", "--intake", "female", cwd=populated.parent),
    )
    assert result.code == 2 and "FIELD=VALUE" in result.stderr and "Traceback" not in result.stderr


def test_resume_with_intake_is_a_usage_error(populated):
    result = unchanged(
        populated,
        lambda: run_cli(
            "run", populated, "--participant", "P001", "--resume", "--intake", "sex=male", cwd=populated.parent
        ),
    )
    assert result.code == 2 and "--intake" in result.stderr and "Traceback" not in result.stderr


def test_stopping_during_the_intake_stores_nothing_and_says_so(populated):
    result = unchanged(
        populated, lambda: run_cli("run", populated, "--participant", "P003", cwd=populated.parent, input="male\n")
    )
    # a stop, not an error: said on stdout without "error:", exit code 8
    assert result.code == 8 and result.stderr == "" and "error:" not in result.stdout
    assert "before P003 was enrolled: nothing is stored" in result.stdout and "without --resume" in result.stdout


# --- effects files (simulate) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            EFFECTS_OK_HEAD + "  itch_baseline: {mean: 56, sd: 16\n",
            [re.compile(r"effects\.yaml:[34]:\d+: "), "YAML syntax"],
        ),
        (EFFECTS_OK_HEAD + "  itch_baseline: {mean: 56, sdd: 16}\n", ["effects.yaml:3:", "sdd"]),
        (
            EFFECTS_OK_HEAD + "  itch_baseline: {mean: 56, sd: 16}\n  itch_later: {mean: 40, sd: 10}\n",
            ["effects.yaml:4:", "itch_later", "matches no measure"],
        ),
        (
            EFFECTS_OK_HEAD + "  itch_post: {mean: {warm/high: 30, cold/high: 40}, sd: 14}\n",
            ["effects.yaml:3:", "cold/high", "not a cell"],
        ),
    ],
    ids=["yaml-syntax", "unknown-key", "unknown-measure", "unknown-cell"],
)
def test_simulate_with_a_wrong_effects_file(populated, text, fragments):
    effects = populated.parent / "effects.yaml"
    effects.write_text(text, encoding="utf-8")
    result = unchanged(
        populated, lambda: run_cli("simulate", populated, "-n", "3", "--effects", effects, cwd=populated.parent)
    )
    assert_clean_error(result, 3, *fragments)
    assert "Simulated" not in result.stdout


def test_simulate_with_a_missing_effects_file(populated):
    result = unchanged(
        populated, lambda: run_cli("simulate", populated, "-n", "3", "--effects", "nope.yaml", cwd=populated.parent)
    )
    assert_clean_error(result, 3, "nope.yaml")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"  \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)), "binary"),
    ],
    ids=["blank", "binary"],
)
def test_simulate_with_an_unreadable_effects_file(populated, content, fragment):
    effects = populated.parent / "effects.yaml"
    effects.write_bytes(content)
    result = unchanged(
        populated, lambda: run_cli("simulate", populated, "-n", "3", "--effects", effects, cwd=populated.parent)
    )
    assert_clean_error(result, 3, "effects.yaml", fragment)


# --- protocol files (validate) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"# only a comment\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)), "binary"),
        (bytes(range(128, 256)) * 4, "UTF-8"),
    ],
    ids=["empty", "comment-only", "binary", "not-utf8"],
)
def test_validate_an_unreadable_file(tmp_path, content, fragment):
    path = tmp_path / "protocol.yaml"
    path.write_bytes(content)
    result = run_cli("validate", path, cwd=tmp_path)
    assert_clean_error(result, 3, "protocol.yaml", fragment)
    assert result.stdout == ""


def test_validate_a_missing_file(tmp_path):
    result = run_cli("validate", tmp_path / "nope.yaml", cwd=tmp_path)
    assert_clean_error(result, 3, "nope.yaml")


def test_validate_lists_every_problem_with_file_and_line(tmp_path):
    protocol = write_short_protocol(tmp_path)
    text = protocol.read_text(encoding="utf-8")
    text = text.replace("scheme: permuted-blocks", "scheme: permuted-blocs").replace(
        "scale: nrs-0-100", "scale: nrs-0-1000", 1
    )
    protocol.write_text(text, encoding="utf-8")
    result = run_cli("validate", protocol, cwd=tmp_path)
    assert result.code == 3 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].endswith("problems:"), lines
    assert any("permuted-blocs" in line for line in lines) and any("nrs-0-1000" in line for line in lines)
    for line in lines[1:]:
        assert "short-itch.yaml:" in line, line


# --- analysis ---------------------------------------------------------------------------------------


def test_analyze_a_study_without_participants(tmp_path):
    protocol = write_short_protocol(tmp_path)
    folder = tmp_path / "study"
    assert run_cli("init", protocol, folder, cwd=tmp_path).code == 0
    result = unchanged(folder, lambda: run_cli("analyze", folder, cwd=tmp_path))
    assert_clean_error(result, 7, "nothing to analyse")
    assert not (folder / "report.html").exists()


def test_export_changes_nothing_stored_and_marks_the_incomplete(populated, tmp_path):
    out = tmp_path / "export"
    result = unchanged(populated, lambda: run_cli("export", populated, "--out", out, cwd=populated.parent))
    assert result.code == 0, result.stderr
    statuses = {row["participant"]: row["status"] for row in read_csv(out / "wide.csv")}
    assert statuses == {"SIM0001": "completed", "P001": "incomplete"}
