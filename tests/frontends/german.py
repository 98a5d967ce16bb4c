"""A small protocol written in German with `language: de`, for the tests that every frontend then speaks
German: its own texts are German too, so a page or screen of it should hold no English at all."""

from __future__ import annotations

import re
from pathlib import Path

from placebolab.components.catalogue import read_texts
from tests.media.files import make_mp4, make_png, make_wav

ENGLISH, GERMAN = read_texts("en"), read_texts("de")

HEAD = """\
protocol: deutsch
version: 1.0.0
language: de
title: Ärztliche Wärme und Juckreiz
factors:
  waerme: {levels: [warm, neutral]}
allocation: {scheme: complete, target_n: 20}
intake:
  - {id: geschlecht, type: choice, label: Geschlecht, choices: [weiblich, männlich, divers]}
  - {id: alter, type: integer, label: Alter in Jahren, min: 18, max: 99, example: "30"}
timeline:
  - {id: begruessung, type: text, text: "# Guten Tag\\n\\nVielen Dank für Ihre Teilnahme.\\n\\n---\\n\\nLesen Sie bitte alles sorgfältig."}
  - id: vorher
    type: rating
    role: symptom
    prompt: Wie stark juckt Ihr Unterarm gerade?
    scale: nrs-0-100
    anchors: [gar kein Juckreiz, stärkster vorstellbarer Juckreiz]
"""
MEDIA = """\
  - {id: portrait, type: image, source: "arzt-{{ waerme }}.png", duration: 5s}
  - {id: stimme, type: audio, source: stimme.wav, prompt: Hören Sie bitte zu.}
  - {id: vignette, type: video, source: "vignette-{{ waerme }}.mp4", prompt: Sehen Sie sich bitte das Gespräch an.}
"""
REST = """\
  - id: erwartung
    type: questionnaire
    role: expectancy
    prompt: Denken Sie an die Creme, die Sie gleich bekommen.
    scale: {{type: likert, labels: [gar nicht, etwas, sehr]}}
    items:
      - {{id: linderung, text: Wie sehr erwarten Sie eine Linderung?}}
      - {{id: vertrauen, text: Wie sehr vertrauen Sie der Behandlung?}}
  - {{id: creme, type: pause, title: Die Creme, text: Die Creme wird jetzt aufgetragen., {pause}, mark: t0}}
  - {{id: nachher, type: rating, role: symptom, prompt: Wie stark juckt Ihr Unterarm jetzt?, scale: nrs-0-10, at: [{at}]}}
  - {{id: abschluss, type: text, text: Das war alles. Herzlichen Dank!}}
"""


CONSENT = """\
  - id: einwilligung
    type: consent
    title: Einwilligung
    text: "Sie bewerten einen Juckreiz. Sie können jederzeit aufhören."
    statements:
      - {id: gelesen, text: Ich habe die Informationen oben gelesen.}
      - {id: daten, text: "Ich bin einverstanden, dass meine Antworten ohne meinen Namen gespeichert werden."}
"""


def german_protocol(folder: Path, *, media: bool, at: str = "t0+2min", consent: bool = False) -> Path:
    """``folder/deutsch.yaml``: with an image, a sound and a film and a timed pause (``media``: for the
    browser), or without media and with a pause the experimenter ends (for the terminal and the lab); the
    last rating ``at`` a time after the pause; ``consent``: a consent step first, with the catalogue's
    buttons."""
    folder.mkdir(parents=True, exist_ok=True)
    if media:
        for level, colour in (("warm", (220, 120, 60)), ("neutral", (120, 120, 120))):
            make_png(folder / f"arzt-{level}.png", colour)
            make_mp4(folder / f"vignette-{level}.mp4", seconds=2.0, shade=colour[0])
        make_wav(folder / "stimme.wav", seconds=1.5)
    pause = "duration: 20s" if media else "until: experimenter"
    path = folder / "deutsch.yaml"
    text = HEAD + (MEDIA if media else "") + REST.format(pause=pause, at=at)
    if consent:
        text = text.replace("timeline:\n", "timeline:\n" + CONSENT, 1)
    path.write_text(text, encoding="utf-8")
    return path


def english_fragments() -> set[str]:
    """The words of every English text of the catalogue that its German text does not share: the pieces
    between its placeholders, with at least four letters (shorter ones, a '–' or '.', prove nothing)."""
    fragments = set()
    for key, text in ENGLISH.items():
        for piece in re.split(r"\{[^}]*\}|\n+", text):
            piece = piece.strip(" .;:()[]\n")
            if len(re.sub(r"\W", "", piece)) >= 4 and piece not in GERMAN[key]:
                fragments.add(piece)
    return fragments


def english_left(text: str) -> list[str]:
    """The English texts of the catalogue found in ``text`` (none, for a German participant)."""
    return sorted(f for f in english_fragments() if f in text)
