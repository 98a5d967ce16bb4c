"""A small expect-style driver for a command running in a real pseudo-terminal.

The command gets the pty's slave end as its controlling terminal and as stdin, stdout and stderr, so it
sees exactly what an experimenter's terminal gives it: ``isatty()`` is true, typed text is echoed, and
Ctrl-C (``\\x03``) becomes SIGINT from the line discipline. Every wait is bounded: a session that hangs
fails the test with the tail of what it printed.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time

ROWS, COLUMNS = 50, 200
DEFAULT_TIMEOUT = 15.0  # seconds for one expected prompt to appear
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>]|\r")


def _controlling_tty() -> None:  # runs in the child, after stdin is the slave
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    def __init__(self, argv: list[str], cwd, env: dict[str, str]):
        self.argv = argv
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        env = {**env, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(ROWS)}
        env.pop("NO_COLOR", None)
        try:
            self.process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                start_new_session=True,
                preexec_fn=_controlling_tty,
                close_fds=True,
            )
        finally:
            os.close(slave)
        self._master = master
        self._raw = b""
        self._eof = False
        self.pos = 0  # where the next expect starts looking, in ``self.text``

    # --- reading ------------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """Everything printed so far, without terminal escapes and carriage returns."""
        return _ESCAPES.sub("", self._raw.decode("utf-8", errors="replace"))

    def _read(self, timeout: float) -> bool:
        """Read what is available within ``timeout``; False once the terminal is closed by the command."""
        if self._eof:
            return False
        ready, _, _ = select.select([self._master], [], [], max(timeout, 0))
        if not ready:
            return True
        try:
            chunk = os.read(self._master, 65536)
        except OSError:  # EIO: every holder of the slave end is gone
            chunk = b""
        if not chunk:
            self._eof = True
            return False
        self._raw += chunk
        return True

    def expect(self, pattern: str | re.Pattern, timeout: float = DEFAULT_TIMEOUT) -> re.Match:
        """Wait until ``pattern`` (a literal string or a compiled regex) appears after ``pos``; move past it."""
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.text, self.pos)
            if match:
                self.pos = match.end()
                return match
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._read(min(remaining, 0.2)) and self._eof:
                match = regex.search(self.text, self.pos)
                if match:
                    self.pos = match.end()
                    return match
                state = "exited" if self._eof else f"still running after {timeout:g}s"
                raise AssertionError(
                    f"{regex.pattern!r} did not appear ({' '.join(self.argv[1:])}: {state}); "
                    f"output since the last match:\n{self.text[self.pos :][-3000:]}"
                )

    def since(self, start: int) -> str:
        return self.text[start:]

    # --- writing ------------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        os.write(self._master, text.encode())

    def answer(self, prompt: str | re.Pattern, text: str, timeout: float = DEFAULT_TIMEOUT) -> re.Match:
        """Wait for ``prompt``, then type ``text`` and Enter."""
        match = self.expect(prompt, timeout)
        self.send(text + "\r")
        return match

    # --- ending -------------------------------------------------------------------------------------

    def wait(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Wait for the command to exit (reading all it prints meanwhile); return its exit code."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        if self.process.poll() is None:
            raise AssertionError(f"{' '.join(self.argv[1:])} did not exit within {timeout:g}s:\n{self.text[-3000:]}")
        while self._read(0.05) and not self._eof:  # the rest of its output
            pass
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL the command (as a power cut or a crashed terminal would stop it) and reap it."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=DEFAULT_TIMEOUT)

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill()
        if self._master is not None:
            os.close(self._master)
            self._master = None
