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
    value is valid. Every field is required (marked *); a choice starts unchosen, so no answer is given by
    default. Cancel stops before anything is stored."""
    missing = [f for f in fields if f.id not in given]
    if not missing:
        return dict(given)
    if not display_available():
        raise SessionError(
            "no display for the experimenter dialog; give the intake on the command line: "
            + " ".join(f"--intake {f.id}={f.example or (f.choices[0] if f.choices else '…')}" for f in missing)
        )
    values, problems = dict(given), list[str]()
    while True:
        dialog, boxes = build_dialog(missing, values, problems, participant)
        dialog.show()
        if not dialog.OK:
            raise SessionInterrupted(f"the intake of {participant} was cancelled; nothing is stored")
        problems = []
        for field in missing:
            values[field.id] = raw = entered(boxes[field.id])
            try:
                field.check(raw)
            except ValueError as exc:
                problems.append(f"{field.label or field.id}: {_problem(field, raw, exc)}")
        if not problems:
            return values


def build_dialog(missing, values: dict, problems: list[str], participant: str):
    """The dialog (not yet shown) and its input box by field id: each label marked * (PsychoPy's note says
    what it means: every intake field is required), a choice field with nothing chosen until the
    experimenter chooses, a field answered before keeping its answer."""
    from psychopy import gui

    dialog = gui.Dlg(title=f"placebolab · participant {participant}")
    for problem in problems:
        dialog.addText(problem, color="red")
    boxes = {}
    for field in missing:
        label = f"{field.label or field.id} *"
        if field.choices:
            box = dialog.addField(field.id, choices=list(field.choices), label=label, required=True)
            box.setPlaceholderText("choose …")
            box.blockSignals(True)  # PsychoPy's handler cannot read "no choice" (index -1); the box is read directly
            box.setCurrentIndex(field.choices.index(values[field.id]) if values.get(field.id) in field.choices else -1)
            box.blockSignals(False)
        else:
            box = dialog.addField(field.id, initial=str(values.get(field.id, "")), label=label, required=True)
        boxes[field.id] = box
    dialog.validate()  # PsychoPy's own check: OK is enabled once every text field has an answer
    return dialog, boxes


def entered(box) -> str:
    """What the experimenter entered in a box: a combo box's chosen text ('' while nothing is chosen), a
    line's text."""
    if hasattr(box, "currentIndex"):
        return box.currentText() if box.currentIndex() >= 0 else ""
    return box.text()


def _problem(field, raw: str, exc: ValueError) -> str:
    if raw.strip():
        return str(exc)
    return f"required; choose one of {', '.join(field.choices)}" if field.choices else "required"
