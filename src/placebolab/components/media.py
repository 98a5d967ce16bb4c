"""Media steps: an image, a sound or a video shown to the participant (a recorded clinician interaction …).

``source`` is a file name in the stimuli folder and may be a jinja2 template rendered per cell, so each
cell gets its own file: ``source: clinician-{{ warmth }}-{{ competence }}.mp4``. It may use the factor
levels, ``cell``, ``arm`` and the protocol's ``variables`` — not intake answers, so that every file a
study can show is known, checked and frozen at init.

At load time every cell's file is read (through the loader's ``read_file``, so ``placebolab init``
freezes it into the study store), its format is checked and its duration measured: Pillow for images,
soundfile (libsndfile) for audio, imageio-ffmpeg (an ffmpeg binary shipped in its wheel) for video.

What a frontend gets: ``session.Current.media`` is a :class:`MediaShown` for a media step —
``path`` (a file extracted from the study store into ``<study>/media-cache/<sha256>.<ext>``, never the
researcher's own file), ``kind`` (``image`` | ``audio`` | ``video``), ``duration`` (seconds: the
recording's length; for an image the step's ``duration``, or None to wait for the participant) and, for
images and video, ``size`` (width, height in pixels). A frontend plays the file once, then submits an
empty answer (the step records an acknowledgement with its onset and end). The console frontend
cannot show media and refuses such a protocol before a session starts; the simulated frontend passes
through, taking the media's duration.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeGuard

from pydantic import Field, field_validator

from placebolab.components.base import Datum, ShownText, StepBase, StepInfo, Template, parse_duration

if TYPE_CHECKING:
    from placebolab.protocol.models import Cell, Protocol

#: the study store's meta key for what init measured of each media file (:func:`frozen_probes`)
MEDIA_PROBES = "media_probes"
IMAGE_VIEW_SECONDS = 10.0  # how long a simulated participant looks at an image without a set duration


@dataclass(frozen=True)
class MediaInfo:
    """A checked media file: what the loader found when it probed it."""

    path: str  # relative to the stimuli folder, as rendered for the cell
    kind: Literal["image", "audio", "video"]
    duration: float | None  # seconds; None for an image without a set duration
    size: tuple[int, int] | None  # width, height (image, video)
    sha256: str


@dataclass(frozen=True)
class MediaShown:
    """What a frontend needs to show a media step (see the module docstring)."""

    path: Path
    kind: Literal["image", "audio", "video"]
    duration: float | None
    size: tuple[int, int] | None


#: ``detail`` keys of every media step in the lab window (see frontends/psychopy/media.py)
_MEDIA_DETAIL = (
    Datum("media", "object", "", "[psychopy] kind and file name (in the media cache) of what was shown"),
    Datum("load_ms", "float", "ms", "[psychopy] loading the file, before the onset"),
)


#: ``detail`` keys of a sound or film played in a browser (see frontends/web/client.py)
_PLAYBACK_DETAIL = (
    Datum("media_ended", "bool", "", "[web] the player reached the end (the page script's `ended` event)"),
    Datum(
        "media_events",
        "list",
        "ms, s",
        "[web] [event, ms from the onset, position s] for each play, pause, stall, seek_blocked, seek_back, "
        "rate_blocked, ended and error",
    ),
    Datum("media_error", "str", "", "[web] why the browser could not play it (MediaError), else null"),
)


class MediaStep(StepBase):
    media_kind: ClassVar[Literal["image", "audio", "video"]]
    source: str = Field(
        description="Media file in the stimuli folder; a jinja2 template per cell, e.g. clinician-{{ warmth }}.mp4."
    )
    prompt: ShownText | None = Field(None, description="Text shown with the media (e.g. 'Please watch the video.').")

    def media_context(self, protocol: Protocol, cell: Cell) -> dict[str, Any]:
        """What a file name may use: the protocol's variables and the cell's levels (no intake answers)."""
        levels = {name: cell.levels.get(name) for name in protocol.factors}
        return {**protocol.variables, **levels, "cell": cell.id, "arm": cell.id if cell.arm else None}

    def media_path(self, protocol: Protocol, cell: Cell) -> str:
        from placebolab.components.templating import render_template

        return render_template(self.source, self.media_context(protocol, cell)).strip()

    def templates(self, files: dict[str, str]) -> list[Template]:
        return [Template("source", "the file name", self.source, media=True)]

    def probe(self, name: str, content: bytes, recorded: Mapping[str, dict[str, Any]] | None = None) -> MediaInfo:
        """Check ``content`` is a readable file of this kind and measure it; ValueError saying what to do.

        ``recorded``: what a study's init measured (:func:`frozen_probes`), by the file's sha256. A file
        found there is not probed again: its content is the frozen one, hashed here, and the audit
        probes it again to check the record."""
        sha256 = hashlib.sha256(content).hexdigest()
        found = (recorded or {}).get(sha256)
        if _reads_as_probe(found, self.media_kind):
            size = found["size"]
            return MediaInfo(name, self.media_kind, found["duration"], (size[0], size[1]) if size else None, sha256)
        duration, size = _PROBES[self.media_kind](name, content)
        return MediaInfo(name, self.media_kind, duration, size, sha256)


class ImageStep(MediaStep):
    """A picture (the clinician's photograph, a leaflet)."""

    media_kind = "image"
    info = StepInfo(
        "A picture, for a duration or until the participant continues.",
        detail=(
            *_MEDIA_DETAIL,
            Datum("shown_s", "float", "s", "[psychopy] an image with a duration: how long it was shown"),
            Datum("rt_s", "float", "s", "[psychopy] an image without: from the onset to SPACE or ENTER"),
        ),
    )
    type: Literal["image"]
    duration: str | None = Field(
        None, description="Show it this long (e.g. 10s); default: until the participant continues."
    )

    @field_validator("duration")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    def fixed_seconds(self) -> float | None:
        return parse_duration(self.duration) if self.duration else None

    def lasts(self) -> str | None:
        return f"shown for {self.duration}" if self.duration else None

    def probe(self, name: str, content: bytes, recorded: Mapping[str, dict[str, Any]] | None = None) -> MediaInfo:
        info = super().probe(name, content, recorded)
        return MediaInfo(info.path, info.kind, self.fixed_seconds(), info.size, info.sha256)


class AudioStep(MediaStep):
    """A sound recording (the clinician's explanation, heard)."""

    media_kind = "audio"
    info = StepInfo(
        "A sound recording, heard once to its end.",
        detail=(
            *_MEDIA_DETAIL,
            Datum(
                "audio",
                "object",
                "s, ms",
                '[psychopy] the sound device\'s report: {"played": true, "device", "played_s", "start_delay_ms", '
                '"xruns"}, or {"played": false, "reason"} when no device could be opened',
            ),
            *_PLAYBACK_DETAIL,
        ),
    )
    type: Literal["audio"]


class VideoStep(MediaStep):
    """A video (a recorded clinician interaction: a vignette)."""

    media_kind = "video"
    info = StepInfo(
        "A video (a recorded clinician interaction), played once to its end.",
        detail=(
            *_MEDIA_DETAIL,
            Datum("finished", "bool", "", "[psychopy] false if the player stalled and the step ended after a grace"),
            Datum("video_frame_rate", "float", "Hz", "[psychopy] the film's frame rate"),
            Datum("video_frames_expected", "int", "frames", "[psychopy] duration × frame rate"),
            Datum("video_frames_shown", "int", "frames", "[psychopy] distinct frames drawn"),
            Datum("video_frames_dropped", "int", "frames", "[psychopy] expected − shown"),
            Datum("video_first_frame_flip", "int", "flips", "[psychopy] the flip that first showed a frame (0: onset)"),
            Datum("played_s", "float", "s", "[psychopy] from the onset to the end of the film"),
            Datum(
                "soundtrack", "object", "", '[psychopy] null for a silent film, else its codec and "verified": false'
            ),
            *_PLAYBACK_DETAIL,
        ),
    )
    type: Literal["video"]


def frozen_probes(infos: Iterable[MediaInfo]) -> dict[str, dict[str, Any]]:
    """What init freezes of each probed file, by its sha256: kind, duration and size as the probe measured
    them (an image has no duration of its own: its step sets one)."""
    return {
        info.sha256: {
            "kind": info.kind,
            "duration": None if info.kind == "image" else info.duration,
            "size": list(info.size) if info.size else None,
        }
        for info in infos
    }


def _reads_as_probe(found: object, kind: str) -> TypeGuard[dict[str, Any]]:
    """A record of this kind shaped as a probe's result; anything else (another kind, an edited record):
    probe the file again."""
    if not isinstance(found, dict) or found.get("kind") != kind:
        return False
    duration, size = found.get("duration"), found.get("size")
    if kind == "image":
        timed = duration is None
    else:
        timed = isinstance(duration, int | float) and not isinstance(duration, bool) and duration > 0
    pixels = size is None or (isinstance(size, list) and len(size) == 2 and all(type(v) is int for v in size))
    return timed and pixels


def reprobe(kind: str, name: str, content: bytes) -> dict[str, Any]:
    """Probe a file again as :func:`frozen_probes` records it (the audit compares the two)."""
    duration, size = _PROBES[kind](name, content)
    return {"kind": kind, "duration": duration, "size": list(size) if size else None}


def _probe_image(name: str, content: bytes) -> tuple[float | None, tuple[int, int]]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            return None, image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        detail = "not an image format Pillow knows" if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise ValueError(f"image '{name}' cannot be read ({detail}); save it as PNG or JPEG") from None


def _probe_audio(name: str, content: bytes) -> tuple[float, None]:
    import soundfile

    try:
        info = soundfile.info(io.BytesIO(content))
    except (RuntimeError, soundfile.LibsndfileError, TypeError) as exc:
        detail = str(exc).rsplit(": ", 1)[-1].rstrip(".")  # libsndfile's reason, without the stream's repr
        raise ValueError(f"sound '{name}' cannot be read ({detail}); save it as WAV, FLAC or OGG") from None
    if not info.samplerate or info.frames <= 0:
        raise ValueError(f"sound '{name}' is empty; its duration is 0")
    return info.frames / info.samplerate, None


def _probe_video(name: str, content: bytes) -> tuple[float, tuple[int, int] | None]:
    import imageio_ffmpeg

    suffix = os.path.splitext(name)[1] or ".mp4"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"probe{suffix}")
        with open(path, "wb") as file:
            file.write(content)
        try:
            frames = imageio_ffmpeg.read_frames(path)
            meta = next(frames)
            frames.close()
        except (RuntimeError, OSError, StopIteration) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"video '{name}' cannot be read ({first}); save it as MP4 (H.264)") from None
    duration = meta.get("duration")
    if not duration or duration <= 0:
        raise ValueError(f"video '{name}' has no known duration; re-encode it as MP4 (H.264)")
    size = meta.get("size")
    return float(duration), ((size[0], size[1]) if size else None)


#: A probe: a file's name and content → its duration (seconds) and size (pixels), where it has them.
Probe = Callable[[str, bytes], tuple[float | None, tuple[int, int] | None]]
_PROBES: dict[str, Probe] = {"image": _probe_image, "audio": _probe_audio, "video": _probe_video}
