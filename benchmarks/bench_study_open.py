"""Opening a study: ``Study.open`` of the video-vignette study against the flagship's, run interleaved in
one process; goal: ratio ≤ 2. Both studies are made by ``Study.init`` in a temp folder first. Opening
re-parses the frozen protocol; the media a study shows were probed once at init (ffmpeg for a video)
and are read back from the store, so a study with four videos should open about as fast as one without.
One more opening of the video study is profiled with cProfile to say where its time goes."""

from __future__ import annotations

import cProfile
import sys
import tempfile
from pathlib import Path

from _util import REPO, figure, interleave, median, paired_ratios, profile_rows, timed

GOAL_RATIO = 2.0
PROTOCOLS = {
    "video-vignette-anxiety": REPO / "protocols" / "video-vignette-anxiety.yaml",
    "flagship (warmth-competence-itch)": REPO / "protocols" / "warmth-competence-itch.yaml",
}


def run(quick: bool = False) -> dict:
    from placebolab.study import Study

    repeats = 5 if quick else 21

    def opening(folder: Path):
        def once() -> float:
            study = None

            def open_it():
                nonlocal study
                study = Study.open(folder)

            seconds = timed(open_it)
            study.close()
            return seconds

        return once

    with tempfile.TemporaryDirectory(prefix="placebolab-bench-open-") as tmp_name:
        folders = {}
        for index, (name, protocol) in enumerate(PROTOCOLS.items()):
            folders[name] = Path(tmp_name) / f"study-{index}"
            Study.init(protocol, folders[name], seed=1).close()
        samples = interleave({name: opening(folder) for name, folder in folders.items()}, repeats, warmup=1)
        profiler = cProfile.Profile()
        profiler.enable()
        Study.open(folders["video-vignette-anxiety"]).close()
        profiler.disable()

    video_s, flagship_s = (median(samples[name]) for name in PROTOCOLS)
    ratio = video_s / flagship_s
    paired = median(paired_ratios(*(samples[name] for name in PROTOCOLS)))
    return {
        "title": "Study.open: the video-vignette study vs the flagship",
        "params": {"repeats": repeats, "order": "interleaved, reversed every other round", "warmup": 1},
        "figures": [
            figure("Study.open video-vignette-anxiety", video_s * 1e3, "ms", f"median of {repeats}"),
            figure("Study.open flagship (baseline)", flagship_s * 1e3, "ms", f"median of {repeats}"),
            figure(
                "ratio video / flagship",
                ratio,
                "×",
                f"ratio of medians; median of paired rounds {paired:.2f}",
                goal=f"≤ {GOAL_RATIO:g}",
                met=ratio <= GOAL_RATIO,
            ),
        ],
        "tables": {"cProfile of one Study.open of the video study: top 8 cumulative": profile_rows(profiler, limit=8)},
        "samples_s": samples,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, default=str))
