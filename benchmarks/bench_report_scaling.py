"""The full report of the flagship (protocols/warmth-competence-itch.yaml with its effects file) at N = 2,000
against N = 160: ``run_analyses`` + the HTML report on the export of a simulated study of each size, run
interleaved in the same process; the figure is the median ratio. Every analysis of the plan runs (ANCOVA,
assumption checks and, where one fails, 4,999 Freedman–Lane permutations per effect; simple effects; the
mixed ANOVA and the mixed model with Satterthwaite df; 5,000-resample mediation bootstraps; table 1), so
the ratio says how the report grows with N; goal: far slower than N (12.5×), i.e. a ratio ≤ 5."""

from __future__ import annotations

import cProfile
import shutil
import tempfile
from pathlib import Path

from _util import REPO, figure, interleave, median, paired_ratios, profile_rows, timed

SIZES = (160, 2000)
GOAL = 5.0
SEED = 20261125


def _export(folder: Path, n: int) -> Path:
    """A simulated study of ``n`` participants of the flagship (planned size raised so the lists suffice)."""
    from placebolab.export import export_study
    from placebolab.simulation.model import load_effects
    from placebolab.simulation.run import simulate_study
    from placebolab.study import Study

    (folder / "protocols").mkdir(parents=True)
    shutil.copytree(REPO / "stimuli" / "warmth-competence-itch", folder / "stimuli" / "warmth-competence-itch")
    text = (REPO / "protocols" / "warmth-competence-itch.yaml").read_text(encoding="utf-8")
    assert text.count("target_n: 160") == 1, "the flagship's planned size moved; update the benchmark"
    protocol = folder / "protocols" / "flagship.yaml"
    protocol.write_text(text.replace("target_n: 160", f"target_n: {4 * max(SIZES)}"), encoding="utf-8")
    study = Study.init(protocol, folder / "study", seed=SEED)
    effects = load_effects(REPO / "protocols" / "effects" / "warmth-competence-itch.yaml", study.protocol)
    simulate_study(study, n, effects, seed=1)
    out = export_study(study)
    study.close()
    return out


def _share(profiler: cProfile.Profile, names: tuple[str, ...]) -> float:
    """Share of the profiled call spent in functions of these names (cumulative; none nests in another)."""
    import pstats

    stats = pstats.Stats(profiler).stats
    total = max(entry[3] for entry in stats.values())
    return sum(entry[3] for (_, _, func), entry in stats.items() if func in names) / total


def run(quick: bool = False) -> dict:
    from placebolab.analysis.plan import run_analyses
    from placebolab.report import write_report

    repeats = 1 if quick else 5
    sizes = (160, 400) if quick else SIZES
    with tempfile.TemporaryDirectory() as tmp:
        exports = {n: _export(Path(tmp) / f"n{n}", n) for n in sizes}

        def report(n):
            return lambda: timed(lambda: write_report(run_analyses(exports[n]), Path(tmp) / f"report-{n}.html"))

        samples = interleave({f"N = {n}": report(n) for n in sizes}, repeats, warmup=1)
        profiler = cProfile.Profile()
        profiler.runcall(lambda: write_report(run_analyses(exports[sizes[-1]]), Path(tmp) / "profiled.html"))
    small, large = (f"N = {n}" for n in sizes)
    ratio = median(paired_ratios(samples[large], samples[small]))
    resampling = _share(profiler, ("permutation_anova", "_bootstrap"))
    return {
        "title": f"full report of the flagship: N = {sizes[1]} vs N = {sizes[0]} (run_analyses + HTML, same process)",
        "figures": [
            figure(f"report, {small}", round(median(samples[small]), 2), "s", f"median of {repeats}"),
            figure(f"report, {large}", round(median(samples[large]), 2), "s", f"median of {repeats}"),
            figure(
                "ratio",
                round(ratio, 2),
                "×",
                f"median of paired rounds; N grows {sizes[1] / sizes[0]:g}×",
                f"≤ {GOAL:g}",
                ratio <= GOAL,
            ),  # fmt: skip
            figure(
                f"share of the {large} report in resampling",
                round(100 * resampling),
                "%",
                "permutation p values + mediation bootstraps: O(N × resamples)",
            ),  # fmt: skip
        ],
        "tables": {f"profile of the report at {large} (cumulative)": profile_rows(profiler, limit=15)},
        "params": {
            "sizes": list(sizes),
            "repeats": repeats,
            "seed": SEED,
            "effects": "protocols/effects/warmth-competence-itch.yaml",
        },
        "samples": samples,
    }
