"""Fixtures for lab sessions in a real PsychoPy window: a virtual X display (Xvfb) for the whole test
session, and a participant's `placebolab run --frontend psychopy` driven with real X input events
(xdotool). Without Xvfb, xdotool or psychopy these tests skip, saying why — except with CI=true, where
they fail: CI installs all three (.ci/run, make install)."""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from ..cli.conftest import SEED, cli_env, export, placebolab_command, run_cli, write_short_protocol

SCREEN = (1280, 800)
WIDE_SCREEN = (1920, 1080)
STEP_TIMEOUT = 30  # seconds for a step's screen to appear; a hung window fails instead of hanging CI


def _missing() -> str | None:
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install xvfb xdotool)"
    if importlib.util.find_spec("psychopy") is None:
        return "psychopy is not installed (pip install -e '.[lab]')"
    return None


def xvfb(size: tuple[int, int]):
    """A fresh Xvfb display of ``size`` (its number chosen by Xvfb itself, so it never collides)."""
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"lab tests must run in CI: {reason}")
        pytest.skip(reason)
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size[0]}x{size[1]}x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()  # written once the server accepts connections
    if not number:
        server.kill()
        pytest.fail("Xvfb did not start")
    yield f":{number}"
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def display() -> str:
    """A virtual display of SCREEN's size, for the session."""
    yield from xvfb(SCREEN)


@pytest.fixture(scope="session")
def wide_display() -> str:
    """A virtual display of WIDE_SCREEN's size: windows of both test resolutions fit on it."""
    yield from xvfb(WIDE_SCREEN)


class Lab:
    """A `placebolab run --frontend psychopy` process on the test display, and real input events for it.

    Every step's first frame is saved as a PNG (``--screenshots``); a step is on screen once its PNG
    exists, and only then is input sent — as a participant would wait for the screen."""

    def __init__(self, display: str, study: Path, shots: Path, *args: str, env: dict | None = None):
        self.display, self.study, self.shots = display, study, shots
        self._dialog = None
        env = cli_env() | {"DISPLAY": display} | (env or {})
        self.log = open(study.parent / f"{shots.name}.log", "w+b")  # noqa: SIM115 - closed in wait/kill
        self.process = subprocess.Popen(
            [*placebolab_command(), "run", str(study), "--frontend", "psychopy", "--screenshots", str(shots), *args],
            cwd=study.parent,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    # --- waiting for the window --------------------------------------------------------------------

    def screen(self, name: str, timeout: float = STEP_TIMEOUT) -> Path:
        """Wait until the screen ``name`` (e.g. '02-itch_baseline') has been shown; its screenshot (of
        its first page, '03-clinician-page1of3', for a step of several pages)."""
        path = self.shots / f"{name.replace('+', 'plus')}.png"
        deadline = time.monotonic() + timeout
        while not path.exists():
            pages = self.shots.glob(f"{glob.escape(path.stem)}-page1of*.png")
            first_pages = [p for p in pages if not p.name.endswith(".partial.png")]  # one being written: not yet
            if first_pages:
                path = first_pages[0]
                break
            if self.process.poll() is not None:
                pytest.fail(f"placebolab exited ({self.process.returncode}) before {name}:\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{name} was not shown within {timeout} s:\n{self.output()}")
            time.sleep(0.05)
        time.sleep(0.2)  # a participant takes more than one frame to react, and so may the window's event queue
        return path

    def dialog(self, title: str, timeout: float = STEP_TIMEOUT) -> None:
        """Wait until a (new) dialog window titled ``title`` is shown, then point at it (X gives the keyboard
        to the window under the pointer when there is no window manager)."""
        deadline = time.monotonic() + timeout
        while True:
            found = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--name", title],
                env={**os.environ, "DISPLAY": self.display},
                capture_output=True,
                text=True,
            ).stdout.split()
            if found and found[-1] != self._dialog:
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no dialog '{title}':\n{self.output()}")
            time.sleep(0.1)
        self._dialog = found[-1]
        time.sleep(0.5)
        self.xdotool("mousemove", "--window", self._dialog, 10, 10)
        time.sleep(0.1)

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    # --- real X input events -----------------------------------------------------------------------

    def xdotool(self, *args) -> None:
        subprocess.run(["xdotool", *map(str, args)], env={**os.environ, "DISPLAY": self.display}, check=True)

    def key(self, *keys: str) -> None:
        for key in keys:
            self.xdotool("key", "--delay", "80", key)
            time.sleep(0.08)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "80", text)
        time.sleep(0.1)

    def click(self, pixel: tuple[int, int]) -> None:
        """Move there and click as a deliberate hand does: the button stays down for a quarter of a second
        (the window sees a press on the frames it is down, as PsychoPy's Slider expects)."""
        self.xdotool("mousemove", "--sync", *pixel)
        time.sleep(0.05)
        self.xdotool("mousedown", 1)
        time.sleep(0.25)
        self.xdotool("mouseup", 1)
        time.sleep(0.15)

    def tap(self, pixel: tuple[int, int]) -> None:
        """A quick tap (a touchscreen, a touchpad): pressed and released at once, usually within one frame."""
        self.xdotool("mousemove", "--sync", *pixel)
        time.sleep(0.05)
        self.xdotool("click", 1)
        time.sleep(0.15)

    @contextmanager
    def stalled(self):
        """The window's process stopped while the input inside is made: a machine that stalls a frame for that
        long. X keeps every event for the window, which takes them all in its first frame after it goes on."""
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)

    # --- ending ------------------------------------------------------------------------------------

    def wait(self, timeout: float = STEP_TIMEOUT) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"placebolab did not exit:\n{self.output()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def study(tmp_path) -> Path:
    """A study of the short flagship protocol (itch_post at t0+1s and t0+2s)."""
    return initialised(tmp_path, write_short_protocol(tmp_path), SEED)


def initialised(tmp_path: Path, protocol: Path, seed: int) -> Path:
    """``tmp_path/study``, initialised (`placebolab init`) from ``protocol``."""
    folder = tmp_path / "study"
    result = run_cli("init", protocol, folder, "--seed", seed, cwd=tmp_path)
    assert result.code == 0, result.stderr
    return folder


@pytest.fixture
def lab(display, tmp_path):
    """Start `placebolab run STUDY --frontend psychopy ARGS` on the test display: ``lab(study, shots, *args)``
    (``env=`` adds environment variables). Every process started is killed after the test."""
    started: list[Lab] = []

    def start(study: Path, shots: str, *args: str, env: dict | None = None) -> Lab:
        running = Lab(display, study, tmp_path / shots, *args, env=env)
        started.append(running)
        return running

    yield start
    for running in started:
        running.kill()
        running.log.close()


def assert_detail_declared(study: Path) -> None:
    """Every key the lab window (and the engine) stored in a step's detail is one its step type declares
    (components: ``StepInfo.detail`` and ``EVERY_STEP_DETAIL``), so the declaration documents the data."""
    from placebolab.study import Study

    opened = Study.open(study)
    try:
        for row in export(study)["steps"]:
            step = opened.protocol.step(row["step"])
            undeclared = set(json.loads(row["detail"])) - step.detail_keys()
            assert not undeclared, f"{step.type} step {step.id} stored undeclared detail keys {sorted(undeclared)}"
    finally:
        opened.close()
