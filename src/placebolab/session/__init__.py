"""The session engine and its clocks."""

from placebolab.session.clock import RealClock, VirtualClock
from placebolab.session.engine import Current, Occurrence, Session, plan

__all__ = ["Current", "Occurrence", "RealClock", "Session", "VirtualClock", "plan"]
