"""The command line: thin. Parse arguments, call the library, turn a PlaceboLabError into one line and
its exit code (see ``placebolab.errors``). Heavy modules are imported inside commands, and each command's
module only when it runs (``COMMANDS`` in ``app``), so ``--help`` stays quick. Add a module for a new area
and list its commands in ``app.COMMANDS``."""

from placebolab.cli.app import main

__all__ = ["main"]
