"""A comma inside ``{ }`` ends a value: ``{id: daten, text: Ich bin einverstanden, dass meine …}`` reads the
rest of the sentence as a key of its own. The message says so, once, at the cut, with the fix (quotes); its
path names the mapping, not the sentence."""

from __future__ import annotations

import pytest

from placebolab.document.problems import format_path

from .bad import BERATUNG, assert_reported, column_of, copy_flagship, line_of, problems_of, replace_once, validate

CONSENT = BERATUNG + "      - STATEMENT\n"
SPLIT = "{id: daten, text: Ich bin einverstanden, dass meine Antworten ohne Namen gespeichert werden.}"
QUOTED = '{id: daten, text: "Ich bin einverstanden, dass meine Antworten ohne Namen gespeichert werden."}'


def test_validate_explains_a_statement_cut_by_a_comma(tmp_path):
    path = tmp_path / "beratung.yaml"
    text = CONSENT.replace("STATEMENT", SPLIT)
    path.write_text(text, encoding="utf-8")
    result = validate(path)
    assert result.returncode == 3, result.stdout
    line, column = line_of(text, "dass meine"), column_of(text, "dass meine")
    assert result.stderr.splitlines() == [
        f"error: {path}:{line}:{column}: timeline[0].statements[1]: unknown key `dass meine Antworten ohne …`: a "
        "comma inside { } ends a value, so the rest of the text became a key of its own; put the whole text in "
        'quotes, e.g. text: "Ich bin einverstanden, dass …"'
    ]
    path.write_text(CONSENT.replace("STATEMENT", QUOTED), encoding="utf-8")
    assert validate(path).returncode == 0


RELIEF = "{id: relief,   text: How much do you expect the cream to relieve your itch?}"


@pytest.mark.parametrize(
    ("new", "marker", "words"),
    [
        (
            "{id: relief, text: Overall, how much do you expect the cream to relieve your itch?}",
            "how much",
            ("unknown key `how much do you expect the …`", "a comma inside { } ends a value", 'text: "Overall, how …"'),
        ),
        (  # several pieces: one message, at the first, with the whole text when it is short
            "{id: relief, text: Yes, no, or maybe}",
            "no, or",
            ("unknown key `no`", "became keys of their own", 'text: "Yes, no, or maybe"'),
        ),
    ],
    ids=["a sentence", "several pieces"],
)
def test_a_text_cut_by_a_comma_is_one_readable_message(tmp_path, new, marker, words):
    protocol = copy_flagship(tmp_path)
    text = replace_once(protocol, RELIEF, new)
    (problem,) = problems_of(protocol)
    assert_reported([problem], protocol, line_of(text, marker), "timeline[3].items[0]", words)
    assert problem.column == column_of(text, marker)
    assert str(problem).count("do you expect") <= 1  # the sentence is not printed as a key in the path too


@pytest.mark.parametrize(
    ("old", "new", "path", "words"),
    [
        (RELIEF, "{id: relief, txt}", "timeline[3].items[0].txt", ("unknown key `txt`", "did you mean `text`?")),
        (
            RELIEF,
            "{id: relief,   text: How much?, nice words: yes}",
            "timeline[3].items[0].nice words",
            ("unknown key `nice words`", "allowed here"),
        ),
        (  # a mapping written in block style: no { } to blame
            "    type: pause\n",
            "    type: pause\n    so the experimenter:\n",
            "timeline[5].so the experimenter",
            ("unknown key `so the experimenter`", "allowed here"),
        ),
    ],
    ids=["a misspelt key without a value", "an unknown key with a value", "a block mapping"],
)
def test_other_unknown_keys_keep_their_message(tmp_path, old, new, path, words):
    protocol = copy_flagship(tmp_path)
    replace_once(protocol, old, new)
    (problem,) = problems_of(protocol)
    assert format_path(problem.path) == path and all(w in problem.message for w in words), problem
    assert "comma" not in problem.message
