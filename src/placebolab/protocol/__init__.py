"""Protocol files: typed models, YAML loading with located errors, and cross-checks."""

from placebolab.protocol.loader import load_protocol, parse_protocol
from placebolab.protocol.measures import Measure, measures
from placebolab.protocol.models import Cell, Protocol

__all__ = ["Cell", "Measure", "Protocol", "load_protocol", "measures", "parse_protocol"]
