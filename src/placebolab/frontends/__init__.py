"""Frontends show steps: console (a terminal), simulated (no one) and psychopy (a lab window); a browser
frontend is to come. Only frontends/psychopy imports psychopy, and ``make_frontend`` imports a frontend's
module only when it is chosen."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from placebolab.frontends.base import Frontend

#: The frontends a participant is run with (`placebolab run --frontend`); simulated ones run by `simulate`.
FRONTENDS = ("console", "psychopy")


def make_frontend(name: str, clock, *, windowed: bool = False, screenshots: str | Path | None = None) -> Frontend:
    """The frontend called ``name`` (one of ``FRONTENDS``) on ``clock``. ``windowed`` and ``screenshots``
    are the PsychoPy window's options; the psychopy frontend is refused (SessionError), before anyone is
    asked anything, where it cannot open a window."""
    if name == "console":
        from placebolab.frontends.console import ConsoleFrontend

        return ConsoleFrontend(clock)
    if name == "psychopy":
        from placebolab.frontends.psychopy import lab_frontend

        return lab_frontend(clock, windowed=windowed, screenshots=screenshots)
    raise ValueError(f"no frontend called {name!r}; frontends: {', '.join(FRONTENDS)}")
