"""The consent screen of the lab window: the consent text, a checkbox per statement, and two buttons.

A statement is ticked (and unticked) by clicking its box or its text, or by pressing its number (1, 2 …).
"I agree" (key A) is greyed out until every statement is ticked; "I do not agree" (key D) is always open.
Declining records 0 and ends the session (the engine's part); agreeing records 1.
"""

from __future__ import annotations

from placebolab.components import ConsentStep
from placebolab.components.consent import AGREED, DECLINED
from placebolab.frontends.psychopy import layout
from placebolab.frontends.psychopy.screens import DIM, FOCUS, NUMBER_KEYS, TEXT, Button, Frame, Kit, Outcome, page_stims

AGREE_KEY, DECLINE_KEY = "a", "d"
CONSENT_BUTTON = (layout.CONSENT_BUTTON_SIZE, 0.026)  # wider than Continue, its letters a little smaller


class Checkbox:
    """One statement: a box, a tick drawn inside it once ticked, and the statement's text."""

    def __init__(self, kit: Kit, number: int, text: str, y: float, spacing: float):
        size, x = layout.CONSENT_BOX_SIZE, layout.CONSENT_BOX_X
        self.box = kit.visual.Rect(
            kit.win, width=size, height=size, pos=(x, y), lineColor=TEXT, fillColor=None, lineWidth=2
        )
        self.tick = kit.visual.Rect(kit.win, width=size * 0.6, height=size * 0.6, pos=(x, y), fillColor=FOCUS)
        width = kit.wrap - 0.1
        height = min(0.024, spacing * 0.6)
        self.text = kit.text(f"{number}. {text}", y, height, x=x + 0.04 + width / 2, wrap=width, align="left")
        self.area = kit.visual.Rect(kit.win, width=width + 0.06, height=spacing * 0.9,
                                    pos=(x - size / 2 + (width + 0.06) / 2, y))  # fmt: skip
        self.ticked = False

    def draw(self) -> None:
        self.box.draw()
        if self.ticked:
            self.tick.draw()
        self.text.draw()

    def clicked(self, frame: Frame) -> bool:
        return frame.clicked and self.area.contains(frame.mouse_pos)


class ConsentScreen:
    def __init__(self, kit: Kit, current):
        step: ConsentStep = current.step
        say = kit.say  # the protocol's language
        self.statements = step.statements
        self.stims = [kit.text(step.title, layout.TITLE_Y, 0.04, bold=True)] if step.title else []
        # the text as markdown (headings, bold, lists), made smaller (to 70 %) when long: the lab window holds
        # about 25 lines of consent; a longer information sheet belongs on paper or in a text step before it
        top, bottom = layout.CONSENT_TEXT_TOP, layout.CONSENT_TEXT_BOTTOM
        self.stims += page_stims(kit, current.pages[0], top, bottom)
        count = len(step.statements)
        spacing = layout.consent_statement_spacing(count)
        self.boxes = [
            Checkbox(kit, n + 1, s.text, layout.consent_statement_y(n, count), spacing)
            for n, s in enumerate(step.statements)
        ]
        self.agree = Button(kit, step.agree or say("consent.agree"), -layout.CONSENT_BUTTON_X, *CONSENT_BUTTON)
        self.decline = Button(kit, step.decline or say("consent.decline"), layout.CONSENT_BUTTON_X, *CONSENT_BUTTON)
        hint = say("lab.consent_hint") if self.boxes else say("lab.consent_hint_no_statements")
        self.hint = kit.text(hint, layout.BUTTON_Y - 0.06, 0.02, colour=DIM)

    def _all_ticked(self) -> bool:
        return all(box.ticked for box in self.boxes)

    def draw(self) -> None:
        for stim in self.stims:
            stim.draw()
        for box in self.boxes:
            box.draw()
        self.agree.draw(self._all_ticked())
        self.decline.draw(True)
        self.hint.draw()

    def update(self, frame: Frame, onset: float) -> Outcome | None:
        for box in self.boxes:
            if box.clicked(frame):
                box.ticked = not box.ticked
        if self.decline.clicked(frame):
            return self._outcome(DECLINED, frame.now)
        if self.agree.clicked(frame) and self._all_ticked():
            return self._outcome(AGREED, frame.now)
        for key, at in frame.keys:
            number = NUMBER_KEYS.get(key, "")
            if number.isdigit() and 1 <= int(number) <= len(self.boxes):
                box = self.boxes[int(number) - 1]
                box.ticked = not box.ticked
            elif key == DECLINE_KEY:
                return self._outcome(DECLINED, at)
            elif key == AGREE_KEY and self._all_ticked():
                return self._outcome(AGREED, at)
        return None

    def _outcome(self, value: float, at: float) -> Outcome:
        checked = [s.id for s, box in zip(self.statements, self.boxes, strict=True) if box.ticked]
        return Outcome(values={"": value}, answered_at={"": at}, detail={"consent_checked": checked})
