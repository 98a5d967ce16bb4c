"""Tiny media files made on the spot (no binaries in the repository for the tests): a PNG with Pillow, a WAV
with soundfile and numpy, an MP4 with the ffmpeg shipped in imageio-ffmpeg."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def make_png(path: Path, colour=(200, 80, 40), size=(40, 30)) -> Path:
    from PIL import Image

    Image.new("RGB", size, colour).save(path, format="PNG")
    return path


def make_wav(path: Path, seconds: float = 1.5, rate: int = 8000) -> Path:
    import soundfile

    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(path, 0.2 * np.sin(2 * np.pi * 440 * t), rate, format="WAV")
    return path


def make_mp4(path: Path, seconds: float = 2.0, fps: int = 10, size=(64, 48), shade: int = 128) -> Path:
    import imageio_ffmpeg

    writer = imageio_ffmpeg.write_frames(str(path), size, fps=fps, codec="libx264", pix_fmt_out="yuv420p")
    writer.send(None)  # start the encoder
    for index in range(int(seconds * fps)):
        frame = np.full((size[1], size[0], 3), (shade + 5 * index) % 256, dtype=np.uint8)
        writer.send(frame.tobytes())
    writer.close()
    return path
