"""The session engine and its clocks."""

from placebolab.protocol.occurrences import Occurrence, plan
from placebolab.session.clock import RealClock, VirtualClock
from placebolab.session.engine import Current, Session

__all__ = ["Current", "Occurrence", "RealClock", "Session", "VirtualClock", "plan"]
