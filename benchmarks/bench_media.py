"""Video steps in the PsychoPy window: how many of a film's frames reach the screen.

The frontend's video screen (``frontends/psychopy/media.VideoScreen`` in the frontend's own frame loop:
prompt, footer, keys and mouse polled every frame) against a bare PsychoPy loop playing the same file
with ``visual.MovieStim`` (ffpyplayer), as a hand-written script would. Films made on the spot with the
ffmpeg of imageio-ffmpeg (640 × 368, H.264, a moving gradient so every frame differs) at 25 and 30
frames a second; rounds interleaved. A film frame counts as shown when MovieStim uploads a frame with a
new presentation time stamp; dropped = duration × frame rate − shown. PsychoPy's MovieStim ends a film
at its end of stream before the last frame's display time, so each play drops at least that one frame,
in both loops. Also the display frames dropped (flip intervals > 1.5 × 16.7 ms).

Without a display an Xvfb server is started. **Xvfb has no vsync** and draws with Mesa's software
OpenGL (llvmpipe): the loops run as fast as they can, and a film frame is lost only when decoding or
uploading falls behind — a lab screen at 60 Hz waits for the refresh instead.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

from _util import REPO, figure, on_a_display

sys.path.insert(0, str(REPO))

SIZE = (640, 368)  # a multiple of 16: H.264 macro blocks


def _film(path: Path, seconds: float, fps: int) -> Path:
    import imageio_ffmpeg
    import numpy as np

    writer = imageio_ffmpeg.write_frames(str(path), SIZE, fps=fps, codec="libx264", pix_fmt_out="yuv420p")
    writer.send(None)
    x = np.arange(SIZE[0], dtype=np.uint16)
    for index in range(int(seconds * fps)):
        row = ((x + 8 * index) % 256).astype(np.uint8)
        frame = np.repeat(np.repeat(row[None, :, None], SIZE[1], axis=0), 3, axis=2)
        writer.send(np.ascontiguousarray(frame).tobytes())
    writer.close()
    return path


def _engine_play(ui, path: Path, seconds: float) -> dict:
    from placebolab.components.media import MediaShown
    from placebolab.frontends.psychopy.media import VideoScreen

    current = SimpleNamespace(
        step=SimpleNamespace(title=None, prompt="Please watch the consultation."),
        media=MediaShown(path, "video", seconds, SIZE),
    )
    screen = VideoScreen(ui.kit, current)
    log, outcome, _onset = ui._loop(screen.draw, screen.update, None)
    detail = outcome.detail
    return {"shown": detail["video_frames_shown"], "expected": detail["video_frames_expected"], "flips": log}


def _bare_play(win, path: Path, seconds: float) -> dict:
    from psychopy import event, visual

    from placebolab.frontends.psychopy.timing import FrameLog

    movie = visual.MovieStim(win, str(path), movieLib="ffpyplayer", units="height", size=(1.0, 0.5625))
    movie.setAutoDraw(False)
    log, shown, last = FrameLog(1 / 60, "assumed"), 0, None
    movie.play()
    while not movie.isFinished:
        movie.draw()
        log.add(win.flip())
        event.getKeys()
        pts = getattr(movie, "_pts", None)
        if pts is not None and pts != last:
            shown, last = shown + 1, pts
    movie.stop()
    return {"shown": shown, "expected": round(seconds * movie.frameRate), "flips": log}


def run(quick: bool = False) -> dict:
    return on_a_display("bench-media-", _measure, quick)


def _measure(folder: Path, quick: bool) -> dict:
    from placebolab.frontends.psychopy import PsychopyFrontend, WindowOptions
    from placebolab.session import RealClock

    seconds, rounds = (3.0, 2) if quick else (10.0, 4)
    films = {fps: _film(folder / f"film-{fps}.mp4", seconds, fps) for fps in (25, 30)}
    ui = PsychopyFrontend(RealClock(), WindowOptions(fullscreen=True))
    ui.open()
    plays: dict[tuple[str, int], list[dict]] = {(loop, fps): [] for loop in ("engine", "bare") for fps in films}
    try:
        ui.frame_period, ui.period_source = 1 / 60, "assumed 60 Hz (Xvfb: no vsync)"
        for round_ in range(rounds):
            order = ["engine", "bare"] if round_ % 2 == 0 else ["bare", "engine"]
            for fps, path in films.items():
                for loop in order:
                    play = _engine_play(ui, path, seconds) if loop == "engine" else _bare_play(ui.win, path, seconds)
                    plays[(loop, fps)].append(play)
    finally:
        ui.close()

    figures, rows = [], []
    for (loop, fps), runs in plays.items():
        expected = sum(p["expected"] for p in runs)
        dropped = expected - sum(p["shown"] for p in runs)
        display = sum(p["flips"].dropped() for p in runs)
        note = f"{len(runs)} plays of {seconds:g} s; {expected} film frames in all"
        figures.append(figure(f"film frames dropped, {loop} loop, {fps} fps", dropped, "", note))
        rows.append(
            {
                "loop": loop,
                "fps": fps,
                "plays": len(runs),
                "film frames expected": expected,
                "film frames dropped": dropped,
                "dropped %": round(100 * dropped / expected, 2),
                "per play": ", ".join(str(p["expected"] - p["shown"]) for p in runs),
                "display frames dropped": display,
            }
        )
    return {
        "title": "Video steps: film frames shown by the frontend's video screen vs a bare PsychoPy MovieStim loop",
        "figures": figures,
        "tables": {"film frames per loop and frame rate": rows},
        "params": {"seconds": seconds, "rounds": rounds, "size": SIZE, "display": "Xvfb (no vsync, llvmpipe)"},
    }
