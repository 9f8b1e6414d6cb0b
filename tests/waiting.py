"""The one way tests wait: a condition with a deadline, never a sleep sized to win a race.

Checks start fast (so a test ends as soon as its condition holds) and back off to a
quarter of a second (so a long wait does not hammer the emulator).
"""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")
CEILING = 0.25


def wait_until(condition: Callable[[], T], timeout: float = 10.0, what: str = "condition",
               interval: float = 0.02, ceiling: float = CEILING) -> T:
    """Call ``condition`` until it returns something truthy (which is returned), or fail
    with an AssertionError naming ``what`` after ``timeout`` seconds. ``ceiling`` caps the
    back-off (a test that acts at a chosen instant keeps it small)."""
    deadline = time.monotonic() + timeout
    pause = interval
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(pause)
        pause = min(max(ceiling, interval), pause * 1.5)
