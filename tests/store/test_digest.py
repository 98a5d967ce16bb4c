"""A step's digest (logged with it, recomputed by the audit) is the SHA-256 of ``json.dumps`` of one dict;
``store/base.py`` writes that text out directly for speed. It must stay the same text, byte for byte, or
every study recorded before would fail its audit."""

from __future__ import annotations

import hashlib
import json
import math
import random
import re

import pytest

from placebolab.store import Answer, StepRecord
from placebolab.store.base import _canonical_text, json_text, record_digest, step_digest

#: floats whose text is hard to get right: zeros of both signs, the specials, 17-digit epochs, tiny and huge
FLOATS = [0.0, -0.0, 1.0, -1.5, 0.1, 1e-7, 1e16, 1e22, 123456789.0, 1764682392.5737724, 1764682395.8737724,
          3.3000001907348633, 2.220446049250313e-16, 5e-324, 1.7976931348623157e308, math.inf, -math.inf,
          math.nan]  # fmt: skip
STRINGS = ["", "itch_baseline", "itch_post@t0+3min", 'quote " and \\ backslash', "tab\tnew\nline", "é ü 😀",
           "\x00\x1f\x7f", '{"late_s": 0.5, "page_rt": [1.25, 3.0]}']  # fmt: skip


def reference(participant_id, step, detail, answers) -> str:
    """The digest as defined: ``json.dumps`` of the canonical dict, keys sorted (how it was first written)."""
    step_key, step_id, occasion, shown_at, completed_at, frontend = step
    canonical = {
        "answers": sorted(
            [item, None if value is None else float(value), None if rt is None else float(rt), float(at)]
            for item, value, rt, at in answers
        ),
        "completed_at": float(completed_at),
        "detail": detail,
        "frontend": frontend,
        "occasion": occasion,
        "participant": participant_id,
        "shown_at": float(shown_at),
        "step": step_id,
        "step_key": step_key,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def random_step(rng: random.Random):
    def number():
        return rng.choice(
            [rng.choice(FLOATS), rng.uniform(-1e3, 1e3), 1.7e9 + rng.random() * 1e8, rng.randint(-5, 100)]
        )

    completed = number()
    answers = [
        (
            item,
            None if rng.random() < 0.2 else number(),
            None if rng.random() < 0.2 else rng.choice([number(), completed - 1.7e9]),
            rng.choice([completed, number()]),
        )
        for item in rng.sample(STRINGS + [f"item{i}" for i in range(8)], rng.randint(0, 7))
    ]
    step = (
        rng.choice(STRINGS),
        rng.choice(STRINGS),
        None if rng.random() < 0.5 else rng.choice(STRINGS),
        number(),
        completed,
        rng.choice(STRINGS),
    )
    detail = None if rng.random() < 0.4 else rng.choice(STRINGS)
    return rng.choice(STRINGS), step, detail, answers


def test_the_digest_text_is_json_dumps_of_the_canonical_dict():
    rng = random.Random(20261202)
    for _ in range(3000):
        participant, step, detail, answers = random_step(rng)
        canonical = sorted(
            [item, None if v is None else float(v), None if rt is None else float(rt), float(at)]
            for item, v, rt, at in answers
        )
        step_key, step_id, occasion, shown_at, completed_at, frontend = step
        expected = json.dumps(
            {
                "answers": canonical,
                "completed_at": float(completed_at),
                "detail": detail,
                "frontend": frontend,
                "occasion": occasion,
                "participant": participant,
                "shown_at": float(shown_at),
                "step": step_id,
                "step_key": step_key,
            },
            sort_keys=True,
        )
        written = _canonical_text(
            participant, canonical, float(completed_at), detail, frontend, occasion, float(shown_at), step_id, step_key
        )
        assert written == expected


def test_step_and_record_digests_match_the_definition():
    rng = random.Random(11)
    for _ in range(500):
        participant, step, detail, answers = random_step(rng)
        expected = reference(participant, step, detail, answers)
        row = dict(zip(("step_key", "step", "occasion", "shown_at", "completed_at", "frontend"), step, strict=True))
        rows = [dict(zip(("item", "value", "rt", "responded_at"), a, strict=True)) for a in answers]
        assert step_digest(participant, row | {"detail": detail}, rows) == expected
        record = StepRecord(*step, answers=[Answer(*a) for a in answers])
        assert record_digest(participant, record, detail) == expected


@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_a_zero_of_either_sign_is_written_as_json_writes_it(zero):
    """0.0 and -0.0 are one dict key but two texts: neither may borrow the other's."""
    answers = [["a", 0.0, zero, 1.0], ["b", -0.0, 0.0, 1.0], ["c", zero, -0.0, 1.0]]
    written = _canonical_text("P1", answers, 1.0, None, "test", None, 0.0, "s", "s")
    assert written == json.dumps(
        {"answers": answers, "completed_at": 1.0, "detail": None, "frontend": "test", "occasion": None,
         "participant": "P1", "shown_at": 0.0, "step": "s", "step_key": "s"}, sort_keys=True
    )  # fmt: skip
    negative = sum(1 for row in answers for v in row[1:3] if v == 0 and math.copysign(1, v) < 0)
    assert written.count("-0.0") == negative


def test_json_text_is_json_dumps():
    values = [
        None,
        True,
        0,
        -7,
        2**70,
        "é ü 😀 \x00",
        [],
        {},
        (1, 2),
        {"b": [1.5, None], "a": {"x": "y"}},
        {1: 2, 2.5: 3},
    ]
    values += FLOATS + [[f] for f in FLOATS] + [{"late_s": f} for f in FLOATS] + STRINGS
    for value in values:
        assert json_text(value) == json.dumps(value)
    circular: list = []
    circular.append(circular)
    for bad, error in [(circular, ValueError), ({"when": object()}, TypeError), ({(1, 2): 3}, TypeError)]:
        with pytest.raises(error) as raised:
            json.dumps(bad)
        with pytest.raises(error, match=re.escape(str(raised.value))):
            json_text(bad)
