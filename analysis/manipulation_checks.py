"""Manipulation checks: Welch t-tests and Hedges' g per checked factor.

Usage: python analysis/manipulation_checks.py experiments/NAME [--include-pilot]
The same as `placebolab analyze experiments/NAME --from-export --show manipulation-checks`: it reads only the export folder.
"""

import sys

from placebolab.cli import main

if __name__ == "__main__":
    main(["analyze", "--from-export", "--show", "manipulation-checks", *sys.argv[1:]], prog_name="placebolab analyze")
