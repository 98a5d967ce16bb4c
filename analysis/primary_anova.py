"""Descriptives and ANOVA of the primary outcome.

Usage: python analysis/primary_anova.py experiments/NAME [--ss-type 3]
"""

import sys

from placebolab.analysis.scripts import primary_anova_main

if __name__ == "__main__":
    sys.exit(primary_anova_main())
