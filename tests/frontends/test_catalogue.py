"""The catalogue of participant-facing texts (components/catalogue): every language has every key, with the
same {placeholders}; every key the code looks up exists and every key is used; the protocol's `language:`
chooses one, and a wrong one is refused with its line and the languages there are."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from placebolab.authoring.schema import protocol_schema
from placebolab.components.base import Item
from placebolab.components.catalogue import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    WordedError,
    Words,
    catalogue,
    placeholders,
    read_texts,
    shipped_languages,
)
from placebolab.errors import InternalError, ProtocolError
from placebolab.protocol import load_protocol
from placebolab.protocol.models import IntakeField
from tests.conftest import ROOT
from tests.protocol.bad import copy_flagship, line_of, replace_once

SRC = ROOT / "src" / "placebolab"
ENGLISH = read_texts("en")
#: texts that are rightly the same in German (a key's name on the keyboard)
SAME_IN_GERMAN = {"key.return"}


def test_the_languages_are_the_files_shipped_and_english_is_the_default():
    assert shipped_languages() == sorted(LANGUAGES) and {"en", "de"} <= set(LANGUAGES)
    assert DEFAULT_LANGUAGE == "en"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_key_with_the_same_placeholders(language):
    texts = read_texts(language)
    assert sorted(texts) == sorted(ENGLISH), f"{language}: keys missing or extra"
    for key, english in ENGLISH.items():
        assert placeholders(texts[key]) == placeholders(english), f"{language} {key}: {texts[key]!r}"
        filled = catalogue(language)(key, **dict.fromkeys(placeholders(english), 7))  # every text fills in
        assert "{" not in filled and "}" not in filled, (language, key, filled)


def test_german_is_german():
    german = read_texts("de")
    same = {key for key in ENGLISH if german[key] == ENGLISH[key]}
    assert same == SAME_IN_GERMAN
    assert german["continue"] == "Weiter" and german["web.wait_heading"] == "Bitte warten Sie"
    assert all(" du " not in f" {text.lower()} " for text in german.values()), "participants are addressed as Sie"


def keys_used_in_code() -> set[str]:
    """Every key the code looks up by a literal: say("…"), t("…") and t_html("…") in templates, WordedError("…"), Words("…"),
    (say or catalogue())("…"), a family by an f-string (f"key.{key}") and the literals of a conditional
    lookup (say("a" if … else "b"))."""
    used: set[str] = set()
    call = re.compile(r"""(?:\b(?:say|t|t_html|WordedError|Words)|\))\(\s*(f?)["']([\w.{}]+)["']""")
    conditional = re.compile(r"""["']([a-z]+\.[a-z_.]+)["'] if .*? else ["']([a-z]+\.[a-z_.]+)["']""")
    for path in [*SRC.rglob("*.py"), *SRC.rglob("*.j2")]:
        text = path.read_text(encoding="utf-8")
        for prefix, key in call.findall(text):
            if prefix:  # f"key.{key}": every key of that family
                used |= {k for k in ENGLISH if k.startswith(key.partition("{")[0])}
            else:
                used.add(key)
        for pair in conditional.findall(text):
            used |= {k for k in pair if k in ENGLISH or "." in k}
    return used


def test_every_key_looked_up_exists_and_every_key_is_used():
    used = keys_used_in_code()
    assert used - set(ENGLISH) == set(), "looked up but not in the catalogue"
    assert set(ENGLISH) - used == set(), "in the catalogue but never looked up"


def test_a_missing_key_or_value_is_a_bug_not_a_silent_gap():
    say = catalogue("de")
    with pytest.raises(InternalError, match="no text 'nope'"):
        say("nope")
    with pytest.raises(InternalError, match="cannot be filled in"):
        say("wait.comes_at", next="Die nächste Frage")
    with pytest.raises(InternalError, match="no catalogue for language 'fr'"):
        catalogue("fr")


def test_an_answer_error_is_english_as_a_message_and_german_for_a_german_participant():
    item = Item("", "number", 0, 100, 1)
    with pytest.raises(WordedError) as outside:
        item.check("150")
    assert str(outside.value) == "150 is outside 0–100"
    assert catalogue("de").problem(outside.value) == "150 liegt außerhalb von 0–100"
    with pytest.raises(WordedError) as off_scale:
        Item("", "number", 0, 10, 0.5).check("1.25")
    assert catalogue("de").problem(off_scale.value) == "1.25 liegt nicht auf der Skala (in Schritten von 0.5 ab 0)"
    assert catalogue("de").problem(ValueError("plain")) == "plain"  # not worded: shown as it is


def test_an_intake_error_puts_its_range_into_the_same_language():
    age = IntakeField(id="age", type="integer", label="Alter", min=18)
    with pytest.raises(WordedError) as low:
        age.check("12")
    assert str(low.value) == "12 is outside the allowed range (at least 18)"
    assert catalogue("de").problem(low.value) == "12 liegt außerhalb des erlaubten Bereichs (mindestens 18)"
    assert catalogue("de")("intake.outside", value=3, range=Words("range.between", {"low": 5, "high": 9})) == (
        "3 liegt außerhalb von 5–9"
    )


def with_language(tmp_path, value: str) -> Path:
    protocol = copy_flagship(tmp_path)
    replace_once(protocol, "version: 1.0.0\n", f"version: 1.0.0\nlanguage: {value}\n")
    return protocol


def test_the_protocol_chooses_its_language_and_english_is_the_default(tmp_path):
    assert load_protocol(ROOT / "protocols" / "warmth-competence-itch.yaml").language == "en"
    assert load_protocol(with_language(tmp_path, "de")).language == "de"


def test_a_language_without_a_catalogue_is_refused_with_its_line_and_the_languages_there_are(tmp_path):
    protocol = with_language(tmp_path, "fr")
    with pytest.raises(ProtocolError) as refused:
        load_protocol(protocol)
    message = str(refused.value)
    line = line_of(protocol.read_text(), "language: fr")
    assert f"{protocol.name}:{line}:" in message
    assert "language: 'fr' is not allowed here; use one of en, de" in message


def test_the_json_schema_offers_the_languages():
    language = protocol_schema()["properties"]["language"]
    assert language["enum"] == list(LANGUAGES) and language["default"] == "en"


# --- no participant-facing text outside the catalogue ------------------------------------------------

FRONTENDS = SRC / "frontends"
#: what the experimenter reads (stays English): the lab's intake dialog
EXPERIMENTER_ONLY = {FRONTENDS / "psychopy" / "intake.py"}
MARKUP = re.compile(r"\[/?[a-z ]+\]")  # rich's [bold] … [/bold]
WORD = re.compile(r"[A-Za-zÀ-ÿ]{2,}")
#: calls whose string arguments a participant reads: a screen's text, the terminal's output and prompts, a
#: button, the web app's message pages
SAYING = {"text", "print", "_ask", "Button", "_message"}


def literal_words(node) -> list[str]:
    """The words in the literal parts of a string argument (a plain or an f-string), markup left out."""
    parts = [node] if isinstance(node, ast.Constant) else getattr(node, "values", [])
    text = " ".join(p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str))
    return WORD.findall(MARKUP.sub("", text))


def test_no_frontend_draws_prints_or_asks_a_text_of_its_own():
    """What a screen draws (kit.text), the terminal prints or asks (print, _ask), a button and the web app's
    message pages say is looked up in the catalogue; a literal with words in such a call is a string a
    German participant would read in English."""
    found = []
    for path in sorted(set(FRONTENDS.rglob("*.py")) - EXPERIMENTER_ONLY):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in SAYING:
                words = [word for arg in node.args for word in literal_words(arg)]
                if words:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}: {' '.join(words)}")
    assert found == []


class TemplateText:
    """The text a web template writes itself: between its tags and in labelling attributes (and the page
    script's data-say-* texts, and the value an input button shows), once every jinja expression,
    statement and comment is taken out. A <button>'s value is what the form sends, never shown."""

    ATTRIBUTE = re.compile(r"""\b(?:aria-label|alt|title|placeholder|data-say-[a-z-]+)="([^"]*)\"""")
    SHOWN_VALUE = re.compile(r"""<input\b[^>]*\btype="(?:submit|button|reset)"[^>]*\bvalue="([^"]*)\"""")

    def __init__(self, source: str):
        bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
        found = self.ATTRIBUTE.findall(bare) + self.SHOWN_VALUE.findall(bare)
        self.attributes = [a for a in found if WORD.search(a)]
        self.text = WORD.findall(re.sub(r"<[^>]*>", " ", bare))


def test_no_web_template_holds_a_text_of_its_own():
    written = {}
    for path in sorted((FRONTENDS / "web" / "templates").glob("*.j2")):
        text = TemplateText(path.read_text(encoding="utf-8"))
        if text.text or text.attributes:
            written[path.name] = (text.text, text.attributes)
    assert written == {}


def test_the_template_check_finds_a_literal():
    written = TemplateText('<h1>{{ t("web.welcome") }}</h1>\n<p aria-label="Progress">Please wait</p>{# a note #}')
    assert written.text == ["Please", "wait"] and written.attributes == ["Progress"]
    shown = TemplateText(
        '<input type="submit" value="Go on"><span data-say-late="not yet"></span>'
        '<button type="submit" name="consent" value="agree">{{ t("consent.agree") }}</button>'
    )
    assert shown.text == [] and shown.attributes == ["not yet", "Go on"]
