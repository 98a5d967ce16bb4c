"""Mediation analyses of the plan: paths a, b, c, c' and bootstrap CIs of indirect effects.

Usage: python analysis/mediation.py experiments/NAME [--include-pilot]
The same as `placebolab analyze experiments/NAME --from-export --show mediation`: it reads only the export folder.
"""

import sys

from placebolab.cli import main

if __name__ == "__main__":
    main(["analyze", "--from-export", "--show", "mediation", *sys.argv[1:]], prog_name="placebolab analyze")
