"""Output piped into a reader that stops early (`placebolab … | head -1`) ends quietly."""

from __future__ import annotations

import subprocess

from tests.cli.conftest import cli_env, placebolab_command
from tests.conftest import FLAGSHIP


def test_a_closed_pipe_is_not_an_internal_error():
    process = subprocess.Popen(
        [*placebolab_command(), "validate", str(FLAGSHIP)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    process.stdout.close()  # the reader is gone before anything is written
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert "internal error" not in stderr and "Traceback" not in stderr
