"""Mediation analyses of the analysis plan (bootstrap CIs of indirect effects).

Usage: python analysis/mediation.py experiments/NAME [--include-pilot]
"""

import sys

from placebolab.analysis.scripts import mediation_main

if __name__ == "__main__":
    sys.exit(mediation_main())
