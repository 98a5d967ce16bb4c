"""Each answer given in the lab window is kept in the store as it is given (``Current.drafts``), so that a stop
(Escape → Y, a crash, the power) loses none and a resumed step starts at its first unanswered question.

The writes run on a thread of their own: a frame never waits for the disk or the server. Nothing else uses
the store while a step is on screen, and ``flush`` waits for the writes before the step is submitted or the
session stops. Pure Python (no psychopy), so it is tested on its own.
"""

from __future__ import annotations

import threading
from typing import Any


class DraftWriter:
    """Writes the answers ``offer``-ed to the step's drafts, the latest of each item, in the background."""

    def __init__(self, drafts: Any, shown_at: float):
        self._drafts, self._shown_at = drafts, shown_at  # an engine Drafts; the showing's onset (epoch s)
        self._offered: dict[str, tuple[Any, float]] = {}  # the main thread's: item → (value, answered at)
        self._pending: dict[str, tuple[Any, float]] = {}
        self._busy = False
        self._error: BaseException | None = None
        self._closed = False
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None

    def offer(self, given: dict[str, tuple[Any, float]]) -> None:
        """The answers on screen now (item → (value, epoch seconds it was given)); those new or changed since
        the last offer are written. Raises what a write before it raised (a full disk …)."""
        changed = {item: answer for item, answer in given.items() if self._offered.get(item) != answer}
        if not changed:
            return
        self._offered.update(changed)
        with self._ready:
            self._raise_failure()
            self._pending.update(changed)
            self._ready.notify_all()
        if self._thread is None:
            self._thread = threading.Thread(target=self._write, name="drafts", daemon=True)
            self._thread.start()

    def flush(self) -> None:
        """Wait until every answer offered is written; raise what a write raised."""
        with self._ready:
            while self._pending or self._busy:
                if self._error is not None:
                    break
                self._ready.wait()
            self._raise_failure()

    def close(self) -> None:
        """Flush, then end the thread (the step is over); raise what a write raised."""
        try:
            self.flush()
        finally:
            with self._ready:
                self._closed = True
                self._ready.notify_all()
            if self._thread is not None:
                self._thread.join()

    def _raise_failure(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            self._pending.clear()
            raise error

    def _write(self) -> None:
        while True:
            with self._ready:
                while not self._pending and not self._closed:
                    self._ready.wait()
                if not self._pending:
                    return
                batch, self._pending, self._busy = self._pending, {}, True
            try:
                values = {item: value for item, (value, _) in batch.items()}
                self._drafts.save(values, self._shown_at, {item: at for item, (_, at) in batch.items()})
            except BaseException as exc:  # handed to the main thread, which stops the session with it
                with self._ready:
                    self._error = exc
            finally:
                with self._ready:
                    self._busy = False
                    self._ready.notify_all()
