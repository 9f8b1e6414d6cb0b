"""The one wait primitive: call ``attempt`` until it returns a value or the deadline passes.

Used for "wait until RUNNING", ``within`` checks, one-time runs, statements, ``sleep`` steps
and cleanup waits. Intervals start short (so fast emulators and fast checks finish quickly)
and grow to a ceiling (so a 15-minute wait does not hammer the API). While a wait is young
the ceiling is lower: data usually lands within seconds, and a verdict then should follow
within a second; past ``eager_for`` seconds a check polls at most once per ``ceiling``.
Clock and sleep are
injectable: tests of waiting logic need no real time.

A wait that says ``what`` it waits for gives a sign of life every ``heartbeat`` seconds
through ``beat``: what is awaited, the time spent of the limit, the attempts so far and the
last value or state (``last``), so a log in the middle of a five-minute cluster start or a
slow check never looks hung.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional, TypeVar

from streamtest.durations import format_duration

T = TypeVar("T")
BEAT_AT = 0.95  # of a heartbeat: a beat lands a little early, so no gap between beats exceeds it


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
    heartbeat: float = 30.0       # a sign of life at least this often during a wait ...
    beat: Optional[Callable[[str], None]] = None   # ... written here (None: silent)

    def until(self, attempt: Callable[[], Optional[T]], timeout: float,
              between: Optional[Callable[[], None]] = None, what: str = "",
              last: Optional[Callable[[], str]] = None) -> T:
        """Return the first non-None ``attempt()``; raise Deadline after ``timeout`` seconds.

        ``attempt`` runs at least once, even with timeout 0. ``between`` runs before each
        wait (the stream watch): it raises to abort the whole wait at once. ``what`` and
        ``last`` describe the wait for the heartbeat.
        """
        start = self.clock()
        deadline = start + timeout
        interval = self.first
        attempts, beaten = 0, start
        while True:
            result = attempt()
            attempts += 1
            if result is not None:
                return result
            now = self.clock()
            if now >= deadline:
                raise Deadline(now - start)
            beating = bool(what) and self.beat is not None
            if beating and now - beaten >= BEAT_AT * self.heartbeat:
                beaten = now
                self.beat(heartbeat_line(what, now - start, timeout, attempts, last() if last else ""))
            if between is not None:
                between()
            wake = min(interval, deadline - self.clock())
            if beating:  # wake in time for the next sign of life, even between slow attempts
                wake = min(wake, beaten + BEAT_AT * self.heartbeat - self.clock())
            self.sleep(max(0.0, wake))
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
            self.until(lambda: True if self.clock() - start >= seconds else None, seconds, between,
                       what="the sleep step to end")
        except Deadline:
            pass


def heartbeat_line(what: str, elapsed: float, limit: float, attempts: int, last: str) -> str:
    """'  still waiting for X: 1m30s of 15m00s, 46 attempts; last: PENDING: Waiting for cluster'"""
    text = f"  still waiting for {what}: {format_duration(elapsed)} of {format_duration(limit)}, " \
           f"{attempts} attempt{'s' if attempts != 1 else ''}"
    return text + (f"; last: {last}" if last else "")
