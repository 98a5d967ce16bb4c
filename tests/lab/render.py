"""Screens of the lab window built and drawn directly (no session, no input): every text on a screen and
where it was drawn, for the layout tests. Needs a display (the ``display`` fixtures of conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from placebolab.components.scales import PRESETS
from placebolab.instruments import bank_ids
from placebolab.protocol.loader import load_protocol
from placebolab.session.engine import Current

# CARE's wording is not shipped (copyright): items of the published length, written for this test
CARE_WORDING = {
    "at_ease": "Making you feel at ease (being friendly and warm towards you, treating you with respect)",
    "story": "Letting you tell your story (giving you time to fully describe your condition in your own words)",
    "listening": "Really listening (paying close attention to what you were saying)",
    "whole_person": "Being interested in you as a whole person (asking about relevant details of your life)",
    "concerns": "Fully understanding your concerns (communicating that they had accurately understood them)",
    "compassion": "Showing care and compassion (seeming genuinely concerned, connecting with you on a human level)",
    "positive": "Being positive (having a positive approach and a positive attitude; being honest)",
    "explaining": "Explaining things clearly (fully answering your questions; explaining clearly)",
    "control": "Helping you to take control (exploring with you what you can do to improve your health)",
    "plan": "Making a plan of action with you (discussing the options, involving you in decisions)",
}


def scales_protocol() -> str:
    """A protocol with a rating on every scale preset (and one with long anchors) and a questionnaire
    of every instrument in the bank."""
    steps = [
        f"  - {{id: preset_{n}, type: rating, prompt: How do you rate this?, scale: {name}}}"
        for n, name in enumerate(PRESETS)
    ]
    steps.append(
        "  - {id: long_anchors, type: rating, prompt: How unpleasant was the sound?, scale: vas-0-100,"
        " anchors: [not at all unpleasant, the most unpleasant imaginable]}"
    )
    steps.append(
        "  - {id: long_anchors_nrs, type: rating, prompt: How unpleasant was the sound?, scale: nrs-0-10,"
        " anchors: [not at all unpleasant, the most unpleasant imaginable]}"
    )
    steps.append(  # a "does not apply" answer below an NRS (its number shown right of the scale)
        "  - {id: not_applicable_rating, type: rating, prompt: How strong is the pain now?,"
        " scale: {type: nrs, min: 1, max: 10, not_applicable: cannot say}}"
    )
    steps.append(  # ... below each of four short questions on a page, a Likert scale's and an NRS's
        "  - id: not_applicable_questions\n    type: questionnaire\n"
        "    scale: {type: likert, labels: [no, some, yes], not_applicable: cannot say}\n    items:\n"
        + "".join(f"      - {{id: q{n}, text: Was the clinician kind?}}\n" for n in range(3))
        + "      - {id: pain, text: How much pain?, scale: {type: nrs, min: 1, max: 10, not_applicable: cannot say}}"
    )
    for instrument in bank_ids():
        wording = ""
        if instrument == "care":
            wording = "\n    wording: {" + ", ".join(f'{k}: "{v}"' for k, v in CARE_WORDING.items()) + "}"
        steps.append(
            f"  - id: bank_{instrument.replace('-', '_')}\n    type: questionnaire\n    instrument: {instrument}{wording}"
        )
    return (
        "protocol: lab-scale-layout\nversion: 1.0.0\ntitle: Every scale\n"
        "factors:\n  framing: {levels: [plain, warm]}\nallocation: {scheme: complete, target_n: 10}\n"
        "timeline:\n" + "\n".join(steps) + "\n"
    )


def currents(path) -> list[Current]:
    protocol = load_protocol(path)
    cell = protocol.cells[0].id
    return [Current(occurrence, None, [], None) for occurrence in protocol.plans[cell]]


@dataclass
class Drawn:
    """A text as drawn: its string, its box in pixels from the window's centre (left, right, bottom, top)
    and, for TextBox2, where its lines break."""

    what: str
    text: str
    box: tuple[float, float, float, float]
    broken_words: list[str]


def drawn(stim, what: str) -> Drawn | None:
    """Where ``stim`` (a TextBox2 or a TextStim) puts its text, from its laid-out glyphs (TextBox2) or
    its pyglet layout's content box (TextStim); None for an empty text."""
    if type(stim).__name__ == "TextBox2":
        text = stim._text
        if not text.strip():
            return None
        printable = np.array([c not in " \n" for c in text])
        corners = np.asarray(stim.verticesPix).reshape(-1, 4, 2)[: len(text)][printable].reshape(-1, 2)
        left, bottom = corners.min(axis=0)
        right, top = corners.max(axis=0)
        broken = []
        lines = np.asarray(stim._lineNs)
        for i in range(1, len(text)):
            if lines[i] != lines[i - 1] and text[i - 1] not in " \n-" and text[i] != " ":
                start = text.rfind(" ", 0, i) + 1
                end = min(p for p in (text.find(" ", i), text.find("\n", i), len(text)) if p >= 0)
                broken.append(text[start:end])
        if stim._renderChars:  # a hyphen TextBox2 added where it broke a word
            broken.append(f"{text!r}: {len(stim._renderChars)} hyphen(s) added")
        return Drawn(what, text, (float(left), float(right), float(bottom), float(top)), broken)
    text = stim.text
    if not text.strip():
        return None
    width, height = stim.boundingBox
    x, y = stim.posPix
    return Drawn(what, text, (x - width / 2, x + width / 2, y - height / 2, y + height / 2), [])


def texts_of(screen) -> list[Drawn]:
    """Every text a questionnaire or rating screen draws on its current page."""
    stims = [(s, "title") for s in getattr(screen, "title", [])]
    stims += [(s, "intro") for s in getattr(screen, "intro", []) if s is not None]
    for n, question in enumerate(screen.inputs):
        stims.append((question.prompt, f"question {n + 1}"))
        for name in ("labels", "anchors"):
            stims += [(s, f"question {n + 1} {name}") for s in getattr(question, name, [])]
        stims += [(s, f"question {n + 1} slider label") for s in getattr(question.slider, "labelObjs", [])]
        if getattr(question, "na", None) is not None:  # its "does not apply" answer: the label, the box as text
            stims.append((question.na.label, f"question {n + 1} not applicable"))
    stims += [(screen.hint, "hint"), (screen.button.label, "button")]
    stims += [(s, "page") for s in getattr(screen, "page_stims", [])]
    found = [drawn(stim, what) for stim, what in stims]
    for n, question in enumerate(screen.inputs):  # the scale's line, and the "does not apply" box as texts
        found.append(box_drawn(question.slider, f"question {n + 1} scale", "[scale]"))
        if getattr(question, "na", None) is not None:
            found.append(box_drawn(question.na.box, f"question {n + 1} not applicable box", "[box]"))
    return [d for d in found if d is not None]


def box_drawn(stim, what: str, text: str) -> Drawn:
    """A Rect or a Slider (height units, centred at its pos) as a Drawn of ``text``, in pixels from the centre."""
    pixels = stim.win.size[1]
    (x, y), (w, h) = stim.pos, stim.size
    return Drawn(what, text, tuple(float(v * pixels) for v in (x - w / 2, x + w / 2, y - h / 2, y + h / 2)), [])


def overlaps(a: Drawn, b: Drawn, tolerance: float = 1.0) -> bool:
    al, ar, ab, at = a.box
    bl, br, bb, bt = b.box
    return al < br - tolerance and bl < ar - tolerance and ab < bt - tolerance and bb < at - tolerance


def layout_report(protocol_path, size: tuple[int, int], shots=None) -> list[dict]:
    """Open a window of ``size`` (on $DISPLAY), build the screen of every step of the protocol and draw
    each of its pages: every text drawn, with its box and the words broken across lines. ``shots``: a
    folder to save each page as PNG in (to look at)."""
    from psychopy import event, logging, visual

    from placebolab.frontends.psychopy.frontend import BACKGROUND, screen_for
    from placebolab.frontends.psychopy.screens import Kit

    logging.console.setLevel(logging.ERROR)
    win = visual.Window(size=size, fullscr=False, winType="pyglet", units="height", color=BACKGROUND, checkTiming=False)
    kit = Kit(win, visual, event.Mouse(win=win))
    report = []
    try:
        for current in currents(protocol_path):
            screen = screen_for(kit, current)
            for page in range(len(screen.pages)):
                screen.page = page
                screen.draw()
                if shots is not None:
                    win.getMovieFrame(buffer="back")
                    win.movieFrames.pop().save(f"{shots}/{current.key}-page{page + 1}.png")
                    win.movieFrames.clear()
                win.flip()
                texts = [d.__dict__ for d in texts_of(screen)]
                report.append({"step": current.key, "page": page + 1, "texts": texts})
    finally:
        win.close()
    return report


def page_report(markdown: str, size: tuple[int, int], shot=None, speaker: str | None = None) -> list[dict]:
    """A script step's page drawn from ``markdown`` (under ``speaker``'s name): each TextBox2 of the
    page with its text, font file, letter height, left and right edges and its line's top (pixels from
    the window's centre), then the speaker's name as drawn. ``shot``: save the page as PNG there."""
    from types import SimpleNamespace

    from psychopy import event, logging, visual

    from placebolab.frontends.psychopy.frontend import BACKGROUND
    from placebolab.frontends.psychopy.screens import Kit, PagesScreen

    logging.console.setLevel(logging.ERROR)
    win = visual.Window(size=size, fullscr=False, winType="pyglet", units="height", color=BACKGROUND, checkTiming=False)
    try:
        kit = Kit(win, visual, event.Mouse(win=win))
        step = SimpleNamespace(title=None, continue_key="space")
        screen = PagesScreen(kit, SimpleNamespace(step=step, speaker=speaker, pages=[markdown]))
        screen.draw()
        if shot is not None:
            win.getMovieFrame(buffer="back")
            win.movieFrames.pop().save(shot)
        win.flip()
        return [
            {
                "text": stim._text,
                "font": Path(stim.glFont.filename).name,
                "height": float(stim.letterHeight),
                "left": float(np.asarray(stim.verticesPix)[:, 0].min()),
                "right": float(np.asarray(stim.verticesPix)[:, 0].max()),
                "top": float(stim.pos[1]) * size[1],  # the line's top (every run of a line shares it)
            }
            for stim in screen.pages[0]
        ] + [{"text": d.text, "box": d.box} for d in (drawn(stim, "header") for stim in screen.header) if d]
    finally:
        win.close()


if __name__ == "__main__":  # python -m tests.lab.render PROTOCOL WIDTHxHEIGHT [SHOTS]: the report as JSON
    import json
    import sys

    width, height = (int(v) for v in sys.argv[2].split("x"))
    if sys.argv[1] == "-":  # a markdown page from standard input
        print(json.dumps(page_report(sys.stdin.read(), (width, height), *sys.argv[3:], speaker="Dr. Morgan Lee")))
    else:
        print(json.dumps(layout_report(sys.argv[1], (width, height), *sys.argv[3:])))
