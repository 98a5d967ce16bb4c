"""The PsychoPy frontend: a lab session in a PsychoPy window (full screen by default).

Only this package imports psychopy, and only when a window is opened, so ``placebolab --help`` and the
console frontend never pay for it. Every stimulus onset is time-stamped on the screen flip, response
times are measured from that onset, and each step's frame intervals and dropped frames are stored with
the step (``steps.detail`` in the store, the ``detail`` column of ``export/steps.csv``). Image, audio
and video steps are shown by ``media`` (loaded before the step's first frame; see its docstring for
what is stored and for the limits of sound playback).

Keys (the participant is told theirs on screen):

=================  ===========================================================================
participant        mouse on a scale, or ← / → to move it, or type the number; Enter, Space or the
                   Continue button to go on (only once every question on the screen is answered);
                   ↑ / ↓ choose a question on a questionnaire page
experimenter       the pause step's ``experimenter_key`` (default F12) ends an experimenter pause;
                   Escape asks whether to quit (Y quits, N or Escape goes back); every answer so far
                   is stored and the session resumes with ``placebolab run … --resume``
=================  ===========================================================================
"""

from pathlib import Path

from placebolab.errors import SessionError
from placebolab.frontends.psychopy.frontend import PsychopyFrontend, WindowOptions
from placebolab.frontends.psychopy.intake import display_available

__all__ = ["PsychopyFrontend", "WindowOptions", "lab_frontend"]


def lab_frontend(clock, *, windowed: bool = False, screenshots: str | Path | None = None) -> PsychopyFrontend:
    """The lab's frontend (full screen unless ``windowed``), refused where it cannot open a window."""
    import importlib.util

    if importlib.util.find_spec("psychopy") is None:
        raise SessionError("psychopy is not installed; install the lab extra: pip install 'placebolab[lab]'")
    if not display_available():
        raise SessionError(
            "no display to open the PsychoPy window on (DISPLAY is not set); run on the lab computer's screen, "
            "or pilot in this terminal with --frontend console"
        )
    return PsychopyFrontend(
        clock, WindowOptions(fullscreen=not windowed, screenshots=Path(screenshots) if screenshots else None)
    )
