"""Time course of the primary outcome: mixed ANOVA and random-intercept mixed model.

Usage: python analysis/time_course.py experiments/NAME [--include-pilot]
"""

import sys

from placebolab.analysis.scripts import time_course_main

if __name__ == "__main__":
    sys.exit(time_course_main())
