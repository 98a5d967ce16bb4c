"""Making bad protocols: a copy of the flagship (``protocols/x.yaml`` + ``stimuli/warmth-competence-itch/``)
in a temporary folder with one thing edited, and where in the bad file the edit landed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from placebolab.document.problems import Problem
from placebolab.errors import ProtocolError
from placebolab.protocol import load_protocol

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "protocols" / "warmth-competence-itch.yaml"
FLAGSHIP_STIMULI = ROOT / "stimuli" / "warmth-competence-itch"
CLINICIAN = "clinician.md.j2"


def validate(*paths) -> subprocess.CompletedProcess:
    """``placebolab validate PATHS`` as a user types it (exit code, stdout, stderr)."""
    return subprocess.run(
        [sys.executable, "-m", "placebolab.cli", "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def copy_flagship(folder: Path) -> Path:
    """The flagship and its stimuli copied into ``folder`` with the relative layout kept; the protocol's path."""
    (folder / "protocols").mkdir(parents=True)
    shutil.copytree(FLAGSHIP_STIMULI, folder / "stimuli" / FLAGSHIP_STIMULI.name)
    protocol = folder / "protocols" / "x.yaml"
    shutil.copyfile(FLAGSHIP, protocol)
    return protocol


ITCH_BASELINE_SCALE = "    prompt: How itchy is your forearm right now?\n    scale: nrs-0-100\n"
PRIMARY = "  primary: {outcome: itch_post, baseline: itch_baseline, between: [warmth, competence]}"


def flagship_with_baseline_on(folder: Path, scale: str, primary: str = PRIMARY) -> Path:
    """A copy of the flagship whose itch_baseline is rated on ``scale`` (itch_post stays on nrs-0-100) and
    whose plan's primary line is ``primary``; the protocol's path."""
    protocol = copy_flagship(folder)
    text = protocol.read_text(encoding="utf-8")
    assert text.count(ITCH_BASELINE_SCALE) == 2 and text.count(PRIMARY) == 1  # itch_baseline's, then itch_post's
    text = text.replace(ITCH_BASELINE_SCALE, ITCH_BASELINE_SCALE.replace("nrs-0-100", scale), 1)
    protocol.write_text(text.replace(PRIMARY, primary), encoding="utf-8")
    return protocol


def replace_once(file: Path, old: str, new: str) -> str:
    """Replace the single occurrence of ``old`` in ``file`` with ``new``; the edited text."""
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, (
        f"the edit must hit exactly one place in {file.name}: {old!r} occurs {text.count(old)}x"
    )
    edited = text.replace(old, new)
    file.write_text(edited, encoding="utf-8")
    return edited


def edit_line(original: str, old: str, new: str) -> int:
    """1-based line, in the edited text, of the first non-blank line that ``new`` puts where ``old`` was."""
    before = original[: original.index(old)]
    lead = len(new) - len(new.lstrip("\n"))
    return before.count("\n") + lead + 1


def line_of(text: str, marker: str) -> int:
    """1-based line of the single occurrence of ``marker`` in ``text``."""
    assert text.count(marker) == 1, f"{marker!r} occurs {text.count(marker)}x; the expected line is ambiguous"
    return text[: text.index(marker)].count("\n") + 1


def column_of(text: str, marker: str) -> int:
    """1-based column where the single occurrence of ``marker`` in ``text`` starts (on ``line_of``'s line)."""
    return text.splitlines()[line_of(text, marker) - 1].index(marker) + 1


#: A German study's head, through its consent's first statement (more statements or steps may follow).
BERATUNG = """\
protocol: beratung
version: "1"
title: Beratung
language: de
factors:
  waerme: {levels: [warm, neutral]}
allocation: {scheme: complete, target_n: 40}
timeline:
  - id: einwilligung
    type: consent
    text: Bitte lesen Sie die Information.
    statements:
      - {id: gelesen, text: Ich habe die Information gelesen.}
"""


@dataclass(frozen=True)
class Edit:
    """One mistake: ``old`` → ``new`` in the protocol; the problem expected at the line of ``at`` (default: the
    first non-blank line of ``new``), with document path ``path`` and ``words`` in its message."""

    id: str
    old: str
    new: str
    path: str | None
    words: tuple[str, ...]
    at: str | None = None  # text whose line in the bad file is expected (default: where the edit landed)

    def apply(self, protocol: Path) -> int:
        """Make the edit in ``protocol``; the line the problem is expected at."""
        original = protocol.read_text(encoding="utf-8")
        edited = replace_once(protocol, self.old, self.new)
        return line_of(edited, self.at) if self.at else edit_line(original, self.old, self.new)


def problems_of(protocol: Path) -> list[Problem]:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(protocol)
    problems = caught.value.problems
    assert problems, "a ProtocolError without problems"
    assert all(isinstance(p, Problem) for p in problems), problems
    return problems


def assert_reported(problems: list[Problem], protocol: Path, line: int, path: str | None, words) -> Problem:
    """One of ``problems`` is at ``protocol:line``, has ``path`` and every one of ``words``; it is returned."""
    from placebolab.document.problems import format_path

    for problem in problems:
        text = str(problem)
        if (
            problem.file == str(protocol)
            and problem.line == line
            and text.startswith(f"{protocol}:{line}:")
            and (path is None and not problem.path or path is not None and format_path(problem.path) == path)
            and all(word in problem.message for word in words)
        ):
            return problem
    listing = "\n".join(str(p) for p in problems)
    pytest.fail(f"no problem at {protocol.name}:{line} with path {path} and words {words}; got:\n{listing}")


# pydantic's voice, which must not reach a psychologist.
JARGON = (
    "Input should be",
    "input should be",
    "Value error",
    "function-after",
    "function-before",
    "union_tag",
    "validation error",
    "pydantic",
    "after validation",
    "dictionary or object",
)
