"""Frontends show steps: console (a terminal), psychopy (a lab window), web (participants' browsers) and
simulated (no one). Only frontends/psychopy imports psychopy; only frontends/web imports starlette.

Each frontend module has one table ``SCREENS`` (step type → how it shows it, or ``base.Unsupported``);
``FRONTENDS`` names the module of each, so a command can check a protocol against a frontend's table
(``placebolab validate --frontend NAME``) without importing every frontend. A new frontend adds its
module here (and tests/architecture checks its table covers every step type).
"""

from __future__ import annotations

import importlib

#: frontend name → the module holding its ``SCREENS`` table (imported only when asked for)
FRONTENDS = {
    "console": "placebolab.frontends.console",
    "psychopy": "placebolab.frontends.psychopy.frontend",
    "simulated": "placebolab.frontends.simulated",
    "web": "placebolab.frontends.web.screens",
}


def screens(frontend: str):
    """The ``SCREENS`` table of the frontend named ``frontend`` (one of ``FRONTENDS``)."""
    return importlib.import_module(FRONTENDS[frontend]).SCREENS
