"""The command line: thin. Parse arguments, call the library, turn a PlaceboLabError into one line and
its exit code (see ``placebolab.errors``). Heavy modules are imported inside commands, so ``--help``
stays quick. Each module registers its commands on ``main``; add a module for a new area."""

from placebolab.cli import allocation, authoring, data, power, protocols, sessions  # noqa: F401  (registers the commands)
from placebolab.cli.app import main

__all__ = ["main"]
