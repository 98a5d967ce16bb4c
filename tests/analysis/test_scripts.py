"""The prepared scripts in analysis/ run as `python analysis/<script>.py experiments/NAME`.

Each is `placebolab analyze experiments/NAME --from-export [--show WHAT]`: one command line, one library.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.analysis.synthetic import write_export

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = ["primary_anova.py", "manipulation_checks.py", "report.py", "time_course.py", "mediation.py"]


def run(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, str(REPO / "analysis" / script), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def project(tmp_path) -> Path:
    write_export(tmp_path / "experiments" / "demo")
    return tmp_path


def test_primary_anova(project):
    done = run("primary_anova.py", "experiments/demo", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "Primary outcome: itch_post" in done.stdout
    assert "warmth * competence" in done.stdout and "Residual" in done.stdout
    assert "ci_high" in done.stdout
    assert "adjusted for itch_baseline (ANCOVA)" in done.stdout and "emmean" in done.stdout
    assert "competence: F(1, 75) = " in done.stdout


def test_manipulation_checks(project):
    done = run("manipulation_checks.py", "experiments/demo", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "check.warmth by warmth: t(" in done.stdout


def test_report_prints_its_path(project):
    done = run("report.py", "experiments/demo", cwd=project)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("Report: ")  # as `placebolab analyze` prints it
    path = Path(last.removeprefix("Report: "))
    assert path.resolve() == (project / "experiments" / "demo" / "report.html").resolve()
    assert path.is_file()


@pytest.mark.parametrize("script", SCRIPTS)
def test_missing_export_is_one_line_and_exit_4(tmp_path, script):
    (tmp_path / "experiments" / "new").mkdir(parents=True)
    done = run(script, "experiments/new", cwd=tmp_path)
    assert done.returncode == 4
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1
    assert "run `placebolab export experiments/new` first" in lines[0]
    assert "Traceback" not in done.stderr


def test_bad_data_is_one_line_and_exit_7(tmp_path):
    from tests.analysis.synthetic import wide_table

    wide = wide_table()
    write_export(tmp_path / "experiments" / "demo", wide[wide["cell"] != "warm/high"])
    done = run("primary_anova.py", "experiments/demo", cwd=tmp_path)
    assert done.returncode == 7
    assert done.stderr.count("\n") == 1 and "warmth=warm, competence=high" in done.stderr


@pytest.mark.parametrize("script", SCRIPTS)
def test_help(script, tmp_path):
    done = run(script, "--help", cwd=tmp_path)
    assert done.returncode == 0 and "study folder" in done.stdout


def test_time_course_script(project):
    done = run("time_course.py", "experiments/demo", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "Time course of itch_post over t0+3min, t0+9min, t0+15min" in done.stdout
    assert "p_GG_corr" in done.stdout and "DenDF" in done.stdout


def test_mediation_script_without_plan_entries_and_with_one(project, tmp_path):
    done = run("mediation.py", "experiments/demo", cwd=project)
    assert done.returncode == 0 and "lists no mediation" in done.stdout
    from tests.analysis.synthetic import codebook

    plan = codebook()["analysis"] | {"mediation": [{"x": "competence", "m": "expectancy.expectancy", "y": "itch_post"}]}
    write_export(tmp_path / "p2" / "experiments" / "demo", book=codebook(analysis=plan))
    done = run("mediation.py", "experiments/demo", cwd=tmp_path / "p2")
    assert done.returncode == 0, done.stderr
    assert "competence → expectancy.expectancy → itch_post" in done.stdout and "indirect" in done.stdout


@pytest.mark.parametrize(
    ("script", "show"), [("primary_anova.py", "primary"), ("manipulation_checks.py", "manipulation-checks")]
)
def test_scripts_print_what_placebolab_analyze_prints(project, script, show):
    """No second command line: a script is `placebolab analyze --from-export --show WHAT`, output and all."""
    from click.testing import CliRunner

    from placebolab.cli import main

    done = run(script, "experiments/demo", cwd=project)
    cli = CliRunner().invoke(main, ["analyze", str(project / "experiments" / "demo"), "--from-export", "--show", show])
    assert done.returncode == cli.exit_code == 0, done.stderr + cli.output
    assert done.stdout == cli.output and done.stdout.strip()


def test_the_second_argparse_cli_is_gone():
    import importlib.util

    assert importlib.util.find_spec("placebolab.analysis.scripts") is None
    assert not any("argparse" in path.read_text(encoding="utf-8") for path in (REPO / "analysis").glob("*.py"))


def test_report_script_writes_where_out_says(project):
    done = run("report.py", "experiments/demo", "--out", "elsewhere/r.html", "--ss-type", "2", cwd=project)
    assert done.returncode == 0, done.stderr
    assert (project / "elsewhere" / "r.html").is_file() and not (
        project / "experiments" / "demo" / "report.html"
    ).exists()
    assert "type II sums of squares" in (project / "elsewhere" / "r.html").read_text(encoding="utf-8")
