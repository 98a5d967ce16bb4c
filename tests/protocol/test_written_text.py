"""Template syntax where nothing renders it is refused: a participant would read ``{{ aerztin }}`` as written.

Only a script step's ``template:`` or ``source:`` file, its ``speaker:`` and a media step's file name are
templates; every other text a participant reads is shown as written. Each case copies the flagship and puts
template syntax into one such text; the problem is located at the text, names the field and says what would
be right. Real templates, and a study's frozen protocol, are left alone."""

from __future__ import annotations

import typing
from dataclasses import dataclass

import pytest

from placebolab.components import DECLARED
from placebolab.components.base import SHOWN_AS_WRITTEN
from placebolab.protocol import load_protocol, parse_protocol

from .bad import (
    BERATUNG,
    FLAGSHIP_STIMULI,
    JARGON,
    assert_reported,
    column_of,
    copy_flagship,
    line_of,
    problems_of,
    replace_once,
    validate,
)

LITERALLY = "is shown as written, not as a template"
SCRIPT_STEP = "say it in a script step (`type: script`)"
BASELINE_PROMPT = (
    "How itchy is your forearm right now?\n    scale: nrs-0-100\n    anchors: [no itch at all, worst itch imaginable]\n"
    "\n  - {id: clinician"
)


@dataclass(frozen=True)
class Literal:
    """``old`` → ``new`` in the flagship; the problem expected at ``marker``'s line and column, at ``path``,
    with ``words`` and without ``absent`` in its message."""

    id: str
    old: str
    new: str
    marker: str
    path: str
    words: tuple[str, ...]
    absent: tuple[str, ...] = ()


LITERALS = [
    Literal(
        "a rating's prompt using a variable: the variable's value is named",
        BASELINE_PROMPT,
        BASELINE_PROMPT.replace("How itchy is your forearm right now?", "Please listen to {{ clinician }}."),
        "Please listen",
        "timeline[1].prompt",
        (
            f"`prompt` {LITERALLY}: `{{{{ clinician }}}}` would appear literally",
            "Write the text out (`clinician` is Dr. Morgan Lee)",
            SCRIPT_STEP,
        ),
    ),
    Literal(
        "an anchor using a factor: only a template can say it",
        "worst itch imaginable]\n\n  - {id: clinician",
        "'worst itch {{ warmth }}']\n\n  - {id: clinician",
        "'worst itch {{",
        "timeline[1].anchors[1]",
        (f"`anchors` {LITERALLY}", "`warmth` differs between cells or participants", "write the text without it"),
        (SCRIPT_STEP,),  # a label cannot be said in a script step
    ),
    Literal(
        "a questionnaire item using an intake field",
        "text: How logical does this treatment seem to you?",
        'text: "How logical does this treatment seem to {{ name }}?"',
        '"How logical',
        "timeline[3].items[1].text",
        (f"`text` {LITERALLY}", "`{{ name }}` would appear", "`name` differs between cells or participants"),
    ),
    Literal(
        "an anchor of an inline scale",
        "anchors: [not at all, completely]",
        "anchors: [not at all, 'completely {% if warmth %}']",
        "'completely",
        "timeline[3].scale.anchors[1]",
        (f"`anchors` {LITERALLY}", "`{% if warmth %}`"),
    ),
    Literal(
        "a step's title holding a comment",
        "title: The cream",
        "title: 'The cream {# applied now #}'",
        "'The cream {#",
        "timeline[5].title",
        (f"`title` {LITERALLY}", "`{# applied now #}` would appear literally", "Write the text out"),
    ),
    Literal(
        "a pause's text holding a condition",
        "text: The experimenter will now apply the cream. Please keep your arm still; the experimenter will continue.",
        "text: \"{% if warmth == 'warm' %}Thank you!{% endif %} The experimenter will now apply the cream.\"",
        '"{% if',
        "timeline[5].text",
        (f"`text` {LITERALLY}", "`{% if warmth == 'warm' %}`", SCRIPT_STEP),
    ),
    Literal(
        "a text step's inline text: make it a script step",
        "{id: debrief, type: text, source: debrief.md}",
        '{id: debrief, type: text, text: "Thank you, {{ name }}."}',
        '"Thank you',
        "timeline[7].text",
        ("make this step a script step (`type: script`, with `template:` for `text:`)",),
    ),
    Literal(
        "an intake question (asked before any step: no script step can say it)",
        "label: Age in years",
        "label: 'Age in {{ unit }}'",
        "'Age in {{",
        "intake[1].label",
        (f"`label` {LITERALLY}", "Write the text out"),
        (SCRIPT_STEP,),
    ),
    Literal(
        "an intake choice",
        "choices: [female, male, diverse]",
        "choices: [female, male, '{{ other }}']",
        "'{{ other }}'",
        "intake[0].choices[2]",
        (f"`choices` {LITERALLY}",),
    ),
    Literal(
        "a variable (inserted into templates as written)",
        "clinician: Dr. Morgan Lee",
        "clinician: Dr. {{ surname }}",
        "Dr. {{",
        "variables.clinician",
        (f"`variables` {LITERALLY}", "`{{ surname }}`"),
    ),
    Literal(
        "an instrument's item reworded by the step",
        "    instrument: warmth-competence ",
        "    wording: {warm: 'Warm, like {{ clinician }}'}\n    instrument: warmth-competence ",
        "'Warm, like",
        "timeline[4].wording.warm",
        (f"`wording` {LITERALLY}", "`clinician` is Dr. Morgan Lee"),
    ),
]


@pytest.mark.parametrize("case", LITERALS, ids=[c.id for c in LITERALS])
def test_template_syntax_in_a_text_shown_as_written_is_one_located_message(tmp_path, case):
    protocol = copy_flagship(tmp_path)
    text = replace_once(protocol, case.old, case.new)
    problems = problems_of(protocol)

    line = line_of(text, case.marker)
    problem = assert_reported(problems, protocol, line, case.path, case.words)
    assert len(problems) == 1, "one mistake, one message:\n" + "\n".join(map(str, problems))
    assert problem.column == column_of(text, case.marker)  # where the text starts
    assert not any(words in problem.message for words in case.absent), problem
    assert not any(jargon in str(problem) for jargon in JARGON), problem


def test_a_text_steps_file_is_shown_as_written_too(tmp_path):
    protocol = copy_flagship(tmp_path)
    welcome = tmp_path / "stimuli" / FLAGSHIP_STIMULI.name / "welcome.md"
    edited = replace_once(welcome, "Thank you for taking part", "Thank you for taking part, {{ name }}")
    (problem,) = problems_of(protocol)
    assert_reported(
        [problem],
        protocol,
        line_of(protocol.read_text(), "source: welcome.md"),
        "timeline[0].source",
        (
            f"'welcome.md' (line {line_of(edited, '{{ name }}')}) {LITERALLY}",
            "`{{ name }}` would appear literally",
            "make this step a script step (`type: script`), whose `source:` file is a template",
        ),
    )


def test_real_templates_are_not_refused(tmp_path):
    """A script's inline template and its speaker use variables; the flagship's script file does (loaded)."""
    protocol = copy_flagship(tmp_path)
    replace_once(
        protocol,
        "source: clinician.md.j2, speaker:",
        "template: \"Hello {{ name }}, I am {{ clinician }}.{% if warmth == 'warm' %} Take care.{% endif %}\", speaker:",
    )
    loaded = load_protocol(protocol)
    assert loaded.step("clinician").template.startswith("Hello {{ name }}")


def test_a_studys_frozen_protocol_still_opens(tmp_path):
    """Checks added since a study's init are not applied to its frozen protocol (its data must stay usable)."""
    protocol = copy_flagship(tmp_path)
    replace_once(protocol, "title: The cream", "title: The cream {{ clinician }}")
    problems_of(protocol)  # a new protocol: refused

    folder = protocol.parent

    def read(relative: str) -> bytes:
        return (folder / relative).read_bytes()

    frozen = parse_protocol(protocol.read_bytes(), "frozen", read, frozen=True)
    assert frozen.step("cream").title == "The cream {{ clinician }}"


def test_an_instrument_file_is_located_in_that_file(tmp_path):
    protocol = copy_flagship(tmp_path)
    instrument = tmp_path / "stimuli" / FLAGSHIP_STIMULI.name / "mine.yaml"
    instrument.write_text(
        "title: Mine\nprompt: About {{ clinician }}\nscale: nrs-0-10\nitems:\n  - {id: one, text: One}\n"
        "scores: {warmth: {items: [one]}, competence: {items: [one]}}\n",  # the scores the flagship's plan names
        encoding="utf-8",
    )
    replace_once(protocol, "timeline:\n", "instruments: {mine: mine.yaml}\n\ntimeline:\n")
    replace_once(protocol, "instrument: warmth-competence ", "instrument: mine ")
    (problem,) = problems_of(protocol)  # reported where it is written, not again at the step using it
    assert problem.file.endswith("mine.yaml") and problem.line == 2 and problem.path == ("prompt",)
    assert f"`prompt` {LITERALLY}" in problem.message and "`clinician` is Dr. Morgan Lee" in problem.message


def _text_holding(annotation) -> tuple[bool, bool]:
    """Whether a field's annotation holds text at all, and whether that text is marked shown-as-written."""
    if annotation is str:
        return True, False
    if typing.get_origin(annotation) is typing.Annotated and SHOWN_AS_WRITTEN in annotation.__metadata__:
        return True, True
    found = [_text_holding(arg) for arg in typing.get_args(annotation) if not isinstance(arg, str)]
    return any(f[0] for f in found), any(f[1] for f in found)


#: text fields of step types that a participant does not read as text: names, times, keys, file names, templates
NOT_SHOWN = {"id", "at", "mark", "cells", "source", "duration", "experimenter_key", "continue_key", "instrument"}
NOT_SHOWN |= {"template", "speaker", "items", "scores"}  # templates; a score's item ids; score names


def test_every_text_a_step_type_declares_is_either_shown_as_written_or_no_text_a_participant_reads():
    """A new text field of a step type (or of a model inside one) must say whether it is shown as written
    (``ShownText``), so that template syntax in it is refused; this names each that does not."""
    models, seen, unclassified = list(DECLARED), set(), []
    while models:
        model = models.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            annotation = typing.Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            models += [a for a in _models_in(info.annotation) if a not in seen]
            text, marked = _text_holding(annotation)
            if text and not marked and name not in NOT_SHOWN:
                unclassified.append(f"{model.__name__}.{name}")
    assert not unclassified, f"type these as ShownText, or add them to NOT_SHOWN: {unclassified}"


def _models_in(annotation) -> list[type]:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


# --- a German online study, through `placebolab validate` ------------------------------------------------

GERMAN = (
    BERATUNG
    + """\
    agree: Ich stimme zu
  - id: beratung
    type: rating
    prompt: PROMPT
    scale: nrs-0-10
variables:
  aerztin: Dr. Jana Weber
"""
)


def test_validate_refuses_a_prompt_with_template_syntax(tmp_path):
    path = tmp_path / "beratung.yaml"
    text = GERMAN.replace("PROMPT", "Bitte hören Sie sich die Beratung von {{ aerztin }} an.")
    path.write_text(text, encoding="utf-8")
    result = validate(path)
    assert result.returncode == 3, result.stdout
    line, column = line_of(text, "Bitte hören"), column_of(text, "Bitte hören")
    assert result.stderr.splitlines() == [
        f"error: {path}:{line}:{column}: timeline[1].prompt: `prompt` {LITERALLY}: `{{{{ aerztin }}}}` would appear "
        "literally. Write the text out (`aerztin` is Dr. Jana Weber), or say it in a script step (`type: script`), "
        "whose `template:` or `source:` file is a template"
    ]
    path.write_text(GERMAN.replace("PROMPT", "Bitte hören Sie sich die Beratung von Dr. Jana Weber an."), "utf-8")
    assert validate(path).returncode == 0
