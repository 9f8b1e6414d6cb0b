"""The one wait primitive: call ``attempt`` until it returns a value or the deadline passes.

Used for "wait until RUNNING", ``within`` checks, one-time runs, statements, ``sleep`` steps
and cleanup waits. Intervals start short (so fast emulators and fast checks finish quickly)
and grow to a ceiling (so a 15-minute wait does not hammer the API). While a wait is young
the ceiling is lower: data usually lands within seconds, and a verdict then should follow
within a second; past ``eager_for`` seconds a check polls at most once per ``ceiling``.
Clock and sleep are
injectable: tests of waiting logic need no real time.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional, TypeVar

T = TypeVar("T")


class Deadline(Exception):
    """The time ran out. Callers keep what the last attempt saw for their own message."""

    def __init__(self, waited: float):
        super().__init__(f"still not done after {waited:.1f}s")
        self.waited = waited


@dataclass
class Poller:
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    first: float = 0.25
    factor: float = 1.5
    ceiling: float = 2.0
    eager_for: float = 10.0       # seconds of a wait during which ...
    eager_ceiling: float = 1.0    # ... intervals grow only to this (0 eager_for: no such phase)

    def until(self, attempt: Callable[[], Optional[T]], timeout: float,
              between: Optional[Callable[[], None]] = None) -> T:
        """Return the first non-None ``attempt()``; raise Deadline after ``timeout`` seconds.

        ``attempt`` runs at least once, even with timeout 0. ``between`` runs before each
        wait (the stream watch): it raises to abort the whole wait at once.
        """
        start = self.clock()
        deadline = start + timeout
        interval = self.first
        while True:
            result = attempt()
            if result is not None:
                return result
            now = self.clock()
            if now >= deadline:
                raise Deadline(now - start)
            if between is not None:
                between()
            self.sleep(min(interval, max(0.0, deadline - self.clock())))
            interval = self._next(interval, waited=self.clock() - start)

    def _next(self, interval: float, waited: float) -> float:
        """Grow towards ``eager_ceiling`` while the next attempt still falls in the eager
        phase; from then on wait ``ceiling`` (so past ``eager_for``, at most one call per
        ``ceiling``)."""
        grown = min(self.eager_ceiling, interval * self.factor)
        if waited + grown < self.eager_for:
            return grown
        return self.ceiling

    def wait(self, seconds: float, between: Optional[Callable[[], None]] = None) -> None:
        """A ``sleep:`` step: wait ``seconds`` while still running ``between`` (the watch)."""
        start = self.clock()
        try:
            self.until(lambda: True if self.clock() - start >= seconds else None, seconds, between)
        except Deadline:
            pass
