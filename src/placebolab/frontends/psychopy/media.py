"""Media steps in the window: an image (``visual.ImageStim``), a video (``visual.MovieStim`` decoded by
ffpyplayer) or a sound (``psychopy.sound.Sound`` on Psychtoolbox's PortAudio), each with the step's
prompt above it.

Every file is loaded when its screen is built — before the step's first frame — so the onset flip
(the step's first) shows the image, the video's first frame request, or requests the sound's start.
What the participant may do follows the step (see ``components.media``): an image with a ``duration``
stays that long, one without waits for SPACE/ENTER; a video or a sound plays once, to its end, and the
study goes on by itself. Stored with the step (``detail``), besides the frame log of every step:

- all: ``media`` (kind, file name in the media cache) and ``load_ms`` (loading before the onset).
- video: ``video_frames_expected`` (duration × frame rate), ``video_frames_shown`` (distinct frames
  drawn), ``video_frames_dropped`` (expected − shown), ``video_first_frame_flip`` (which flip first showed
  a frame of the film; 0 is the onset flip) and ``finished`` (False if the player stalled and the step
  was ended ``VIDEO_GRACE_S`` after the film's end), and ``soundtrack``: None for a silent film, else its
  codec and ``"verified": false`` — PsychoPy plays a film's sound through SDL2 (ffpyplayer), which
  reports nothing back, so whether it was heard is not known (without a sound device the film plays
  silently and SDL prints "audio open failed" on the terminal; an output that takes samples faster than
  real time, such as ALSA's null device, runs the film's clock ahead and the film skips to its end — the
  frames shown say so). PsychoPy's MovieStim ends the film at
  its end of stream before the last frame's display time, so the last frame is counted as dropped.
- audio: ``audio`` = ``{"played": true, "device", "played_s", "start_delay_ms", "xruns"}`` from the
  sound device's own report, or ``{"played": false, "reason"}`` when no sound device could be opened:
  the step is then shown (its prompt, for the recording's length) and the data say the sound was not
  heard — playback is never pretended.
"""

from __future__ import annotations

import time

from placebolab.frontends.psychopy import layout
from placebolab.frontends.psychopy.screens import CONTINUE_KEYS, DIM, Kit, Outcome, key_label

MEDIA_Y = 0.0  # centre of the picture or film
MEDIA_MAX_HEIGHT = 0.66  # of the screen's height; the prompt sits above, the footer below
MEDIA_MAX_WIDTH = 1.2  # narrower on a narrow screen
PROMPT_Y = 0.39
VIDEO_GRACE_S = 3.0  # a film still not finished this long after its end has stalled: the step ends


def fitted_size(size: tuple[int, int] | None, max_width: float, max_height: float) -> tuple[float, float]:
    """The largest (width, height) in height units within the box that keeps the file's aspect ratio."""
    width, height = size or (4, 3)
    scale = min(max_width / width, max_height / height)
    return width * scale, height * scale


class _MediaScreen:
    """The parts every media screen shares: the prompt (or title) above, a footer below, the timing."""

    load_ms: float  # set by each kind's loading

    def __init__(self, kit: Kit, current):
        step, self.media = current.step, current.media
        self.header = []
        if step.title:
            self.header.append(kit.text(step.title, layout.TITLE_Y, 0.04, bold=True))
        if step.prompt:
            y = PROMPT_Y if step.title else layout.TITLE_Y
            self.header.append(kit.text(step.prompt, y, 0.03))
        self.footer = None
        self.box = fitted_size(self.media.size, min(MEDIA_MAX_WIDTH, kit.wrap), MEDIA_MAX_HEIGHT)
        self.flips = 0  # draws so far; the n-th draw is shown by flip n − 1 (0 = the onset flip)

    def draw(self) -> None:
        for stim in self.header:
            stim.draw()
        self.draw_media()
        if self.footer is not None:
            self.footer.draw()
        self.flips += 1

    def draw_media(self) -> None:
        raise NotImplementedError

    def base_detail(self) -> dict:
        return {"media": {"kind": self.media.kind, "file": self.media.path.name}, "load_ms": self.load_ms}


class ImageScreen(_MediaScreen):
    """A picture: for the step's ``duration``, or until the participant presses SPACE or ENTER."""

    def __init__(self, kit: Kit, current):
        super().__init__(kit, current)
        started = time.perf_counter()
        self.image = kit.visual.ImageStim(kit.win, image=str(self.media.path), size=self.box, pos=(0, MEDIA_Y))
        self.load_ms = round((time.perf_counter() - started) * 1000, 1)
        self.seconds = self.media.duration
        if self.seconds is None:
            footer = kit.say("lab.press_to_continue", key=key_label("space", kit.say))
            self.footer = kit.text(footer, layout.FOOTER_Y, 0.025, colour=DIM)

    def draw_media(self) -> None:
        self.image.draw()

    def update(self, frame, onset: float) -> Outcome | None:
        if self.seconds is not None:
            if frame.now - onset >= self.seconds:
                return Outcome(detail={**self.base_detail(), "shown_s": round(frame.now - onset, 4)})
            return None
        for key, at in frame.keys:
            if key in CONTINUE_KEYS:
                return Outcome(detail={**self.base_detail(), "rt_s": round(at - onset, 4)})
        return None


class VideoScreen(_MediaScreen):
    """A film, played once from its first frame at the onset flip to its end; then the study goes on."""

    def __init__(self, kit: Kit, current):
        super().__init__(kit, current)
        started = time.perf_counter()
        self.movie = kit.visual.MovieStim(
            kit.win,
            str(self.media.path),
            movieLib="ffpyplayer",
            units="height",
            size=self.box,
            pos=(0, MEDIA_Y),
            loop=False,
            autoStart=False,  # started by the first draw, which the onset flip shows
        )
        self.soundtrack = soundtrack_of(self.media.path)
        self.load_ms = round((time.perf_counter() - started) * 1000, 1)
        self.footer = kit.text(kit.say("lab.video_ends"), layout.FOOTER_Y, 0.025, colour=DIM)
        self.shown: list[float] = []  # presentation time stamps of the distinct frames drawn
        self.first_frame_flip: int | None = None

    def draw_media(self) -> None:
        if self.movie.isNotStarted:
            self.movie.play()
        self.movie.draw()
        # MovieStim keeps the presentation time (pts) of the frame it last uploaded; a new pts is a new frame
        pts = getattr(self.movie, "_pts", None)
        if pts is not None and (not self.shown or pts != self.shown[-1]):
            self.shown.append(pts)
            if self.first_frame_flip is None:
                self.first_frame_flip = self.flips

    def update(self, frame, onset: float) -> Outcome | None:
        finished = self.movie.isFinished
        if not finished and frame.now - onset < self.media.duration + VIDEO_GRACE_S:
            return None
        self.movie.stop()
        expected = round(self.media.duration * self.movie.frameRate)
        detail = {
            **self.base_detail(),
            "finished": finished,
            "video_frame_rate": round(float(self.movie.frameRate), 3),
            "video_frames_expected": expected,
            "video_frames_shown": len(self.shown),
            "video_frames_dropped": max(0, expected - len(self.shown)),
            "video_first_frame_flip": self.first_frame_flip,
            "played_s": round(frame.now - onset, 4),
            "soundtrack": self.soundtrack,
        }
        return Outcome(detail=detail)


class AudioScreen(_MediaScreen):
    """A recording heard once (requested on the onset flip), with the prompt and the time left on screen;
    the step lasts the recording's length and until the sound device reports it played out."""

    def __init__(self, kit: Kit, current):
        super().__init__(kit, current)
        self.win = kit.win
        started = time.perf_counter()
        self.sound, self.problem = load_sound(self.media.path)
        self.load_ms = round((time.perf_counter() - started) * 1000, 1)
        listening = kit.say("lab.listen" if self.sound is not None else "lab.no_sound")
        self.message = kit.text(listening, MEDIA_Y + 0.05, 0.04)
        self.left = kit.text("", MEDIA_Y - 0.05, 0.03, colour=DIM)
        self.onset: float | None = None
        self.requested: float | None = None  # Psychtoolbox clock (the device's own) at the onset flip

    def _play(self) -> None:
        import psychtoolbox

        self.requested = psychtoolbox.GetSecs()
        self.sound.play()

    def draw_media(self) -> None:
        if self.flips == 0 and self.sound is not None:
            self.win.callOnFlip(self._play)  # the sound is asked to start at the onset flip
        self.message.draw()
        if self.onset is not None:
            left = max(0, round(self.media.duration - (self._now() - self.onset)))
            text = f"{left // 60}:{left % 60:02d}"
            if self.left.text != text:
                self.left.text = text
            self.left.draw()

    @staticmethod
    def _now() -> float:
        from psychopy import core

        return core.getTime()

    def update(self, frame, onset: float) -> Outcome | None:
        self.onset = onset
        if frame.now - onset < self.media.duration:
            return None
        if self.sound is None:
            return Outcome(detail={**self.base_detail(), "audio": {"played": False, "reason": self.problem}})
        if not self.sound.isFinished and frame.now - onset < self.media.duration + VIDEO_GRACE_S:
            return None
        return Outcome(detail={**self.base_detail(), "audio": sound_report(self.sound, self.requested)})


def soundtrack_of(path) -> dict | None:
    """The film's sound stream as ffmpeg reports it (None for a silent film)."""
    import imageio_ffmpeg

    frames = imageio_ffmpeg.read_frames(str(path))
    try:
        codec = next(frames).get("audio_codec")
    finally:
        frames.close()
    return {"codec": codec, "player": "SDL2 (ffpyplayer)", "verified": False} if codec else None


def load_sound(path):
    """A ``psychopy.sound.Sound`` of the file on the default sound device, or (None, why it cannot play).

    Every failure to open a device is caught (PortAudio finding no device, a library missing): the step
    is then shown without its sound and the data say so, rather than the session ending in a crash."""
    try:
        sound_class = _channel_safe_sound_class()
        return sound_class(str(path), preBuffer=-1, hamming=False), None
    except Exception as exc:  # noqa: BLE001 - any device failure: recorded with the step, never pretended
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return None, f"{type(exc).__name__}: {reason}"


def sound_report(sound, requested: float | None) -> dict:
    """What the sound device itself says it played (Psychtoolbox's PsychPortAudio status); the start delay
    is from the onset flip (``requested``, on Psychtoolbox's clock) to the device's first sample out."""
    status = sound.statusDetailed or {}
    start = status.get("StartTime") or 0.0
    return {
        "played": True,
        "device": sound.speaker.name,
        "played_s": round(float(status.get("PositionSecs", 0.0)), 4),
        "start_delay_ms": round((start - requested) * 1000, 3) if start and requested else None,
        "xruns": int(status.get("XRuns", 0)),
    }


_SOUND_CLASS = None


def _channel_safe_sound_class():
    """PsychoPy's Psychtoolbox ``Sound``, fixed for a device with more than two output channels.

    PsychoPy (2026.2) opens the device's stream with all its output channels (ALSA's ``default`` and
    PulseAudio report 32 to 128) but hands PsychPortAudio a stereo buffer, which it refuses ("number of
    columns … doesn't match number of output channels"). This subclass puts the stereo samples on the
    first two channels and leaves the others silent; with a two-channel device nothing changes."""
    global _SOUND_CLASS
    if _SOUND_CLASS is not None:
        return _SOUND_CLASS
    import numpy as np
    import psychtoolbox.audio as ptb_audio
    from psychopy import prefs

    prefs.hardware["audioLib"] = ["ptb"]
    from psychopy.sound.backend_ptb import SoundPTB

    class ChannelSafeSound(SoundPTB):
        def _setSndFromClip(self, clip):  # noqa: N802 - PsychoPy's name
            channels = int(self.speaker.channels)
            if channels <= 2:
                return super()._setSndFromClip(clip)
            self.clip = clip
            if self.speaker.resample and clip.sampleRateHz != self.speaker.sampleRateHz:
                clip.resample(targetSampleRateHz=self.speaker.sampleRateHz)
            if self.stopTime == -1:
                self.duration = clip.samples.shape[0] / clip.sampleRateHz
            stereo = clip.asStereo().samples
            samples = np.zeros((stereo.shape[0], channels), dtype=stereo.dtype)
            samples[:, :2] = stereo
            if self.track:
                self.track.stop()
                self.track.fill_buffer(samples)
            else:
                self.track = ptb_audio.Slave(self.stream.handle, data=samples, volume=self.volume, mode=1)
            self.seek(0)
            return None

    _SOUND_CLASS = ChannelSafeSound
    return _SOUND_CLASS
