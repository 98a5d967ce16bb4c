"""Write the HTML report of a study (default experiments/NAME/report.html) and print its path.

Usage: python analysis/report.py experiments/NAME [--out PATH] [--ss-type 3] [--include-pilot]
The same as `placebolab analyze experiments/NAME --from-export`: it reads only the export folder.
"""

import sys

from placebolab.cli import main

if __name__ == "__main__":
    main(["analyze", "--from-export", *sys.argv[1:]], prog_name="placebolab analyze")
