"""Write the HTML report of a study and print its path.

Usage: python analysis/report.py experiments/NAME [--out PATH] [--ss-type 3]
"""

import sys

from placebolab.analysis.scripts import report_main

if __name__ == "__main__":
    sys.exit(report_main())
