"""Every command has help text; `placebolab --help` lists the exit codes; `--version` works; help is quick."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from placebolab import __version__
from placebolab.cli import main
from placebolab.cli.app import COMMANDS as COMMANDS_TABLE

from .conftest import run_cli

COMMANDS = main.list_commands(None)  # from the group's table: no command module imported yet
EXIT_CODES = {
    0: "ok",
    1: "internal error",
    2: "usage",
    3: "invalid protocol or effects file",
    4: "study folder/store",
    5: "allocation",
    6: "session",
    7: "analysis",
    8: "session stopped",
}


def test_the_flow_of_the_readme_has_a_command_each():
    assert set(COMMANDS) >= {"validate", "init", "run", "simulate", "export", "analyze"}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name):
    command = main.get_command(None, name)
    assert command.help and command.help.strip(), f"`placebolab {name}` has no docstring"
    assert command.get_short_help_str().strip()

    result = CliRunner().invoke(main, [name, "--help"], prog_name="placebolab")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: placebolab {name}")
    description = command.help.strip().splitlines()[0]
    assert " ".join(description.split()[:4]) in " ".join(result.output.split())

    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help and param.help.strip(), f"`placebolab {name}` option {param.opts} has no help"
            for opt in param.opts:
                assert opt in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_listed_with_a_summary(name):
    result = CliRunner().invoke(main, ["--help"], prog_name="placebolab")
    line = next((line for line in result.output.splitlines() if line.strip().startswith(name + " ")), None)
    assert line is not None, f"{name} is not listed in `placebolab --help`"
    assert line.strip()[len(name) :].strip(), f"{name} has no summary in `placebolab --help`"


@pytest.mark.parametrize("name", COMMANDS)
def test_the_tables_summary_is_the_commands_own(name):
    """`--help` lists each command's summary from the group's table without importing its module: the
    table must say what the command's own docstring says (its short help, however wide the terminal)."""
    module, summary = COMMANDS_TABLE[name]
    command = main.get_command(None, name)
    assert command.callback.__module__ == module
    assert summary == command.get_short_help_str(limit=10_000)


def test_help_imports_no_command_module():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from placebolab.cli import main\n"
        "assert CliRunner().invoke(main, ['--help']).exit_code == 0\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('placebolab.cli.') and m != 'placebolab.cli.app')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"--help imports {done.stdout.strip()}"


def test_the_installed_command_lists_the_exit_codes(tmp_path):
    result = run_cli("--help", cwd=tmp_path)
    assert result.code == 0 and result.stderr == ""
    text = " ".join(result.stdout.split())
    assert "Exit codes" in text
    for code, meaning in EXIT_CODES.items():
        assert re.search(rf"\b{code} {re.escape(meaning)}", text), f"exit code {code} ({meaning}) is not listed"
    for name in COMMANDS:
        assert name in result.stdout


def test_the_exit_codes_in_help_match_the_errors():
    from placebolab import errors

    documented = {
        errors.ProtocolError: 3,
        errors.EffectsError: 3,
        errors.StoreError: 4,
        errors.AllocationError: 5,
        errors.SessionError: 6,
        errors.AnalysisError: 7,
        errors.SessionInterrupted: 8,
    }
    for error, code in documented.items():
        assert error.exit_code == code, error.__name__


def test_version(tmp_path):
    result = run_cli("--version", cwd=tmp_path)
    assert result.code == 0
    assert result.stdout.strip() == f"placebolab, version {__version__}"


def test_the_module_runs_as_a_script(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "placebolab.cli", "--version"], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0 and __version__ in done.stdout


def test_help_does_not_import_the_heavy_modules(tmp_path):
    """`placebolab --help` and each command's help stay quick: no pandas, pingouin, matplotlib … imported."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from placebolab.cli import main\n"
        f"for args in [['--help'], *[[name, '--help'] for name in {COMMANDS!r}]]:\n"
        "    assert CliRunner().invoke(main, args).exit_code == 0, args\n"
        "heavy = {'pandas', 'pingouin', 'matplotlib', 'statsmodels', 'scipy', 'psychopy', 'jinja2'}\n"
        "print(' '.join(sorted(heavy & set(sys.modules))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"--help imports {done.stdout.strip()}"


def test_init_says_which_command_runs_the_study_next(tmp_path):
    """The next command after init: the lab window for media, the terminal otherwise; online too when no
    step needs an experimenter (the flagship's cream pause does)."""
    from pathlib import Path

    examples = Path(__file__).parents[2] / "protocols"
    online = CliRunner().invoke(main, ["init", str(examples / "text-vignette-online.yaml"), str(tmp_path / "tv")])
    assert online.exit_code == 0, online.output
    assert "--frontend console" in online.output and f"placebolab serve {tmp_path / 'tv'}" in online.output
    lab = CliRunner().invoke(main, ["init", str(examples / "warmth-competence-itch.yaml"), str(tmp_path / "wc")])
    assert lab.exit_code == 0, lab.output
    assert "--frontend console" in lab.output and "placebolab serve" not in lab.output
