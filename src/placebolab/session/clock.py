"""Clocks. Times are epoch seconds (wall clock), because marks must survive a crash and a resume in
another process; a virtual clock lets simulated participants take no real time at all."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """What a session and its frontend need of a clock (``RealClock``, ``VirtualClock``)."""

    def now(self) -> float: ...

    def sleep_until(self, moment: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.time()

    def sleep_until(self, moment: float) -> None:
        while (left := moment - time.time()) > 0:
            time.sleep(min(left, 0.5))


class VirtualClock:
    """Time that moves only when told to: ``sleep_until`` and ``advance`` jump, they never wait."""

    def __init__(self, start: float | None = None):
        self._now = time.time() if start is None else start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += max(0.0, seconds)

    def sleep_until(self, moment: float) -> None:
        self._now = max(self._now, moment)
