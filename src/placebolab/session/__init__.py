"""The session engine and its clocks."""

from placebolab.protocol.occurrences import Occurrence, plan
from placebolab.session.clock import RealClock, VirtualClock
from placebolab.session.engine import Current, Drafts, Session

__all__ = ["Current", "Drafts", "Occurrence", "RealClock", "Session", "VirtualClock", "plan"]
