"""Simulated power of a 2 × 2 design: 10,000 studies of N = 160 (40 per cell) in one call of
``simulate_power``, against

- a loop of ``pingouin.anova`` over the same simulated data (what Superpower-style simulation does: one
  ANOVA per study). The loop is timed on the first ``LOOP_STUDIES`` studies only and scaled to 10,000
  (it is linear in the number of studies); its data frames are built before the clock starts, so only
  the ANOVAs are timed. Goal: simulate_power ≥ 300× faster.
- drawing the random numbers alone (``draw_studies``: the same generator, shapes and count), the floor
  of any simulation. Goal: simulate_power ≤ 3× that.

The three run interleaved (order reversed every other round); figures are medians. The pingouin F of
the looped studies are compared with the batch F of the same studies, so both time the same work.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from _util import figure, interleave, median, paired_ratios, timed

MEANS = [[20, 20], [20, 25]]
SD = 5
N_PER_CELL = 40  # N = 160
STUDIES = 10_000
LOOP_STUDIES = 200
SEED = 20261125


def run(quick: bool = False) -> dict:
    import pandas as pd
    import pingouin

    from placebolab.power import simulate_power
    from placebolab.power.design import make_design
    from placebolab.power.simulate import draw_studies, f_statistics

    repeats = 3 if quick else 7
    loop_studies = 50 if quick else LOOP_STUDIES
    design = make_design(MEANS, SD, N_PER_CELL)
    cells = draw_studies(design, STUDIES, np.random.default_rng(SEED), with_baseline=False)
    frames = [_study_frame(design, cells, s, pd) for s in range(loop_studies)]

    def batch() -> float:
        return timed(lambda: simulate_power(MEANS, SD, N_PER_CELL, n_sims=STUDIES, seed=SEED))

    def draws_only() -> float:
        return timed(lambda: draw_studies(design, STUDIES, np.random.default_rng(SEED), with_baseline=False))

    def loop() -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return timed(lambda: [pingouin.anova(f, dv="y", between=["A", "B"], ss_type=3) for f in frames])

    samples = interleave({"simulate_power": batch, "draw only": draws_only, "pingouin loop": loop}, repeats, warmup=1)
    scale = STUDIES / loop_studies
    loop_scaled = [t * scale for t in samples["pingouin loop"]]
    batch_s, draw_s, loop_s = median(samples["simulate_power"]), median(samples["draw only"]), median(loop_scaled)
    vs_loop = loop_s / batch_s
    vs_draw = batch_s / draw_s

    batch_f = f_statistics(design, cells, None)[("ANOVA", "A * B")][:loop_studies]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loop_f = np.array([pingouin.anova(f, dv="y", between=["A", "B"], ss_type=3).loc[2, "F"] for f in frames])
    agreement = float(np.max(np.abs(batch_f - loop_f) / loop_f))

    return {
        "title": "simulate_power, 10,000 2×2 studies of N = 160, vs a pingouin.anova loop and vs drawing the numbers",
        "params": {
            "studies": STUDIES,
            "n_per_cell": N_PER_CELL,
            "loop timed on": f"{loop_studies} studies, scaled ×{scale:g}",
            "repeats": repeats,
            "order": "interleaved, reversed every other round",
        },
        "figures": [
            figure("simulate_power (10,000 studies)", batch_s * 1e3, "ms", f"median of {repeats}"),
            figure("draw the random numbers only", draw_s * 1e3, "ms", f"median of {repeats}; 1.6 M normals"),
            figure("pingouin.anova loop (scaled)", loop_s, "s", f"{loop_studies} studies timed, ×{scale:g}"),
            figure(
                "speed-up vs pingouin loop",
                vs_loop,
                "×",
                f"ratio of medians; paired rounds {median(paired_ratios(loop_scaled, samples['simulate_power'])):.0f}",
                goal="≥ 300",
                met=vs_loop >= 300,
            ),
            figure(
                "time / drawing the numbers",
                vs_draw,
                "×",
                f"ratio of medians; paired rounds {median(paired_ratios(samples['simulate_power'], samples['draw only'])):.2f}",
                goal="≤ 3",
                met=vs_draw <= 3,
            ),
            figure("max relative |F batch − F pingouin|", agreement, "", f"A × B, the {loop_studies} looped studies"),
        ],
        "samples_s": samples,
    }


def _study_frame(design, cells, study, pd):
    parts = []
    for index, draws in enumerate(cells):
        a, b = divmod(index, 2)
        y = design.means[index] + design.sd * draws.noise[study]
        parts.append(pd.DataFrame({"y": y, "A": f"a{a}", "B": f"b{b}"}))
    return pd.concat(parts, ignore_index=True)


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, default=str))
