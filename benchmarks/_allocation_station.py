"""One allocating station of bench_allocation, in its own module so spawned processes can import it."""

from __future__ import annotations

import sys

from _util import REPO


def station(folder: str, tag: str, each: int, ready, go) -> None:
    """Open the study, wait for the start, enrol ``each`` participants one after another."""
    sys.path.insert(0, str(REPO))
    from placebolab.study import Study

    study = Study.open(folder)
    ready.wait()
    go.wait()
    for i in range(each):
        study.store.enrol(f"{tag}-{i:04d}", "sex=female", {"sex": "female"})
    study.close()
