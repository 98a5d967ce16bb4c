"""Descriptives and ANOVA of the primary outcome (ANCOVA with its baseline), with APA lines.

Usage: python analysis/primary_anova.py experiments/NAME [--ss-type 3] [--include-pilot]
The same as `placebolab analyze experiments/NAME --from-export --show primary`: it reads only the export folder.
"""

import sys

from placebolab.cli import main

if __name__ == "__main__":
    main(["analyze", "--from-export", "--show", "primary", *sys.argv[1:]], prog_name="placebolab analyze")
