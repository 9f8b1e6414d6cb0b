"""Turn SIGINT/SIGTERM into an exception so ``finally`` blocks (cleanup) still run.

GitHub cancels a workflow with SIGINT, then SIGTERM 7.5 s later, then kills the tree 2.5 s
after that. The first signal raises ``Interrupted`` wherever the main thread is (usually a
poll's sleep); later signals are only logged, so they cannot abort the cleanup the first
one started.

``held()`` marks a create on the wire and its recording in the state file: a first signal
that lands there waits (at most ``HOLD`` s) for the reply, so cleanup deletes the object by
its recorded id, instead of looking for it by name while the create may still land after
the look (found by the full chaos run: a SIGTERM during the scratch schema's create left
the schema to the always() step).
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Callable, Iterator, Optional

WATCHED = (signal.SIGINT, signal.SIGTERM)
HOLD = 3.0     # s a first signal waits for a create's reply: inside GitHub's 7.5 s, leaving cleanup the rest
_held: dict = {}   # the main thread's held() sections: depth, the signal waiting, its timer


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

    _held.clear()
    _held.update(depth=0, pending=None, expired=False, timer=None)

    def handler(signum, frame):
        name = signal.Signals(signum).name
        if settled:
            if log:
                log(f"{name} received after the verdict; finishing the reports")
            return
        if fired and _held["expired"] and _held["pending"] is not None:   # the create's reply did not come in time
            pending, _held["pending"] = _held["pending"], None
            raise Interrupted(pending)
        if fired:
            if log:
                log(f"{name} received again; still cleaning up")
            return
        fired.append(signum)
        if _held["depth"]:
            _held["pending"] = signum
            _held["timer"] = threading.Timer(HOLD, _expire, (signum, threading.main_thread().ident))
            _held["timer"].daemon = True
            _held["timer"].start()
            if log:
                log(f"{name} received while a create is on the wire: cleaning up once its reply is in "
                    f"(at most {HOLD:g}s)")
            return
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, handler) for sig in WATCHED}
    try:
        yield lambda: settled.append(True)
    finally:
        if _held.get("timer") is not None:
            _held["timer"].cancel()
        _held.clear()
        for sig, old in previous.items():
            # settled: ignored from here to the exit; a Python handler would be reset to the
            # default (death by the signal) while the interpreter shuts down, SIG_IGN is not
            signal.signal(sig, signal.SIG_IGN if settled else old)


def _expire(signum: int, main: int) -> None:
    _held["expired"] = True
    signal.pthread_kill(main, signum)   # the handler, in the main thread, raises where it is


@contextlib.contextmanager
def held() -> Iterator[None]:
    """A create and its recording: a first SIGINT/SIGTERM inside waits for the block's end
    (or ``HOLD`` s, then it is raised where the main thread is, the request counted as in
    flight as before) and is raised there. Outside ``interrupts_as_exceptions``: no effect."""
    if not _held:
        yield
        return
    _held["depth"] += 1
    try:
        yield
    finally:
        _held["depth"] -= 1
        if _held["depth"] == 0 and _held["pending"] is not None:
            if _held["timer"] is not None:
                _held["timer"].cancel()
            pending, _held["pending"] = _held["pending"], None
            raise Interrupted(pending)
