"""The labels of every scale preset and of every instrument in the bank, drawn in the lab window at
1280×800 and 1920×1080: no two texts on a screen overlap (judged from the laid-out glyphs of TextBox2
and the layout box of a TextStim), none leaves the screen, and no label is broken inside a word
(TextBox2 hyphenates a word wider than its box: "strongly disa-gree")."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

from ..cli.conftest import cli_env
from .render import Drawn, overlaps, scales_protocol

SIZES = [(1280, 800), (1920, 1080)]


@pytest.fixture(scope="module")
def protocol(tmp_path_factory):
    path = tmp_path_factory.mktemp("layout") / "scales.yaml"
    path.write_text(scales_protocol(), encoding="utf-8")
    return path


def report(protocol, display, size) -> list[dict]:
    """Drawn in a process of its own, as a session is: one window, on the wide test display."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.lab.render", str(protocol), f"{size[0]}x{size[1]}"],
        env=cli_env() | {"DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_no_scale_label_overlaps_another_text_or_is_broken_inside_a_word(protocol, wide_display, size):
    pages = report(protocol, wide_display, size)
    steps = {page["step"] for page in pages}
    assert {"long_anchors", "bank_care", "bank_manipulation_check", "bank_ceq"} <= steps
    problems = []
    width, height = size
    for page in pages:
        where = f"{page['step']} page {page['page']}"
        texts = [Drawn(**t) for t in page["texts"]]
        labels = [t for t in texts if "label" in t.what or "anchors" in t.what]
        assert labels or page["step"].startswith("preset_2"), f"{where}: no scale labels found"  # a VAS has none
        for a, b in itertools.combinations(texts, 2):
            if overlaps(a, b):
                problems.append(f"{where}: {a.what} {a.text!r} overlaps {b.what} {b.text!r}")
        for text in texts:
            if text.broken_words:
                problems.append(f"{where}: {text.what} {text.text!r} broken inside {text.broken_words}")
            left, right, bottom, top = text.box
            if left < -width / 2 or right > width / 2 or bottom < -height / 2 or top > height / 2:
                problems.append(f"{where}: {text.what} {text.text!r} leaves the screen ({text.box})")
    assert not problems, "\n".join(problems)
    # CARE's long questions (two lines each): three to a page, so ten items take four pages
    assert max(page["page"] for page in pages if page["step"] == "bank_care") == 4
