"""Manipulation checks: does each manipulated factor move its check rating?

Usage: python analysis/manipulation_checks.py experiments/NAME
"""

import sys

from placebolab.analysis.scripts import manipulation_checks_main

if __name__ == "__main__":
    sys.exit(manipulation_checks_main())
