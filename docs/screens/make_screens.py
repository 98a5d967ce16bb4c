"""Screenshots of every step type in the lab window, at 1280×800 and 1920×1080, into docs/screens/.

    make screens        (or: python docs/screens/make_screens.py [OUT])

A real `placebolab run --frontend psychopy --screenshots` session of a showcase protocol (written here,
with a drawn portrait, a synthetic tone and the placeholder film of video-vignette-anxiety), full screen
on a virtual display (Xvfb) of each size, answered with real key events (xdotool), as a participant
would: what the PNGs show is what participants see. Needs Xvfb, xdotool and the lab extra; pngquant,
where installed, makes the PNGs about four times smaller.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES = [(1280, 800), (1920, 1080)]
STEP_TIMEOUT = 60

PROTOCOL = """\
protocol: lab-window-showcase
version: 1.0.0
title: What participants see in the lab window
variables:
  clinician: Dr. Morgan Lee
factors:
  warmth: {levels: [warm, neutral]}
allocation: {scheme: complete, target_n: 10}
timeline:
  - {id: welcome, type: text, source: welcome.md}
  - id: itch_baseline
    type: rating
    prompt: How itchy is your forearm right now?
    scale: vas-0-100
    anchors: [no itch at all, the worst itch imaginable]
  - {id: portrait, type: image, source: portrait.png, prompt: This is the clinician you will meet.}
  - {id: clinician, type: script, source: clinician.md, speaker: "{{ clinician }}"}
  - {id: voice, type: audio, source: voice.wav, prompt: Please listen to the clinician.}
  - {id: vignette, type: video, source: vignette.mp4, prompt: Please watch the consultation.}
  - id: expectancy
    type: questionnaire
    prompt: Please answer thinking about the cream you are about to receive.
    scale: {type: nrs, min: 0, max: 10, anchors: [not at all, completely]}
    items:
      - {id: relief, text: How much do you expect the cream to relieve your itch?}
      - {id: logical, text: How logical does this treatment seem to you?}
  - {id: check, type: questionnaire, instrument: manipulation-check}
  - {id: agree, type: rating, prompt: The clinician took my concerns seriously., scale: likert-5}
  - id: cream
    type: pause
    title: The cream
    text: The experimenter will now apply the cream. Please keep your arm still.
    until: experimenter
    mark: t0
  - id: itch_post
    type: rating
    prompt: How itchy is your forearm right now?
    scale: nrs-0-10
    anchors: [no itch at all, the worst itch imaginable]
    at: [t0+4s]
  - {id: debrief, type: text, source: debrief.md}
"""

WELCOME = """\
# Welcome

Thank you for taking part in this study. It takes about **30 minutes**.

Taking part is *voluntary*: you may stop at any time, without giving a reason.

## What will happen

1. You will rate how itchy your forearm feels.
2. You will meet a clinician, who explains a cream.
3. You will answer a few **short** questions.
"""

CLINICIAN = """\
Hello, I'm {{ clinician }}. I'm going to explain the cream that will be applied to your arm next.

This is an *antihistamine* cream. It reduces itch by blocking histamine.

---

The cream is applied directly to the prick site on your forearm.

It usually starts to work **within a few minutes**.
"""

DEBRIEF = """\
# Thank you

The study is complete. The experimenter will now explain its purpose and answer your questions.
"""


def write_showcase(folder: Path) -> Path:
    """The showcase protocol and its stimuli (a drawn portrait, a 2 s tone, the placeholder film)."""
    from PIL import Image, ImageDraw

    stimuli = folder / "stimuli"
    stimuli.mkdir(parents=True)
    (folder / "showcase.yaml").write_text(PROTOCOL.replace("timeline:", "stimuli: stimuli\ntimeline:", 1))
    (stimuli / "welcome.md").write_text(WELCOME)
    (stimuli / "clinician.md").write_text(CLINICIAN)
    (stimuli / "debrief.md").write_text(DEBRIEF)
    portrait = Image.new("RGB", (480, 600), (70, 96, 120))
    draw = ImageDraw.Draw(portrait)
    draw.ellipse((150, 90, 330, 290), fill=(228, 196, 170))  # a head
    draw.rounded_rectangle((90, 320, 390, 600), radius=80, fill=(240, 240, 240))  # a white coat
    draw.polygon([(215, 320), (265, 320), (240, 420)], fill=(60, 90, 150))  # a tie
    portrait.save(stimuli / "portrait.png")
    rate = 44100
    with wave.open(str(stimuli / "voice.wav"), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        samples = (int(8000 * math.sin(2 * math.pi * 220 * n / rate)) for n in range(2 * rate))
        sound.writeframes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples))
    shutil.copy(ROOT / "stimuli/video-vignette-anxiety/vignette-warm-high.mp4", stimuli / "vignette.mp4")
    return folder / "showcase.yaml"


class Session:
    """`placebolab run` on a display; waits for each screenshot before answering, as a participant would."""

    def __init__(self, display: str, study: Path, shots: Path):
        self.display, self.shots = display, shots
        self.env = dict(os.environ) | {"DISPLAY": display} | null_sound_device(study.parent)
        self.env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), self.env.get("PATH", "")])
        command = [shutil.which("placebolab", path=self.env["PATH"]) or "placebolab", "run", str(study)]
        self.process = subprocess.Popen(
            [*command, "--frontend", "psychopy", "--screenshots", str(shots), "--participant", "P001"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def shown(self, name: str) -> None:
        deadline = time.monotonic() + STEP_TIMEOUT
        while not (self.shots / f"{name}.png").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self.process.stdout.read().decode() if self.process.stdout else ""
                raise SystemExit(f"{name} was not shown:\n{output}")
            time.sleep(0.05)
        time.sleep(0.3)

    def keys(self, *keys: str) -> None:
        for key in keys:
            subprocess.run(["xdotool", "key", "--delay", "80", key], env=self.env, check=True)
            time.sleep(0.1)

    def typed(self, text: str) -> None:
        subprocess.run(["xdotool", "type", "--delay", "80", text], env=self.env, check=True)
        time.sleep(0.1)


def walk(session: Session) -> None:
    """Answer the showcase protocol, step by step (each screen's PNG appears as it is shown)."""
    session.shown("01-welcome")
    session.keys("space")
    session.shown("02-itch_baseline")
    session.typed("64")
    session.keys("Return")
    session.shown("03-portrait")
    session.keys("space")
    for page in (1, 2):
        session.shown(f"04-clinician-page{page}of2")
        session.keys("space")
    session.shown("05-voice")  # ends by itself
    session.shown("06-vignette")  # ends by itself
    session.shown("07-expectancy")
    session.typed("7")
    session.keys("Down")
    session.typed("8")
    session.keys("Return")
    for page, count in ((1, 4), (2, 2)):
        session.shown(f"08-check-page{page}of2")
        for _ in range(count):
            session.typed("6")
            session.keys("Down")
        session.keys("Return")
    session.shown("09-agree")
    session.typed("4")
    session.keys("Return")
    session.shown("10-cream")
    session.keys("F12")
    session.shown("11-itch_post@t0plus4s-waiting")
    session.shown("11-itch_post@t0plus4s")
    session.typed("3")
    session.keys("Return")
    session.shown("12-debrief")
    session.keys("space")
    if session.process.wait(timeout=STEP_TIMEOUT) != 0:
        raise SystemExit(session.process.stdout.read().decode() if session.process.stdout else "failed")


def null_sound_device(folder: Path) -> dict[str, str]:
    """A virtual display has no sound card: ALSA's default device replaced by its null device (which
    takes the samples and discards them), so the audio step is shown as it is in a lab, playing."""
    alsa = Path("/usr/share/alsa/alsa.conf")
    if not alsa.exists():
        return {}
    conf = folder / "asound-null.conf"
    conf.write_text(
        f'<{alsa}>\npcm.!default {{ type plug; slave {{ pcm "null"; channels 2; rate 48000; format S16_LE }} }}\n'
    )
    return {"ALSA_CONFIG_PATH": str(conf)}


def xvfb(size: tuple[int, int]) -> tuple[subprocess.Popen, str]:
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size[0]}x{size[1]}x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        return server, ":" + pipe.readline().strip()


def main(out: Path) -> None:
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install xvfb xdotool)")
    with tempfile.TemporaryDirectory() as work:
        protocol = write_showcase(Path(work) / "showcase")
        for width, height in SIZES:
            study = Path(work) / f"study-{width}x{height}"
            subprocess.run([sys.executable, "-m", "placebolab.cli", "init", str(protocol), str(study)], check=True)
            shots = out / f"{width}x{height}"
            if shots.exists():
                shutil.rmtree(shots)
            server, display = xvfb((width, height))
            try:
                walk(Session(display, study, shots))
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=10)
            for png in sorted(shots.glob("*.png")):
                if shutil.which("pngquant"):
                    subprocess.run(["pngquant", "--force", "--skip-if-larger", "--ext", ".png", "24", str(png)])
            print(f"{shots}: {len(list(shots.glob('*.png')))} screens")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
