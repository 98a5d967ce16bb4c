"""Markdown in text and script pages, drawn in the lab window (Xvfb): a heading larger and in Noto Sans
Bold, **bold** words in the bold face and *italic* ones in the italic face, list items with their numbers
and bullets, every word in its order, no run of text drawn over another, nor over the speaker's name above the page."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

from placebolab.frontends.psychopy.markdown import blocks

from ..cli.conftest import cli_env

PAGE = """\
# Welcome

Thank you for taking part. It takes about **30 minutes**.
Taking part is *voluntary*: you may stop at ***any*** time.

## What will happen

1. You will rate your itch.
2. You will answer a few **short** questions.

- a bullet, with __strong__ and _emphasised_ words that run on long enough to need a second line on the screen
"""


def page(display, tmp_path) -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.lab.render", "-", "1280x800", str(tmp_path / "page.png")],
        input=PAGE,
        env=cli_env() | {"DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_headings_bold_italics_and_lists_are_drawn_as_such(display, tmp_path):
    *runs, speaker = page(display, tmp_path)
    assert speaker["text"] == "Dr. Morgan Lee"
    below = speaker["box"][2]  # the bottom of the speaker's name: the page starts below it
    assert all(run["top"] < below for run in runs), "the page's text runs into the speaker's name"
    font = {run["text"].strip(): run["font"] for run in runs}
    height = {run["text"].strip(): run["height"] for run in runs}
    assert font["Welcome"] == "NotoSans-Bold.ttf" and font["What will happen"] == "NotoSans-Bold.ttf"
    body = height["Thank you for taking part. It takes about"]
    assert font["Thank you for taking part. It takes about"] == "NotoSans-Regular.ttf"
    assert height["Welcome"] > height["What will happen"] > body
    assert font["30 minutes"] == "NotoSans-Bold.ttf" and height["30 minutes"] == body
    after = runs[[run["text"].strip() for run in runs].index("30 minutes") + 1]
    assert after["text"].startswith(". ") and after["font"] == "NotoSans-Regular.ttf"  # the full stop is plain
    assert font["voluntary"] == "NotoSans-Italic.ttf"
    assert font["any"] == "NotoSans-BoldItalic.ttf"
    assert font["short"] == "NotoSans-Bold.ttf" and font["strong"] == "NotoSans-Bold.ttf"
    assert font["emphasised"] == "NotoSans-Italic.ttf"
    markers = {"1.", "2.", "•"}
    assert markers <= set(font), "list items keep their numbers and bullets"
    # every word, in order, none lost or doubled, no markup left
    text, top = "", None
    for run in (run for run in runs if run["text"].strip() not in markers):
        text += ("" if top is None or abs(run["top"] - top) < 3 else " ") + run["text"]  # runs carry their spaces
        top = run["top"]
    words = text.split()
    assert words == " ".join(block.text.replace("*", "") for block in blocks(PAGE)).split()
    assert "*" not in " ".join(words) and "_" not in " ".join(words)
    # the long bullet runs onto a second line, which starts where its first line's text starts
    bullet = [run for run in runs if run["text"] == "•"][0]
    indented = [run for run in runs if run["top"] < bullet["top"] - 5]
    assert indented and indented[0]["text"].startswith("a second line")
    first = [run for run in runs if abs(run["top"] - bullet["top"]) < 5 and run["text"] != "•"]
    assert abs(min(run["left"] for run in first) - indented[0]["left"]) < 3
    # runs on one line follow each other without overlapping
    by_line = sorted((run for run in runs if run["text"] not in markers), key=lambda r: (-round(r["top"]), r["left"]))
    for _top, line in itertools.groupby(by_line, key=lambda r: round(r["top"])):
        for left, right in itertools.pairwise(line):
            assert left["right"] <= right["left"] + 1, (left["text"], right["text"])
