"""What the page script (``templates/placebolab.js``) posts with a step, checked before it is stored.

The script measures in the participant's browser: the onset (``performance.now()`` in the first animation
frame after the page was painted), the time to Continue, how often and how long the page was hidden (tab
switched away), the window's size, the device pixel ratio, the display's refresh (from animation-frame
intervals), the user agent, when each answer was last set and how often, which answers it filled in from its
copy of an earlier showing (never set on this page: they have no time), and a sound's or film's player
events. It posts them as one JSON field, ``client``. The browser is the participant's own, so every value
is untrusted: numbers must be finite and within bounds, strings are cut short and stripped of control
characters, item names must be the step's own; anything else is stored as null (never guessed, never
repaired). Without JavaScript there is no ``client`` field and none of these keys is stored: the step's
detail then holds only ``server_received_at``, which the server measures itself. A ``client`` field that
is not a JSON object of at most :data:`MAX_CHARS` characters counts as no report at all.

The keys stored are declared in ``components`` (``EVERY_STEP_DETAIL``, ``ANSWER_DETAIL`` and the media
steps' ``info``) and explained in docs/tables.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from placebolab.session import Current

MAX_CHARS = 64_000  # a report is ~1 kB; a film's events at most ~25 kB (the script keeps 500)
MAX_EVENTS = 500
WEEK_MS = 7 * 86_400_000.0  # the longest a page may stay open and still be answered
DAY_MS = 86_400_000.0
USER_AGENT_CHARS = 300
#: a player's events as the script names them
EVENTS = frozenset({"play", "pause", "stall", "seek_blocked", "seek_back", "rate_blocked", "ended", "error"})
#: HTMLMediaElement's error codes (MediaError.code)
MEDIA_ERRORS = {1: "aborted", 2: "network", 3: "decode", 4: "source not supported"}


@dataclass(frozen=True)
class Report:
    """The checked report: ``detail`` to store with the step; ``scripted``: the page script posted one
    (JavaScript was on); ``ended``: its player reached the end; ``error``: the browser could not play it."""

    detail: dict[str, Any]
    scripted: bool
    ended: bool = False
    error: str | None = None


def read_report(raw: Any, current: Current, received_at: float) -> Report:
    """The page script's report on ``current`` (the form's ``client`` field, or None without JavaScript)."""
    detail: dict[str, Any] = {"server_received_at": round(received_at, 3)}
    report = _parse(raw)
    if report is None:
        return Report(detail, scripted=False)
    window = report.get("window")
    size = [_integer(v, 1, 100_000) for v in window] if isinstance(window, list) and len(window) == 2 else None
    detail |= {
        "client_onset_ms": _number(report.get("onset_ms"), 0, DAY_MS, 1),
        "client_rt_ms": _number(report.get("rt_ms"), 0, WEEK_MS, 1),
        "client_hidden_count": _integer(report.get("hidden_count"), 0, 100_000),
        "client_hidden_ms": _number(report.get("hidden_ms"), 0, WEEK_MS, 1),
        "client_window": size if size is not None and None not in size else None,
        "client_pixel_ratio": _number(report.get("pixel_ratio"), 0.1, 20, 3),
        "client_refresh_hz": _number(report.get("refresh_hz"), 1, 1000, 1),
        "client_user_agent": _text(report.get("user_agent"), USER_AGENT_CHARS),
    }
    items = {f"item-{item.id}": item.id for item in current.step.records() if item.kind == "number"}
    if items:
        detail["client_answer_ms"] = _by_item(report.get("answer_ms"), items, lambda v: _number(v, 0, WEEK_MS, 1))
        detail["changes"] = _by_item(report.get("changes"), items, lambda v: _integer(v, 0, 100_000))
        restored = _restored(report.get("restored"), items)
        if restored:  # stored only when the page filled in answers from the browser's copy
            detail["client_restored"] = restored
    if current.media is None or current.media.kind == "image":
        return Report(detail, scripted=True)
    sent = report.get("media")
    media: dict[str, Any] = sent if isinstance(sent, dict) else {}
    ended = media.get("ended") is True
    code = media.get("error")
    error = MEDIA_ERRORS.get(code) if type(code) is int else None  # not a bool, which is an int too
    longest = (current.media.duration or 0) + 5
    listed = media.get("events")
    events: list[Any] = listed if isinstance(listed, list) else []
    detail |= {
        "media_ended": ended if isinstance(media.get("ended"), bool) else None,
        "media_events": [e for e in (_event(entry, longest) for entry in events[:MAX_EVENTS]) if e is not None],
        "media_error": error,
    }
    return Report(detail, scripted=True, ended=ended, error=error)


def _parse(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, str) or not raw or len(raw) > MAX_CHARS:
        return None
    try:
        report = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python's parser goes
        return None
    return report if isinstance(report, dict) else None


def _number(value: Any, low: float, high: float, digits: int) -> float | None:
    """``value`` rounded, if it is a finite number within [low, high]; else None (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        return None
    return round(number, digits) + 0.0


def _integer(value: Any, low: int, high: int) -> int | None:
    number = _number(value, low, high, 0)
    return int(number) if number is not None and number == value else None


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    return "".join(c for c in value if c.isprintable())[:limit]


def _by_item(value: Any, items: dict[str, str], check) -> dict[str, Any] | None:
    """A {form field: value} object as {item id: checked value}, for the step's own items only."""
    if not isinstance(value, dict):
        return None
    return {items[name]: check(v) for name, v in value.items() if name in items}


def _restored(value: Any, items: dict[str, str]) -> list[str]:
    """The step's items the page filled in from the browser's copy (a list of form fields), in the step's order."""
    if not isinstance(value, list):
        return []
    return [item for name, item in items.items() if name in value]


def _event(entry: Any, longest: float) -> list[Any] | None:
    """One player event ``[name, ms from onset, position s]``; None for anything else."""
    if not isinstance(entry, list) or len(entry) != 3 or not isinstance(entry[0], str) or entry[0] not in EVENTS:
        return None
    at = _number(entry[1], 0, WEEK_MS, 1)
    return None if at is None else [entry[0], at, _number(entry[2], 0, longest, 3)]
