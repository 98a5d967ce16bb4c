"""Small protocols with scheduled steps, written as YAML files (no stimulus files needed)."""

from __future__ import annotations

from pathlib import Path

HEAD = """\
protocol: schedule-test
version: 1.0.0
title: Scheduled ratings
factors:
  warmth: {levels: [warm, neutral]}
allocation: {scheme: complete, target_n: 10}
"""


def rating(step_id: str, at: str | None = None, **more) -> str:
    """One rating step as a YAML line; ``at`` like ``"[t0+2min, t0+6min]"``."""
    fields = {"id": step_id, "type": "rating", "scale": "nrs-0-10", "prompt": f"{step_id}?", **more}
    if at:
        fields["at"] = at
    return "  - {" + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}\n"


def pause(step_id: str, mark: str | None = None, duration: str | None = None) -> str:
    fields = {"id": step_id, "type": "pause", "text": "Please wait."}
    if mark:
        fields["mark"] = mark
    if duration:
        fields["duration"] = duration
    return "  - {" + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}\n"


def write_protocol(folder: Path, *steps: str, head: str = HEAD, tail: str = "") -> Path:
    """``head``, the timeline of ``steps``, then ``tail`` (e.g. an analysis plan) as ``folder/schedule.yaml``."""
    path = folder / "schedule.yaml"
    path.write_text(head + "timeline:\n" + "".join(steps) + tail, encoding="utf-8")
    return path
