"""Checks of the plan as each cell lives it: marks a cell's scheduled steps need, and analyses the plan
asks for that the analysis code would refuse on design grounds (found at validate, not in the report)."""

from __future__ import annotations

BUILT_IN_MARKS = ("start",)  # set by the session itself when it begins (session/engine.py)


def check_plan(protocol, report) -> None:
    _marks_per_cell(protocol, report)
    _analysis_design(protocol, report)


def _shown_to(step, cell_id: str) -> bool:
    return not step.cells or cell_id in step.cells


def _marks_per_cell(protocol, report) -> None:
    """Every mark a scheduled step is timed from is set, in each cell that sees the step, by an earlier step
    that cell also sees. (A mark set by no earlier step at all is ``checks._timeline_references``' to report.)"""
    set_at = {step.mark: index for index, step in enumerate(protocol.timeline) if step.mark}
    cells = [cell.id for cell in protocol.cells]
    for index, step in enumerate(protocol.timeline):
        reported = set()
        for at_index, when in enumerate(step.occasions):
            if when is None or when.mark in BUILT_IN_MARKS or when.mark in reported:
                continue
            setter = set_at.get(when.mark)
            if setter is None or setter >= index:
                continue  # not set earlier in any cell: reported with the timeline's references
            marker = protocol.timeline[setter]
            lacking = [c for c in cells if _shown_to(step, c) and not _shown_to(marker, c)]
            if lacking:
                reported.add(when.mark)
                report(
                    ("timeline", index, "at", at_index),
                    f"mark '{when.mark}' is never set in cell{'s' if len(lacking) > 1 else ''} {', '.join(lacking)}: "
                    f"timeline[{setter}] ({marker.id}) sets it but is shown only to {', '.join(marker.cells)}, "
                    f"while {step.id} is shown to {', '.join(step.cells) if step.cells else 'every cell'}; "
                    f"show {marker.id} in those cells too, or give {step.id} `cells: [{', '.join(marker.cells)}]`",
                )


def _analysis_design(protocol, report) -> None:
    """Placeholder: filled in below."""
