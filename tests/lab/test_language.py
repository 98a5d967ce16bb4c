"""A German protocol (`language: de`) in the PsychoPy window on Xvfb: every text the window adds to the
protocol's — the pilot banner, the consent screen's buttons and hint, page footers with their key, the scale hint and the Continue button, the
experimenter pause's note, the waiting screen and its countdown, the quit question — is German, with no
English text of the catalogue left; and the quit question is answered with J (for "ja") on a real keyboard."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.frontends.german import GERMAN, english_left, german_protocol

from ..cli.conftest import SEED, cli_env, run_cli

# Run in a subprocess on the test display: a real window, every step of a participant's plan built and drawn
# by its real screen (answers submitted straight to the engine), the waiting screen run on a clock that moves
# a second per frame, and the quit question answered 'j'. Prints every text a screen made, as JSON.
INSPECT = """
import json
from placebolab.errors import SessionInterrupted
from placebolab.frontends.psychopy.frontend import PsychopyFrontend, WindowOptions, screen_for
from placebolab.session import Session, VirtualClock
from placebolab.study import Study

study = Study.open({study!r}, writing=True)
clock = VirtualClock(1_800_000_000.0)
frontend = PsychopyFrontend(clock, WindowOptions(fullscreen=False, size=(1024, 640)))
frontend.use_language(study.protocol.language)
frontend.open(pilot=True)
made = [frontend._banner]
make = frontend.kit.text
frontend.kit.text = lambda *args, **kwargs: made.append(make(*args, **kwargs)) or made[-1]
flip = frontend.win.flip

def flip_a_second():
    clock.advance(1.0)
    return flip()

texts = []
session = Session.start(study, "P001", {{"geschlecht": "weiblich", "alter": 34}}, "psychopy", clock)
while (current := session.current()) is not None:
    if current.not_before is not None and current.not_before > clock.now():
        frontend.win.flip = flip_a_second
        frontend.wait(current)
        frontend.win.flip = flip
    screen = screen_for(frontend.kit, current)
    screen.draw()
    flip()
    texts += [stim.text for stim in made]
    made.clear()
    values = {{item.id: item.min for item in current.step.records() if item.kind == "number"}}
    if current.step.type == "consent":  # agreed (its least value declines, ending the session)
        values = {{"": 1.0}}
    session.submit(current.key, values, clock.now())
frontend._event.getKeys = lambda *args, **kwargs: ["j"]
try:
    frontend._confirm_quit()
    stopped = False
except SessionInterrupted:
    stopped = True
texts += [stim.text for stim in made]
frontend.close()
study.close()
print(json.dumps({{"texts": texts, "stopped": stopped}}))
"""


def german_study(tmp_path, consent=False):
    protocol = german_protocol(tmp_path / "protocol", media=False, at="t0+4s", consent=consent)
    study = tmp_path / "study"
    result = run_cli("init", protocol, study, "--seed", SEED, cwd=tmp_path)
    assert result.code == 0, result.stderr
    return study


def test_every_text_the_window_adds_is_german(display, tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", INSPECT.format(study=str(german_study(tmp_path, consent=True)))],
        env=cli_env() | {"DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    texts = shown["texts"]
    assert shown["stopped"], "J (ja) answers the quit question"
    expected = [
        GERMAN["lab.pilot"],
        GERMAN["consent.agree"],  # the consent screen's buttons and its hint
        GERMAN["consent.decline"],
        GERMAN["lab.consent_hint"],
        "Weiter mit LEERTASTE   ·   Seite 1 von 2",
        "Weiter mit LEERTASTE   ·   Seite 2 von 2",
        GERMAN["continue"],
        GERMAN["lab.scale_hint"],
        f"{GERMAN['lab.choose_question']} {GERMAN['lab.scale_hint']}",  # the questionnaire's page of two
        GERMAN["lab.pause_experimenter"],
        GERMAN["lab.quit"].format(saved=GERMAN["saved.all"]),  # asked with no step on screen
    ]
    for text in expected:
        assert text in texts, text
    assert any(t.startswith("Bitte warten Sie. Um ") and t.endswith(" Uhr folgt: Die nächste Frage.") for t in texts)
    countdown = re.compile(r"Bitte warten Sie\.\n\nIn 0:0\d folgt: Die nächste Frage\.")
    assert any(countdown.fullmatch(t) for t in texts), texts
    assert english_left("\n".join(texts)) == []


def test_the_quit_question_takes_j_for_yes_on_a_real_keyboard(tmp_path, lab):
    study = german_study(tmp_path)
    run = lab(study, "quit", "--participant", "P001", "--intake", "geschlecht=weiblich", "--intake", "alter=34")
    run.screen("01-begruessung")
    run.key("Escape", "j")
    assert run.wait() == 8, run.output()  # stopped, resumably: the same exit as Y in English
