"""Frame timing of one step: the flip times of its frames, turned into what is stored with the step.

Pure Python (no psychopy) so it can be tested and benchmarked on its own. Times are seconds of
PsychoPy's monotonic clock (``psychopy.core.getTime``), the clock ``Window.flip`` returns.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

DROP_FACTOR = 1.5  # an interval longer than 1.5 nominal frames means at least one refresh was missed


@dataclass
class FrameLog:
    """Flip times of one step's frames. The first flip is the step's onset."""

    frame_period: float  # seconds per refresh: measured at window opening, or assumed
    period_source: str  # 'measured' or 'assumed'
    flips: list[float] = field(default_factory=list)

    def add(self, flip_time: float) -> None:
        self.flips.append(flip_time)

    @property
    def onset(self) -> float | None:
        return self.flips[0] if self.flips else None

    def intervals(self) -> list[float]:
        return [b - a for a, b in zip(self.flips, self.flips[1:], strict=False)]

    def dropped(self) -> int:
        """Frames missed: an interval of k nominal periods (rounded) hides k − 1 missed refreshes."""
        limit = DROP_FACTOR * self.frame_period
        return sum(max(1, round(i / self.frame_period) - 1) for i in self.intervals() if i > limit)

    def detail(self, **extra) -> dict:
        """What is stored with the step (JSON): refresh rate, every frame interval (ms) and the drops."""
        intervals = self.intervals()
        ms = [round(i * 1000, 3) for i in intervals]
        summary = {
            "refresh_hz": round(1 / self.frame_period, 3),
            "refresh_source": self.period_source,
            "onset": "flip",  # onset time-stamped on the screen flip; response times measured from it
            "frames": len(self.flips),
            "dropped_frames": self.dropped(),
            "frame_interval_ms": {
                "median": round(statistics.median(ms), 3) if ms else None,
                "max": max(ms) if ms else None,
                "all": ms,
            },
        }
        return {**summary, **extra}
