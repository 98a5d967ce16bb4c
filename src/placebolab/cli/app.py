"""The ``placebolab`` group: every user mistake becomes one clean line and its exit code."""

from __future__ import annotations

import os
import sys

import click

from placebolab import __version__
from placebolab.errors import PlaceboLabError

EXIT_CODES = """\b
Exit codes: 0 ok · 1 internal error · 2 usage · 3 invalid protocol or effects file ·
4 study folder/store · 5 allocation · 6 session · 7 analysis · 8 session stopped (resumable) ·
9 audit found a break"""


class _Group(click.Group):
    """Every user mistake ends as one clean line on stderr and a documented exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
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


@click.group(cls=_Group, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="placebolab")
def main():
    """placebolab: placebo experiments that manipulate the clinician–patient relationship.

    A researcher validates a protocol and inits a study from it; an experimenter runs participants;
    simulate runs the whole study with simulated participants; analyze writes the report.
    """
