"""The experimenter's dialog before a lab session: the intake fields not given on the command line."""

from __future__ import annotations

import os
import sys

from placebolab.errors import SessionError, SessionInterrupted


def display_available() -> bool:
    """Whether a window can be opened: always on Windows and macOS; on Linux only with an X or Wayland display."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def ask_intake(fields, given: dict, participant: str) -> dict:
    """Ask the missing intake fields in a PsychoPy (Qt) dialog, again with the problem shown until every
    value is valid. Cancel stops before anything is stored."""
    missing = [f for f in fields if f.id not in given]
    if not missing:
        return dict(given)
    if not display_available():
        raise SessionError(
            "no display for the experimenter dialog; give the intake on the command line: "
            + " ".join(f"--intake {f.id}={f.example or (f.choices[0] if f.choices else '…')}" for f in missing)
        )
    from psychopy import gui

    values, problems = dict(given), list[str]()
    while True:
        dialog = gui.Dlg(title=f"placebolab · participant {participant}")
        for problem in problems:
            dialog.addText(problem, color="red")
        for field in missing:
            initial = str(values.get(field.id, ""))
            choices = list(field.choices) if field.choices else None
            dialog.addField(field.id, initial=initial, choices=choices, label=field.label or field.id)
        dialog.show()
        if not dialog.OK:
            raise SessionInterrupted(f"the intake of {participant} was cancelled; nothing is stored")
        problems = []
        for field in missing:
            raw = dialog.data[field.id]
            values[field.id] = raw
            try:
                field.check(raw)
            except ValueError as exc:
                problems.append(f"{field.label or field.id}: {exc}")
        if not problems:
            return values
