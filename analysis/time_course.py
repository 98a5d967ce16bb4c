"""Time course of the primary outcome: mixed ANOVA and random-intercept mixed model.

Usage: python analysis/time_course.py experiments/NAME [--ss-type 3] [--include-pilot]
The same as `placebolab analyze experiments/NAME --from-export --show time-course`: it reads only the export folder.
"""

import sys

from placebolab.cli import main

if __name__ == "__main__":
    main(["analyze", "--from-export", "--show", "time-course", *sys.argv[1:]], prog_name="placebolab analyze")
