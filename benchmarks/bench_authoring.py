"""Authoring: what media steps add to loading a protocol, and what the preview costs, as ratios.

- Loading the video-vignette example (4 videos probed with ffmpeg, one per cell) against loading the
  flagship (text stimuli only), interleaved in one process: the media probe is paid on every
  ``Study.open`` (each `placebolab run`), so this is the start-up a lab session pays for media.
- The preview of the 2 × 2 × 2 example (8 cells, word-level diff of every pair) against loading the same
  protocol: the preview's own cost on top of validation.
"""

from __future__ import annotations

from _util import REPO, figure, interleave, median, paired_ratios, timed

FLAGSHIP = REPO / "protocols" / "warmth-competence-itch.yaml"
VIGNETTE = REPO / "protocols" / "video-vignette-anxiety.yaml"
EIGHT_CELLS = REPO / "protocols" / "expectation-warmth-competence-itch.yaml"


def run(quick: bool = False) -> dict:
    from placebolab.authoring.preview import preview_html
    from placebolab.protocol import load_protocol

    repeats = 3 if quick else 15
    loads = interleave(
        {
            "flagship": lambda: timed(lambda: load_protocol(FLAGSHIP)),
            "vignette": lambda: timed(lambda: load_protocol(VIGNETTE)),
        },
        repeats,
        warmup=1,
    )
    eight = load_protocol(EIGHT_CELLS)
    previews = interleave(
        {
            "load": lambda: timed(lambda: load_protocol(EIGHT_CELLS)),
            "preview": lambda: timed(lambda: preview_html(eight)),
        },
        repeats,
        warmup=1,
    )
    media_ratio = median(paired_ratios(loads["vignette"], loads["flagship"]))
    preview_ratio = median(paired_ratios(previews["preview"], previews["load"]))
    return {
        "title": "media probing at load, preview of 8 cells — each against loading a protocol",
        "figures": [
            figure(
                "load vignette (4 videos) / load flagship", round(media_ratio, 1), "×", "median of interleaved pairs"
            ),
            figure("load vignette", round(median(loads["vignette"]) * 1000), "ms", "median; paid at every Study.open"),
            figure("load flagship", round(median(loads["flagship"]) * 1000), "ms", "median"),
            figure("preview 8 cells / load", round(preview_ratio, 1), "×", "median of interleaved pairs"),
            figure("preview 8 cells", round(median(previews["preview"]) * 1000), "ms", "median"),
        ],
        "params": {"repeats": repeats},
        "samples": {**{f"load_{k}": v for k, v in loads.items()}, **{f"preview_{k}": v for k, v in previews.items()}},
    }
