"""A small protocol with a consent step first, an attention check in a questionnaire and in a rating."""

from __future__ import annotations

import hashlib
from pathlib import Path

CONSENT_TEXT = "# Consent\n\nYou will rate an itch. You may stop at any time.\n"

PROTOCOL = """\
protocol: consent-test
version: 1.0.0
title: Consent and attention
factors:
  warmth: {levels: [warm, neutral]}
allocation: {scheme: permuted-blocks, block_sizes: [2], target_n: 6}
data_quality: {min_seconds_per_item: 2}
timeline:
  - id: consent
    type: consent
    title: Taking part
    source: consent.md
    statements:
      - {id: read, text: I have read the information above.}
      - {id: data, text: I agree that my answers are stored without my name.}
  - {id: itch, type: rating, prompt: How itchy is your arm?, scale: nrs-0-10}
  - id: expectancy
    type: questionnaire
    scale: likert-5
    items:
      - {id: relief, text: The cream will help.}
      - {id: attend, text: Please choose 2 for this question., attention_check: {expect: 2}}
  - {id: attend_rating, type: rating, prompt: Please choose 7 here., scale: nrs-0-10, attention_check: {expect: 7}}
  - {id: bye, type: text, text: Thank you.}
"""


def consent_sha256() -> str:
    return hashlib.sha256(CONSENT_TEXT.encode("utf-8")).hexdigest()


def write_consent_protocol(folder: Path, text: str = PROTOCOL) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "consent.md").write_text(CONSENT_TEXT, encoding="utf-8")
    path = folder / "consent-test.yaml"
    path.write_text(text, encoding="utf-8")
    return path
