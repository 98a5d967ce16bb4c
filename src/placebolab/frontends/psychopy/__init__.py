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

from placebolab.frontends.psychopy.frontend import PsychopyFrontend, WindowOptions, lab_frontend

__all__ = ["PsychopyFrontend", "WindowOptions", "lab_frontend"]
