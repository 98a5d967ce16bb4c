"""The pure parts of the PsychoPy frontend (no window needed): frame timing and markdown as screen blocks."""

from __future__ import annotations

import pytest

from placebolab.frontends.psychopy.timing import FrameLog

PERIOD = 1 / 60


def log_of(intervals_in_periods):
    log = FrameLog(PERIOD, "measured")
    t = 100.0
    log.add(t)
    for k in intervals_in_periods:
        t += k * PERIOD
        log.add(t)
    return log


@pytest.mark.parametrize(
    ("intervals", "dropped"),
    [
        ([1, 1, 1, 1], 0),
        ([1, 1.4, 1], 0),  # late but within half a frame: no refresh missed
        ([1, 2, 1], 1),  # one refresh missed
        ([3, 1, 2], 3),  # two missed, then one
    ],
)
def test_dropped_frames_count_the_missed_refreshes(intervals, dropped):
    assert log_of(intervals).dropped() == dropped


def test_the_stored_detail_has_every_interval_and_the_onset_is_the_first_flip():
    log = log_of([1, 2, 1])
    detail = log.detail(page_rt_s=[1.5])
    assert log.onset == 100.0
    assert detail["frames"] == 4 and detail["dropped_frames"] == 1
    assert detail["frame_interval_ms"]["all"] == pytest.approx([16.667, 33.333, 16.667], abs=1e-3)
    assert detail["frame_interval_ms"]["max"] == pytest.approx(33.333, abs=1e-3)
    assert detail["refresh_hz"] == 60.0 and detail["onset"] == "flip" and detail["page_rt_s"] == [1.5]


def test_numbered_items_keep_their_numbers_and_their_next_lines():
    from placebolab.frontends.psychopy.markdown import Block, blocks

    assert blocks("What happens:\n\n1. You rate.\n2. You talk\n   to a clinician.") == [
        Block("paragraph", "What happens:"),
        Block("item", "You rate.", marker="1."),
        Block("item", "You talk to a clinician.", marker="2."),
    ]


def test_markdown_blocks_keep_headings_emphasis_and_list_markers():
    from placebolab.frontends.psychopy.markdown import Block, blocks
    from placebolab.frontends.psychopy.screens import runs, styled_words

    page = "# Welcome\n\nIt takes **30 minutes**.\nBe _calm_ and __ready__.\n\n## Steps\n\n1. rate\n- talk to [us](http://x)"
    assert blocks(page) == [
        Block("heading", "Welcome", level=1),
        Block("paragraph", "It takes **30 minutes**. Be *calm* and **ready**."),
        Block("heading", "Steps", level=2),
        Block("item", "rate", marker="1."),
        Block("item", "talk to us", marker="•"),
    ]
    words = styled_words("It takes **30 minutes**. Be ***very*** calm")
    assert words[3] == [("minutes", True, False), (".", False, False)]  # the full stop stays with its word
    assert words[5] == [("very", True, True)]
    assert runs(words) == [
        ("It takes ", False, False),
        ("30 minutes", True, False),
        (". Be ", False, False),
        ("very ", True, True),  # a space goes with the run before it
        ("calm", False, False),
    ]
