"""Start-up of the command: wall time of ``placebolab --help`` (the installed console script) against
``python -c pass`` (the interpreter alone), run interleaved; goal: ratio ≤ 4, i.e. heavy imports stay
inside the commands. ``import placebolab.cli`` runs alongside to split import cost from click's work,
and ``python -X importtime`` shows which imports the start-up pays for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from _util import figure, interleave, median, paired_ratios, timed

GOAL_RATIO = 4.0
# packages the CLI must not import just to print its help (they belong inside the commands)
HEAVY = ("numpy", "pandas", "scipy", "pydantic", "matplotlib", "statsmodels", "pingouin", "jinja2", "rich", "ruamel")


def run(quick: bool = False) -> dict:
    repeats = 5 if quick else 15
    import_runs = 1 if quick else 3
    script = Path(sys.executable).parent / "placebolab"  # the console script installed beside this python
    if not script.is_file():
        raise FileNotFoundError(f"{script} not found: is placebolab installed in this environment (make install)?")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPROFILEIMPORTTIME", "PYTHONSTARTUP"}}

    def command(*args: str):
        def once() -> float:
            return timed(
                lambda: subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            )

        return once

    samples = interleave(
        {
            "placebolab --help": command(str(script), "--help"),
            "python -c pass": command(sys.executable, "-c", "pass"),
            "python -c 'import placebolab.cli'": command(sys.executable, "-c", "import placebolab.cli"),
        },
        repeats,
        warmup=1,
    )
    help_s, bare_s, import_s = (median(samples[k]) for k in samples)
    ratio = help_s / bare_s
    paired = median(paired_ratios(samples["placebolab --help"], samples["python -c pass"]))

    imports = _importtime(env, import_runs)
    total_us = imports["placebolab.cli"]["cumulative_us"] if "placebolab.cli" in imports else None
    top = sorted(imports.items(), key=lambda kv: kv[1]["cumulative_us"], reverse=True)[:5]
    heavy = sorted({name.split(".")[0] for name in imports if name.split(".")[0] in HEAVY})

    return {
        "title": "CLI start-up: placebolab --help vs python -c pass",
        "params": {
            "repeats": repeats,
            "order": "interleaved, reversed every other round",
            "importtime_runs": import_runs,
        },
        "figures": [
            figure("placebolab --help", help_s * 1e3, "ms", f"median of {repeats}"),
            figure("python -c pass (baseline)", bare_s * 1e3, "ms", f"median of {repeats}"),
            figure("python -c 'import placebolab.cli'", import_s * 1e3, "ms", "import only, no click parsing"),
            figure(
                "ratio --help / pass",
                ratio,
                "×",
                f"ratio of medians; median of paired rounds {paired:.2f}",
                goal=f"≤ {GOAL_RATIO:g}",
                met=ratio <= GOAL_RATIO,
            ),
            figure(
                "import placebolab.cli (importtime)",
                total_us / 1e3 if total_us is not None else None,
                "ms",
                f"cumulative, median of {import_runs}; {len(imports)} modules imported",
            ),
            figure("heavy packages imported at start-up", len(heavy), "", ", ".join(heavy) or "none"),
        ],
        "tables": {
            "python -X importtime -c 'import placebolab.cli': top 5 cumulative": [
                {
                    "module": ("  " * row["depth"]) + name,
                    "cumulative_ms": round(row["cumulative_us"] / 1e3, 2),
                    "self_ms": round(row["self_us"] / 1e3, 2),
                    "% of placebolab.cli": round(100 * row["cumulative_us"] / total_us, 1) if total_us else None,
                }
                for name, row in top
            ]
        },
        "samples_s": samples,
    }


def _importtime(env: dict, runs: int) -> dict[str, dict]:
    """``python -X importtime -c 'import placebolab.cli'``, ``runs`` times: per module the median self and
    cumulative microseconds and its nesting depth (0: imported by the interpreter or the -c line)."""
    seen: dict[str, dict] = {}
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import placebolab.cli"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        for line in done.stderr.splitlines():
            if not line.startswith("import time:"):
                continue
            self_us, cumulative_us, name = line[len("import time:") :].split("|", 2)
            if not self_us.strip().isdigit():  # the header line
                continue
            depth = (len(name) - len(name.lstrip()) - 1) // 2
            row = seen.setdefault(name.strip(), {"self": [], "cumulative": [], "depth": depth})
            row["self"].append(int(self_us))
            row["cumulative"].append(int(cumulative_us))
    return {
        name: {"self_us": median(row["self"]), "cumulative_us": median(row["cumulative"]), "depth": row["depth"]}
        for name, row in seen.items()
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
