"""What a console session of the (short) flagship protocol shows, step by step, and how to answer it in a
pseudo-terminal. The texts are those of protocols/warmth-competence-itch.yaml; the plan is the same in
every cell (no step is limited to some cells)."""

from __future__ import annotations

import re

from .ptyterm import Terminal

PLAN = [
    "welcome",
    "itch_baseline",
    "clinician",
    "expectancy",
    "check",
    "cream",
    "itch_post@t0+1s",
    "itch_post@t0+2s",
    "debrief",
]
PAGES = {"welcome": 1, "clinician": 3, "debrief": 1}
ITCH = "How itchy is your forearm right now?"
ITEMS = {  # questionnaire → (item id, text), in order
    "expectancy": [
        ("relief", "How much do you expect the cream to relieve your itch?"),
        ("logical", "How logical does this treatment seem to you?"),
        ("confident", "How confident are you that the cream will work for you?"),
        ("doubt", "How doubtful are you that the cream will help?"),
    ],
    "check": [
        ("warm", "Warm"),
        ("caring", "Caring"),
        ("friendly", "Friendly"),
        ("competent", "Competent"),
        ("confident", "Confident"),
        ("skilled", "Skilled"),
    ],
}
RANGE = {"itch_baseline": "0–100", "itch_post": "0–100", "expectancy": "0–10", "check": "1–7"}
ENTER = "[Enter] to continue"
GO = "type 'go' and Enter to continue"
INTAKE = {
    "sex": "Sex (female, male, diverse): ",
    "age": "Age in years: ",
    "name": "First name the clinician should use: ",
}

# The answers typed in a complete session: (step, occasion, item) → value, as long.csv keys them.
ANSWERS = {
    ("itch_baseline", "", ""): 62,
    ("expectancy", "", "relief"): 8,
    ("expectancy", "", "logical"): 6,
    ("expectancy", "", "confident"): 7,
    ("expectancy", "", "doubt"): 3,  # reverse-keyed: scored 10 − 3 = 7
    ("check", "", "warm"): 6,
    ("check", "", "caring"): 5,
    ("check", "", "friendly"): 7,
    ("check", "", "competent"): 2,
    ("check", "", "confident"): 3,
    ("check", "", "skilled"): 1,
    ("itch_post", "t0+1s", ""): 41,
    ("itch_post", "t0+2s", ""): 29,
}
# What wide.csv must hold for those answers.
SCORES = {
    "itch_baseline": 62,
    "expectancy.relief": 8,
    "expectancy.logical": 6,
    "expectancy.confident": 7,
    "expectancy.doubt": 3,
    "expectancy.expectancy": (8 + 6 + 7 + (10 - 3)) / 4,  # 7.0, not the 6.0 of an unreflected mean
    "check.warmth": (6 + 5 + 7) / 3,
    "check.competence": (2 + 3 + 1) / 3,
    "itch_post@t0+1s": 41,
    "itch_post@t0+2s": 29,
    "itch_post": (41 + 29) / 2,
}


def step_rule(index: int) -> re.Pattern:
    """The rule a step opens with: ``──── 4/9 ────`` for the fourth of nine (``index`` from 1)."""
    return re.compile(rf"(?<![\d/]){index}/{len(PLAN)}(?![\d/])")


def answer_prompt(key: str) -> str:
    return f"Your answer ({RANGE[key.partition('@')[0]]}): "


def answer_intake(term: Terminal, sex="female", age="34", name="Robin") -> None:
    term.answer(INTAKE["sex"], sex)
    term.answer(INTAKE["age"], age)
    term.answer(INTAKE["name"], name)


def answers_of(key: str) -> dict[str, int]:
    """item id → the value ANSWERS holds for the step occurrence ``key``."""
    step, _, occasion = key.partition("@")
    return {item: value for (s, o, item), value in ANSWERS.items() if s == step and o == occasion}


def do_step(
    term: Terminal, key: str, values: dict[str, int] | None = None, *, timeout: float = 15, kept: tuple[str, ...] = ()
) -> None:
    """Walk through the step occurrence ``key``: its rule, then page through, rate, or type 'go'. ``kept``:
    questionnaire items answered before a stop, shown as answered (with their value) and not asked again."""
    term.expect(step_rule(PLAN.index(key) + 1), timeout)
    step = key.partition("@")[0]
    values = answers_of(key) if values is None else values
    if key in PAGES:
        for _ in range(PAGES[key]):
            term.answer(ENTER, "")
    elif step == "cream":
        term.answer(GO, "go")
    elif step in ITEMS:
        for item, text in ITEMS[step]:
            term.expect(text)
            if item in kept:
                term.expect(f"answered: {values[item]}")
                continue
            term.answer(answer_prompt(key), str(values[item]))
    else:
        term.expect(ITCH)
        term.answer(answer_prompt(key), str(values[""]))


def finish(term: Terminal, participant: str = "P001") -> None:
    """The session ends with its summary line and exit code 0. The line does not name the cell: the
    participant may be looking at the terminal (blinding)."""
    line = f"Session of {participant} complete; every answer is stored."
    term.expect(line)
    assert term.wait() == 0, term.text[-2000:]
    shown = term.text[term.text.rindex(f"Session of {participant}") :].splitlines()[0].strip()
    assert shown == line, f"the line says more than it should: {shown!r}"
