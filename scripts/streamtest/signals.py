"""Turn SIGINT/SIGTERM into an exception so ``finally`` blocks (cleanup) still run.

GitHub cancels a workflow with SIGINT, then SIGTERM 7.5 s later, then kills the tree 2.5 s
after that. The first signal raises ``Interrupted`` wherever the main thread is (usually a
poll's sleep); later signals are only logged, so they cannot abort the cleanup the first
one started.
"""
from __future__ import annotations

import contextlib
import signal
from typing import Callable, Iterator, Optional

WATCHED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """Raised once per process on the first SIGINT/SIGTERM. BaseException: no ``except
    Exception`` in a step may swallow it."""

    def __init__(self, signum: int):
        self.signum = signum
        self.in_flight = ""   # "POST /api/...": a request that was on the wire and may still land
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


@contextlib.contextmanager
def interrupts_as_exceptions(log: Optional[Callable[[str], None]] = None) -> Iterator[Callable[[], None]]:
    """Yields ``settle``: once called (the verdict is in and cleanup done), a signal no longer
    raises but is only logged, and after the block it is ignored until the process exits, so
    a cancel that lands while the reports are written or the interpreter shuts down neither
    turns the exit code into -15 nor raises past them (a traceback)."""
    fired: list[int] = []
    settled: list[bool] = []

    def handler(signum, frame):
        name = signal.Signals(signum).name
        if settled:
            if log:
                log(f"{name} received after the verdict; finishing the reports")
            return
        if fired:
            if log:
                log(f"{name} received again; still cleaning up")
            return
        fired.append(signum)
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, handler) for sig in WATCHED}
    try:
        yield lambda: settled.append(True)
    finally:
        for sig, old in previous.items():
            # settled: ignored from here to the exit; a Python handler would be reset to the
            # default (death by the signal) while the interpreter shuts down, SIG_IGN is not
            signal.signal(sig, signal.SIG_IGN if settled else old)
