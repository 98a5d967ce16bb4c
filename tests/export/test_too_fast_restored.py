"""The too-fast flag and answers a web page filled in from the browser's copy of an earlier showing."""

from __future__ import annotations

import json

from placebolab.export.tables import too_fast

N_ITEMS = {"expectancy": 4}


def step(seconds: float, restored: list[str] | None = None) -> dict:
    detail = json.dumps({"client_restored": restored}) if restored is not None else None
    return {"step": "expectancy", "shown_at": 1000.0, "completed_at": 1000.0 + seconds, "detail": detail}


def test_restored_answers_are_not_timed_by_the_showing_that_sent_them_again():
    # 4 items at 1 s each: 2.5 s is too fast for 4 answers given now, not for the 2 of them not restored
    assert too_fast(step(2.5), N_ITEMS, 1.0) is True
    assert too_fast(step(2.5, ["relief", "logical"]), N_ITEMS, 1.0) is False
    assert too_fast(step(1.5, ["relief", "logical"]), N_ITEMS, 1.0) is True
    # every answer restored (the real run: all four sent again 0.24 s after the page came back): not measurable
    assert too_fast(step(0.24, ["relief", "logical", "confident", "doubt"]), N_ITEMS, 1.0) is None
    assert too_fast(step(0.24, []), N_ITEMS, 1.0) is True
