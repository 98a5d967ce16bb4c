"""Run the benchmarks of placebolab and report them: a table on stdout, ``benchmarks/results/latest.json``.

    python benchmarks/run.py                      # every benchmark (make bench)
    python benchmarks/run.py --quick              # fewer repeats, smaller sizes (the smoke test; < 60 s)
    python benchmarks/run.py simulate             # only bench_simulate.py; names may be repeated
    python benchmarks/run.py --list

A benchmark is a module ``benchmarks/bench_NAME.py`` with ``run(quick: bool = False) -> dict``:

    title     one line saying what is compared with what
    figures   [{name, value, unit, note, goal?, met?}] — the headline numbers, printed as one table
    tables    {title: [row dict, …]} — details (import times, profiles), each printed as a table
    params    {…} — sizes, repeats, seeds: what the numbers were measured on
    anything else is only written to the JSON (raw samples …)

Speed is a ratio against a baseline run side by side in the same process or command, repeated and
interleaved, reported as medians: the machines are shared and noisy. A missed goal is reported, never
failed on; the exit code is 1 only if a benchmark raised.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"


def discover() -> dict[str, Path]:
    """``{'cli_startup': benchmarks/bench_cli_startup.py, …}``, sorted by name."""
    return {path.stem.removeprefix("bench_"): path for path in sorted(HERE.glob("bench_*.py"))}


def select(available: dict[str, Path], names: list[str]) -> dict[str, Path]:
    if not names:
        return available
    chosen = {}
    for name in names:
        key = Path(name).stem.removeprefix("bench_")
        if key not in available:
            raise ValueError(f"no benchmark '{name}'; there are: {', '.join(available)}")
        chosen[key] = available[key]
    return chosen


def load(path: Path):
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))  # the benchmarks import their shared helpers (_util)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run placebolab's benchmarks (benchmarks/bench_*.py).")
    parser.add_argument("names", nargs="*", help="benchmarks to run, e.g. simulate cli_startup (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller sizes (a smoke run)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help=f"JSON results (default: {RESULTS.relative_to(HERE.parent)})"
    )
    args = parser.parse_args(argv)

    available = discover()
    if args.list:
        for name, path in available.items():
            print(f"{name:20} {path.relative_to(HERE.parent)}")
        return 0
    try:
        chosen = select(available, args.names)
    except ValueError as exc:
        parser.error(str(exc))  # exit code 2, as for any usage error
    console = Console(width=None if sys.stdout.isatty() else 150, highlight=False)

    report = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": _machine(),
        "benchmarks": {},
    }
    console.print(
        f"[bold]placebolab benchmarks[/bold]{' (quick)' if args.quick else ''} — "
        f"{report['machine']['python']} on {report['machine']['cpus']} CPUs, "
        f"load {report['machine']['load_before']}, commit {report['machine']['commit']}"
    )
    started = time.perf_counter()
    failed = False
    for name, path in chosen.items():
        console.print(f"\n[dim]running {path.name} …[/dim]")
        t0 = time.perf_counter()
        try:
            result = load(path).run(quick=args.quick)
        except Exception:
            failed = True
            result = {"error": traceback.format_exc()}
            console.print(f"[red]{path.name} failed:[/red]\n{result['error']}", markup=False)
        result["elapsed_s"] = round(time.perf_counter() - t0, 2)
        report["benchmarks"][name] = result
        if "error" not in result:
            _print(console, name, result)

    report["elapsed_s"] = round(time.perf_counter() - started, 2)
    report["machine"]["load_after"] = _load()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    partial = args.output.with_suffix(".json.partial")
    partial.write_text(json.dumps(report, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(args.output)
    console.print(f"\n{len(chosen)} benchmark(s) in {report['elapsed_s']:.1f} s; results: {_shown(args.output)}")
    return 1 if failed else 0


def _print(console: Console, name: str, result: dict) -> None:
    table = Table(title=f"[bold]{name}[/bold]: {result.get('title', '')}", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("goal", justify="center")
    table.add_column("note", overflow="fold")
    for row in result.get("figures", []):
        goal = row.get("goal")
        mark = "" if goal is None else f"{goal} {'[green]✓[/green]' if row.get('met') else '[red]✗[/red]'}"
        table.add_row(row["name"], _fmt(row.get("value")), row.get("unit", ""), mark, row.get("note", ""))
    console.print(table)
    if result.get("params"):
        console.print(
            "[dim]"
            + "; ".join(f"{k}: {v}" for k, v in result["params"].items())
            + f"; took {result['elapsed_s']} s[/dim]",
            markup=True,
        )
    for title, rows in result.get("tables", {}).items():
        if not rows:
            continue
        detail = Table(title=title, title_justify="left", title_style="bold")
        for column in rows[0]:
            detail.add_column(column, justify="left" if isinstance(rows[0][column], str) else "right", overflow="fold")
        for row in rows:
            detail.add_row(*(_fmt(v) for v in row.values()))
        console.print(detail)


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:
            return "nan"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}" if abs(value) < 0.01 else f"{value:.2f}"
    return str(value)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _machine() -> dict:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "python": f"Python {platform.python_version()}",
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_before": _load(),
        "commit": commit,
    }


if __name__ == "__main__":
    sys.exit(main())
