"""The ``placebolab`` group: every user mistake becomes one clean line and its exit code."""

from __future__ import annotations

import importlib
import os
import sys

import click

from placebolab import __version__
from placebolab.errors import PlaceboLabError, SessionInterrupted

EXIT_CODES = """\b
Exit codes: 0 ok · 1 internal error · 2 usage · 3 invalid protocol or effects file ·
4 study folder/store · 5 allocation · 6 session · 7 analysis · 8 session stopped (resumable) ·
9 audit found a break"""


class _Group(click.Group):
    """Every user mistake ends as one clean line on stderr and a documented exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SessionInterrupted as exc:  # the experimenter stopped on purpose: not an error, and resumable
            message = str(exc)
            click.echo(message[:1].upper() + message[1:].rstrip(".") + ".")
            sys.exit(exc.exit_code)
        except PlaceboLabError as exc:
            lines = str(exc).splitlines() or [type(exc).__name__]
            prefix = "error" if len(lines) == 1 else f"{len(lines)} problems"
            click.echo(f"{prefix}: {lines[0]}" if len(lines) == 1 else f"{prefix}:", err=True)
            for line in lines[1:] if len(lines) == 1 else lines:
                click.echo(f"  {line}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except BrokenPipeError:  # the reader went away (`… | head`): nothing is wrong, stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except Exception as exc:
            if os.environ.get("PLACEBOLAB_DEBUG"):
                raise
            click.echo(
                f"internal error: {type(exc).__name__}: {exc} — this is a bug in placebolab, not your mistake; "
                "rerun with PLACEBOLAB_DEBUG=1 for the details and report them",
                err=True,
            )
            sys.exit(1)


#: Every command: name → (its module, its summary in `placebolab --help`). A module is imported only when
#: its command runs (or shows its own help), so `--help` stays quick; tests/cli/test_help.py checks that
#: each summary is the command's own (the first sentence of its docstring). Add a new command here.
COMMANDS = {
    "validate": (
        "placebolab.cli.protocols",
        "Check PROTOCOLS (YAML files): every problem is listed with file, line and what would be right.",
    ),
    "init": (
        "placebolab.cli.protocols",
        "Make the study folder STUDY from PROTOCOL: freeze the protocol and its stimuli, generate and seal the "
        "allocation list, and print its SHA-256 commitment for the preregistration.",
    ),
    "run": ("placebolab.cli.sessions", "Run PARTICIPANT through the protocol of STUDY."),
    "simulate": (
        "placebolab.cli.sessions",
        "Run COUNT simulated participants through STUDY: the real engine and store, answers from a model.",
    ),
    "links": (
        "placebolab.cli.web",
        "Print N new single-use personal links to STUDY's online sessions, as CSV (participant,token,url).",
    ),
    "serve": (
        "placebolab.cli.web",
        "Serve STUDY's online sessions: participants open their personal links (`placebolab links`) in a browser, "
        "or, with --prolific, the study's general link on Prolific.",
    ),
    "export": (
        "placebolab.cli.data",
        "Write STUDY's data as tidy tables: long.csv, wide.csv, steps.csv and the codebook.",
    ),
    "analyze": (
        "placebolab.cli.data",
        "Export the study folder STUDY (or read its export: --from-export), run the planned analyses and write STUDY/report.html.",
    ),
    "share": (
        "placebolab.cli.data",
        "Write STUDY as a Psych-DS dataset: data, codebook metadata, materials, analysis, report and audit.",
    ),
    "audit": (
        "placebolab.cli.allocation",
        "Prove STUDY's allocations match the list sealed at init and its hash-chained log is intact.",
    ),
    "status": (
        "placebolab.cli.allocation",
        "Print STUDY's CONSORT counts: enrolled, allocated per cell, received the intervention, withdrawn, "
        "excluded and allocated in error with reasons, completed, analysed, and slots of the list left.",
    ),
    "correct": (
        "placebolab.cli.allocation",
        "Record a withdrawal, an exclusion or an allocation made in error for PARTICIPANT of STUDY.",
    ),
    "withdraw": (
        "placebolab.cli.allocation",
        "Record that PARTICIPANT withdrew from STUDY (the same as `correct --as withdrawn`).",
    ),
    "unblind": (
        "placebolab.cli.allocation",
        "Show STUDY's blinding key (code → level) and record in the log who unblinded, when and why.",
    ),
    "power": (
        "placebolab.cli.power",
        "Power of every effect of PROTOCOL's primary analysis, by simulation and analytically, over n.",
    ),
    "prereg": (
        "placebolab.cli.documents",
        "Write a preregistration of PROTOCOL, generated from it: hypotheses, design, sampling plan, variables, "
        "analysis plan.",
    ),
    "checklist": (
        "placebolab.cli.documents",
        "Write STUDY's reporting checklists, pre-filled: CONSORT 2025, TIDieR-Placebo and the SPIRIT schedule.",
    ),
    "preview": (
        "placebolab.cli.authoring",
        "Write one HTML page showing every cell's stimuli side by side, step by step, differences highlighted.",
    ),
    "schema": (
        "placebolab.cli.authoring",
        "Print (or write) the JSON Schema of protocol files, for an editor that checks them as you type.",
    ),
    "new": (
        "placebolab.cli.authoring",
        "Create protocols/NAME.yaml and stimuli/NAME/ from an example protocol, ready to edit.",
    ),
    "instruments": (
        "placebolab.cli.authoring",
        "List the instrument bank, or show INSTRUMENT's items, scale, scores, source and licence.",
    ),
}


class _LazyGroup(_Group):
    """Commands loaded on demand (click's LazyGroup pattern): the module named in ``COMMANDS`` is imported
    when its command is asked for; `--help` lists the summaries from the table without importing any."""

    def list_commands(self, ctx) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module = importlib.import_module(COMMANDS[cmd_name][0])
            self.add_command(getattr(module, cmd_name.replace("-", "_")), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx, formatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, _summary(self.commands.get(name), name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _summary(command, name: str, limit: int) -> str:
    """A loaded command's own short help; else the table's, shortened to ``limit`` as click shortens it."""
    if command is None:
        command = click.Command(name, help=COMMANDS[name][1])
    return command.get_short_help_str(limit)


@click.group(cls=_LazyGroup, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="placebolab")
def main():
    """placebolab: placebo experiments that manipulate the clinician–patient relationship.

    A researcher validates a protocol and inits a study from it; an experimenter runs participants;
    simulate runs the whole study with simulated participants; analyze writes the report.
    """
