"""`validate` warns when a timeline cannot keep its schedule; warnings do not fail it."""

from __future__ import annotations

import pytest

from placebolab.errors import ProtocolError
from placebolab.protocol import load_protocol
from tests.engine.schedule_protocols import HEAD, pause, rating, write_protocol

from .bad import ROOT
from .test_cli_validate import validate

EXAMPLES = sorted((ROOT / "protocols").glob("*.yaml"))


def warnings_of(tmp_path, *steps, head=HEAD) -> list[str]:
    return [str(w) for w in load_protocol(write_protocol(tmp_path, *steps, head=head)).warnings]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_the_example_protocols_keep_their_schedules(path):
    assert load_protocol(path).warnings == []


def test_a_well_spaced_schedule_has_no_warning(tmp_path):
    steps = [pause("cream", mark="t0"), rating("itch", "[t0+2min, t0+6min]"), rating("pain", "[t0+3min, t0+7min]")]
    assert warnings_of(tmp_path, *steps) == []


def test_two_occasions_due_at_the_same_time(tmp_path):
    at = "[t0+2min, t0+6min]"
    (first, second) = warnings_of(tmp_path, pause("cream", mark="t0"), rating("itch", at), rating("pain", at))
    assert "schedule.yaml:10:" in first and "timeline[2].at[0]" in first  # the line of pain's `at`
    assert "pain@t0+2min is due at the same time as itch@t0+2min" in first
    assert "schedule_tolerance, 60s" in first
    assert "timeline[2].at[1]" in second and "pain@t0+6min" in second


def test_a_timed_pause_longer_than_the_gap_makes_the_next_occasion_late(tmp_path):
    (warning,) = warnings_of(
        tmp_path,
        pause("cream", mark="t0"),
        rating("itch", "[t0+2min]"),
        pause("rest", duration="5min"),
        rating("pain", "[t0+4min]"),
    )
    assert "timeline[3].at[0]" in warning
    assert "pain@t0+4min will be shown at least 3min late" in warning
    assert "schedule it at t0+7min or later" in warning
    assert "reading and answering times are not known in advance" in warning  # what it cannot know, said


def test_an_occasion_after_a_later_one_of_the_same_mark_is_late(tmp_path):
    (warning,) = warnings_of(
        tmp_path,
        pause("cream", mark="t0"),
        rating("itch", "[t0+3min, t0+9min]"),
        rating("questions"),  # keeps its place: pain comes after itch@t0+9min
        rating("pain", "[t0+3min]"),
    )
    assert "pain@t0+3min will be shown at least 6min late" in warning


def test_a_step_timed_from_start_after_a_long_pause(tmp_path):
    """An occasion that comes before its place in the timeline can be reached (a mark set after a 10 min pause)."""
    (warning,) = warnings_of(
        tmp_path, pause("settle", duration="10min"), pause("cream", mark="t0"), rating("itch", "[start+5min]")
    )
    assert "itch@start+5min will be shown at least 5min late" in warning


def test_occasions_of_different_marks_are_not_interleaved_and_validate_says_so(tmp_path):
    (warning,) = warnings_of(
        tmp_path,
        pause("cream", mark="t0"),
        pause("second", mark="t1"),
        rating("itch", "[t0+10min]"),
        rating("pain", "[t1+2min]"),
    )
    assert "pain@t1+2min is asked after itch@t0+10min" in warning
    assert "the time between t0 and t1 is not known in advance" in warning


def test_a_warning_names_the_cells_it_applies_to(tmp_path):
    rest = "  - {id: rest, type: pause, text: Rest., duration: 5min, cells: [warm]}\n"
    (warning,) = warnings_of(
        tmp_path, pause("cream", mark="t0"), rating("itch", "[t0+1min]"), rest, rating("pain", "[t0+2min]")
    )
    assert warning.endswith("(cells warm)")


def test_an_occasion_given_twice_is_an_error(tmp_path):
    with pytest.raises(ProtocolError, match=r"timeline\[1\]\.at\[1\]: t0\+120s is the time of at\[0\] \(t0\+2min\)"):
        load_protocol(write_protocol(tmp_path, pause("cream", mark="t0"), rating("itch", "[t0+2min, t0+120s]")))


def test_schedule_tolerance_is_a_duration(tmp_path):
    steps = [pause("cream", mark="t0"), rating("itch", "[t0+2min]")]
    assert (
        load_protocol(write_protocol(tmp_path, *steps, head=HEAD + "schedule_tolerance: 30s\n")).tolerance_seconds == 30
    )
    assert load_protocol(write_protocol(tmp_path, *steps)).tolerance_seconds == 60
    with pytest.raises(ProtocolError, match="schedule_tolerance: 'soon' is not a duration"):
        load_protocol(write_protocol(tmp_path, *steps, head=HEAD + "schedule_tolerance: soon\n"))


def test_validate_prints_warnings_and_exits_0(tmp_path):
    at = "[t0+2min]"
    path = write_protocol(tmp_path, pause("cream", mark="t0"), rating("itch", at), rating("pain", at))
    result = validate(path)
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout and "1 warning" in result.stdout
    assert result.stderr.startswith("warning: ") and "pain@t0+2min is due at the same time" in result.stderr
    assert "Traceback" not in result.stderr
