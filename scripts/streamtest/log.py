"""Live progress on stderr: one line per event, prefixed with the time since start.

Every line passes through ``redaction.redact``. In GitHub Actions each phase is folded in a
``::group::`` so the log stays readable.
"""
from __future__ import annotations

import contextlib
import sys
import time
from typing import Callable, Iterator, TextIO

from streamtest import redaction
from streamtest.reports import annotations


class Progress:
    def __init__(self, stream: TextIO = None, clock: Callable[[], float] = time.monotonic,
                 actions: bool = False):
        self.stream = stream or sys.stderr
        self.clock = clock
        self.start = clock()
        self.actions = actions
        self._grouped = False

    def elapsed(self) -> float:
        return self.clock() - self.start

    def __call__(self, message: str) -> None:
        """One event; the lines after a message's first (a trace) are indented under it."""
        self.write(f"[{self.elapsed():7.1f}s] " + message.replace("\n", "\n" + " " * 12))

    def write(self, text: str) -> None:
        try:
            self.stream.write(redaction.redact(text) + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed stderr must never stop cleanup

    @contextlib.contextmanager
    def phase(self, title: str) -> Iterator[None]:
        if self.actions and not self._grouped:
            self.write(annotations.group_start(title))
            self._grouped = True
            try:
                yield
            finally:
                self.write(annotations.group_end())
                self._grouped = False
        else:
            self(f"== {title}")
            yield
