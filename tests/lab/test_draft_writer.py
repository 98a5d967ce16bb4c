"""The lab window's draft writer (no window needed): answers offered each frame are written off the frame loop,
the latest of each item, each change once; ``flush`` waits for them and hands a write's failure on."""

from __future__ import annotations

import threading
import time

import pytest

from placebolab.errors import StoreError
from placebolab.frontends.psychopy.drafts import DraftWriter


class SlowDrafts:
    """An engine ``Drafts`` whose store takes 50 ms a write (a slow disk or a distant server)."""

    def __init__(self, fail_after: int | None = None):
        self.saved: list[tuple[dict, float, dict]] = []
        self.threads: set[str] = set()
        self.fail_after = fail_after

    def save(self, values, shown_at, answered_at=None):
        time.sleep(0.05)
        self.threads.add(threading.current_thread().name)
        if self.fail_after is not None and len(self.saved) >= self.fail_after:
            raise StoreError("the disk is full")
        self.saved.append((dict(values), shown_at, dict(answered_at or {})))


def test_offers_are_written_in_the_background_latest_value_once_each():
    drafts = SlowDrafts()
    writer = DraftWriter(drafts, 1000.0)
    started = time.monotonic()
    for _ in range(3):  # the same answers on three frames: written once
        writer.offer({"warm": (6, 1001.0)})
    writer.offer({"warm": (6, 1001.0), "caring": (2, 1002.0)})
    writer.offer({"warm": (6, 1001.0), "caring": (5, 1003.0)})  # changed before it was written
    assert time.monotonic() - started < 0.04, "a frame waited for the store"
    writer.flush()
    kept: dict = {}
    for values, shown_at, answered_at in drafts.saved:
        assert shown_at == 1000.0
        kept |= {item: (value, answered_at[item]) for item, value in values.items()}
    assert kept == {"warm": (6, 1001.0), "caring": (5, 1003.0)}
    assert len(drafts.saved) <= 3 and drafts.threads == {"drafts"}
    writer.close()
    assert not any(t.name == "drafts" for t in threading.enumerate())


def test_a_failed_write_is_raised_to_the_window_not_lost():
    writer = DraftWriter(SlowDrafts(fail_after=0), 1000.0)
    writer.offer({"warm": (6, 1001.0)})
    with pytest.raises(StoreError, match="disk is full"):
        writer.flush()
    writer.close()


def test_nothing_offered_nothing_written_and_close_is_immediate():
    drafts = SlowDrafts()
    writer = DraftWriter(drafts, 1000.0)
    writer.offer({})
    writer.close()
    assert drafts.saved == []
