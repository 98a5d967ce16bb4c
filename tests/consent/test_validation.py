"""A malformed consent step or attention check is refused with its file, line and field, in words a researcher
can act on (never pydantic's); a good one loads, is simulated (agree, attend), previewed and counted."""

from __future__ import annotations

import pytest

from placebolab.authoring.preview import preview_html
from placebolab.protocol import load_protocol
from placebolab.protocol.measures import measures
from tests.protocol.bad import JARGON, assert_reported, line_of, problems_of

from .protocols import PROTOCOL, consent_sha256, write_consent_protocol

CONSENT_HEAD = """  - id: consent
    type: consent
    title: Taking part
    source: consent.md
"""

BAD = [
    # (id, old, new, marker of the expected line, path, words)
    (
        "cells",
        CONSENT_HEAD,
        CONSENT_HEAD + "    cells: [warm]\n",
        "    cells: [warm]",
        "timeline[0].cells",
        ("shown to every cell", "remove `cells`"),
    ),
    (
        "at",
        CONSENT_HEAD,
        CONSENT_HEAD + "    at: start+1min\n",
        "    at: start+1min",
        "timeline[0].at",
        ("remove `at`",),
    ),
    (
        "both-bodies",
        CONSENT_HEAD,
        CONSENT_HEAD + "    text: I agree.\n",
        "    text: I agree.",
        "timeline[0].text",
        ("either `text`", "not both"),
    ),
    (
        "no-body",
        "    source: consent.md\n",
        "",
        "  - id: consent",
        "timeline[0]",
        ("needs `text`", "or `source`"),
    ),
    (
        "twice-the-same-statement",
        "      - {id: data, text:",
        "      - {id: read, text:",
        "      - {id: read, text: I agree that",
        "timeline[0].statements[1].id",
        ("'read' is already used by statements[0]",),
    ),
    (
        "statement-without-text",
        "      - {id: read, text: I have read the information above.}",
        "      - {id: read}",
        "      - {id: read}",
        "timeline[0].statements[0].text",
        ("text",),
    ),
    (
        "unknown-key",
        CONSENT_HEAD,
        CONSENT_HEAD + "    agree_button: Yes\n",
        "    agree_button: Yes",
        "timeline[0].agree_button",
        ("agree_button",),
    ),
    (
        "check-off-the-scale",
        "attention_check: {expect: 7}",
        "attention_check: {expect: 12}",
        "  - {id: attend_rating",
        "timeline[3].attention_check.expect",
        ("expects 12", "0–10", "does not offer"),
    ),
    (
        "check-item-off-the-scale",
        "attention_check: {expect: 2}",
        "attention_check: {expect: 2.5}",
        "      - {id: attend, text",
        "timeline[2].items[1].attention_check.expect",
        ("expects 2.5", "1–5"),
    ),
    (
        "check-in-a-score",
        "      - {id: attend, text: Please choose 2 for this question., attention_check: {expect: 2}}\n",
        "      - {id: attend, text: Please choose 2 for this question., attention_check: {expect: 2}}\n"
        "    scores:\n      total: {items: [relief, attend]}\n",
        "      total: {items: [relief, attend]}",
        "timeline[2].scores.total.items[1]",
        ("'attend', an attention check", "in no score"),
    ),
    (
        "min-seconds-negative",
        "data_quality: {min_seconds_per_item: 2}",
        "data_quality: {min_seconds_per_item: -1}",
        "data_quality:",
        "data_quality.min_seconds_per_item",
        (),
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "marker", "path", "words"), BAD, ids=[b[0] for b in BAD])
def test_a_malformed_consent_step_or_check_names_file_line_and_field(tmp_path, name, old, new, marker, path, words):
    assert PROTOCOL.count(old) == 1
    edited = PROTOCOL.replace(old, new)
    protocol = write_consent_protocol(tmp_path, edited)
    problems = problems_of(protocol)
    problem = assert_reported(problems, protocol, line_of(edited, marker), path, words)
    assert not any(word in str(problem) for word in JARGON), str(problem)


def test_a_good_consent_protocol_loads_previews_and_counts_no_check_as_a_measure(tmp_path):
    protocol = load_protocol(write_consent_protocol(tmp_path))
    consent = protocol.step("consent")
    assert consent.type == "consent" and [s.id for s in consent.statements] == ["read", "data"]
    assert consent.stored_detail(protocol.files) == {"consent_sha256": consent_sha256()}
    assert consent.declines({"": 0.0}) and not consent.declines({"": 1.0})
    assert set(measures(protocol)) == {"itch", "expectancy.relief"}  # no consent, no attention check
    assert consent.simulate(lambda *_: 99.0) == {"": 1.0}  # a simulated participant agrees …
    assert protocol.step("attend_rating").simulate(lambda *_: 3.0) == {"": 7.0}  # … and attends
    assert protocol.step("expectancy").simulate(lambda *_: 4.0) == {"relief": 4.0, "attend": 2.0}
    html = preview_html(protocol)
    assert "You will rate an itch" in html and "I have read the information above." in html
    assert consent_sha256()[:12] in html and "declining ends the session" in html
    assert "attention check: expects 2" in html and "attention check: expects 7" in html


def test_an_inline_consent_texts_hash_is_of_the_text_as_given(tmp_path):
    edited = PROTOCOL.replace("    source: consent.md\n", "    text: |\n      I agree to rate an itch.\n")
    protocol = load_protocol(write_consent_protocol(tmp_path, edited))
    import hashlib

    expected = hashlib.sha256(b"I agree to rate an itch.").hexdigest()
    assert protocol.step("consent").stored_detail(protocol.files) == {"consent_sha256": expected}


def test_the_preview_names_the_consent_buttons_a_participant_sees_in_the_protocols_language(tmp_path):
    english = preview_html(load_protocol(write_consent_protocol(tmp_path / "en")))
    assert "agree: I agree to take part · decline: I do not agree" in english
    german = PROTOCOL.replace("version:", "language: de\nversion:", 1)
    html = preview_html(load_protocol(write_consent_protocol(tmp_path / "de", german)))
    assert "agree: Ich stimme der Teilnahme zu · decline: Ich stimme nicht zu" in html
    assert "I do not agree" not in html
