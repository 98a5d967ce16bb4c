"""`validate` warns when a protocol in another language than English would show its participants texts that
placebolab ships in English: a bank instrument's items, question and labels, or a preset scale's labels. A
German study using the bank's warmth-competence check validated silently, and its participants read 'Warm',
'Caring' and 'not at all … extremely' between German pages."""

from __future__ import annotations

from placebolab.protocol import load_protocol
from tests.frontends.german import german_protocol

CHECK = (
    "  - {id: check, type: questionnaire, role: manipulation_check, instrument: warmth-competence, "
    "prompt: Wie würden Sie die Ärztin beschreiben?}\n"
)
WORDED = (
    "  - id: check\n    type: questionnaire\n    role: manipulation_check\n    instrument: warmth-competence\n"
    "    prompt: Wie würden Sie die Ärztin beschreiben?\n"
    "    scale: {type: nrs, min: 1, max: 7, anchors: [gar nicht, äußerst]}\n"
    "    wording: {warm: Warmherzig, caring: Fürsorglich, friendly: Freundlich, competent: Kompetent, "
    "confident: Selbstsicher, skilled: Fachkundig}\n"
)


def protocol_with(tmp_path, steps: str, language: str = "de"):
    path = german_protocol(tmp_path, media=False)
    text = path.read_text(encoding="utf-8").replace("language: de\n", f"language: {language}\n")
    path.write_text(text.replace("  - {id: abschluss", steps + "  - {id: abschluss"), encoding="utf-8")
    return path


def test_a_bank_instrument_in_a_german_protocol_is_named_with_its_english_texts_and_what_to_give(tmp_path):
    path = protocol_with(tmp_path, CHECK)
    (warning,) = load_protocol(path).warnings
    line = path.read_text(encoding="utf-8").splitlines().index(CHECK.rstrip("\n")) + 1
    assert warning.path == ("timeline", 5, "instrument") and warning.line == line
    assert warning.message == (
        "instrument warmth-competence is the bank's, in English ('Warm', 'Caring', 'Friendly' …), and the "
        "protocol's language is de: its participants would read it as it is; give its texts in de (items under "
        "`wording:`, labels under `scale:`, the question under `prompt:`) or define it under the protocol's "
        "`instruments:`"
    )


def test_its_labels_alone_are_enough_to_warn(tmp_path):
    worded_but_english_labels = WORDED.replace(
        "    scale: {type: nrs, min: 1, max: 7, anchors: [gar nicht, äußerst]}\n", ""
    )
    (warning,) = load_protocol(protocol_with(tmp_path, worded_but_english_labels)).warnings
    assert "('not at all', 'extremely')" in warning.message


def test_an_instrument_given_in_german_and_an_english_protocol_are_left_alone(tmp_path):
    assert load_protocol(protocol_with(tmp_path / "de", WORDED)).warnings == []
    assert load_protocol(protocol_with(tmp_path / "en", CHECK, language="en")).warnings == []


def test_a_preset_scale_with_english_labels_is_named(tmp_path):
    likert = (
        "  - {id: zufrieden, type: questionnaire, role: covariate, scale: likert-5,\n"
        "     items: [{id: arzt, text: Ich war mit der Ärztin zufrieden.}]}\n"
    )
    path = protocol_with(tmp_path, likert)
    (warning,) = load_protocol(path).warnings
    assert warning.path == ("timeline", 5, "scale")
    assert warning.message.startswith(
        "this preset scale's labels are English ('strongly disagree', 'disagree', 'neither agree nor disagree' …), "
        "and the protocol's language is de"
    )
    numeric = likert.replace("scale: likert-5", "scale: nrs-0-10")  # a preset without labels shows no English
    assert load_protocol(protocol_with(tmp_path / "nrs", numeric)).warnings == []
