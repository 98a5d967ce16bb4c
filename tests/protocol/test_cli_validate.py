"""`placebolab validate` through the command line: exit codes, and problems as clean lines (no traceback)."""

from __future__ import annotations

from .bad import FLAGSHIP, copy_flagship, replace_once, validate


def test_a_good_protocol_exits_0():
    result = validate(FLAGSHIP)
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout and "4 cells" in result.stdout
    assert result.stderr == ""


def test_a_bad_protocol_exits_3_with_each_problem_on_its_own_line(tmp_path):
    from placebolab.errors import ProtocolError
    from placebolab.protocol import load_protocol

    protocol = copy_flagship(tmp_path)
    replace_once(protocol, "block_sizes: [4, 8]", "block_sizes: [4, 6]")
    replace_once(protocol, "strata: [sex]", "strata: [gender]")
    replace_once(protocol, "factor: competence}", "factor: competense}")
    try:
        load_protocol(protocol)
    except ProtocolError as exc:
        expected = [str(p) for p in exc.problems]
    assert len(expected) == 3

    result = validate(protocol, FLAGSHIP)  # the good one is still checked and reported
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "3 problems:"
    assert [line.strip() for line in lines[1:]] == expected
    assert f"{FLAGSHIP}: valid" in result.stdout


def test_an_unparsable_file_exits_3_with_one_line(tmp_path):
    protocol = copy_flagship(tmp_path)
    protocol.write_bytes(b"\x00\x01binary")
    result = validate(protocol)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"error: {protocol}:1:1: is a binary file, not a protocol; give a YAML text file"
    ]


def test_a_missing_path_exits_nonzero_with_one_clean_line(tmp_path):
    missing = tmp_path / "no-such-protocol.yaml"
    result = validate(missing)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "no-such-protocol.yaml" in lines[0] and "no such file" in lines[0]
