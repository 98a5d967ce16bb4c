"""One exception hierarchy. The library raises these; only ``cli.py`` turns them into a line and an exit code.

Exit codes (documented in the README and ``placebolab --help``):

====  =====================================================
code  meaning
====  =====================================================
0     success
1     unexpected internal error (a bug: please report it)
2     command-line usage error (click's own)
3     protocol (or effects file) invalid
4     study folder or store problem
5     allocation problem
6     session problem (unknown / completed participant …)
7     analysis problem (bad or insufficient data)
8     session interrupted on purpose; every answer so far is stored, resume with ``run --resume``
9     audit found a break (an allocation, response or log entry that does not match the seal)
====  =====================================================
"""

from typing import Any


class InternalError(RuntimeError):
    """Something validation guarantees did not hold: a bug in placebolab, never the user's mistake (exit 1).
    Raised where ``assert`` would be, since ``python -O`` drops asserts."""


class PlaceboLabError(Exception):
    """Base of every error a user can cause; its message is one sentence that says what to do."""

    exit_code = 1


class ProtocolError(PlaceboLabError):
    """The protocol file is malformed or inconsistent. ``problems`` holds every problem found."""

    exit_code = 3

    def __init__(self, problems: object):
        self.problems: list[Any] = list(problems) if isinstance(problems, list | tuple) else [problems]
        super().__init__("\n".join(str(p) for p in self.problems))


class StoreError(PlaceboLabError):
    exit_code = 4


class AllocationError(PlaceboLabError):
    exit_code = 5


class AuditError(StoreError):
    """``placebolab audit`` found the store no longer matches its seal; the message names each break."""

    exit_code = 9


class SessionError(PlaceboLabError):
    exit_code = 6


class AlreadyEnrolled(SessionError, AllocationError):
    """The participant ID is taken, perhaps a moment ago by another station or process: nothing was stored."""

    exit_code = 6


class SessionInterrupted(SessionError):
    """The experimenter stopped the session; everything answered is stored and it can be resumed."""

    exit_code = 8


class EffectsError(ProtocolError):
    """The file describing simulated participants (an effects file) is malformed."""


class AnalysisError(PlaceboLabError, ValueError):
    """Bad data for an analysis; the message names the column and the problem."""

    exit_code = 7


class PowerError(AnalysisError):
    """Bad input for a power analysis (cell means, sd, n, alpha); the message names the value and the fix."""
