"""What a plan tests: a job (``job.JobTarget``) or a declarative pipeline
(``pipeline.PipelineTarget``), behind one small interface the runner calls.

The flow (runner.py, schedule.py) is the same for both; only these differ:
``create()`` makes the thing (its id in the state file the moment it exists),
``start()`` starts it in stream mode and waits until it is RUNNING, ``run_batch(purpose)``
runs it once to completion, ``watch(force)`` raises ``failures.RunEnded`` when the stream
is no longer RUNNING, ``url`` is the page of its current run or update, and ``kept()``
says what ``--keep-on-failure`` leaves. ``follow`` is the one wait both use.
"""
from __future__ import annotations

from typing import Callable, Protocol

from streamtest import failures
from streamtest.durations import format_duration
from streamtest.poll import Deadline, Poller
from streamtest.steps import Outcome, StepFailed


class Target(Protocol):
    kind: str                     # "job" | "pipeline"
    url: str                      # the current run's / update's page ('' before it starts)

    def create(self) -> str: ...
    def start(self) -> str: ...
    def run_batch(self, purpose: str) -> str: ...
    def watch(self, force: bool = False) -> None: ...
    def watching(self) -> bool: ...
    def kept(self) -> list[str]: ...


class Base:
    """What both targets hold, and the stream watch's pace (at most one call a second)."""

    def __init__(self, plan, ws, state, log: Callable[[str], None], poller: Poller, recorder,
                 clock: Callable[[], float]):
        self.plan, self.ws, self.state, self.log, self.poller = plan, ws, state, log, poller
        self.recorder, self.clock = recorder, clock
        self.url = ""
        self._last_watch = 0.0

    def _due(self, force: bool) -> bool:
        now = self.poller.clock()
        if not force and now - self._last_watch < 1.0:
            return False
        self._last_watch = now
        return True

    def _show(self, view, what: str) -> None:
        """The first page of a run or update: kept, recorded for the reports, logged."""
        self.url = view.url
        self.recorder.run_url = self.url
        self.recorder.run_label = "Job run" if self.kind == "job" else "Pipeline update"
        self.state.set(run_url=self.url)
        self.log(f"  {what}: {self.url}")


def for_plan(plan, ws, state, log, poller, recorder, clock) -> Target:
    """The target the plan names."""
    if plan.pipeline:
        from streamtest.target.pipeline import PipelineTarget
        return PipelineTarget(plan, ws, state, log, poller, recorder, clock)
    from streamtest.target.job import JobTarget
    return JobTarget(plan, ws, state, log, poller, recorder, clock)


def follow(fetch: Callable[[], object], poller: Poller, clock: Callable[[], float], log: Callable[[str], None],
           noun: str, ident: str, until_running: bool, limit: float, total: float,
           died: Callable[[object], str], on_first: Callable[[object], None]):
    """Poll ``fetch()`` (a ``Run`` or an ``Update``: ``line``, ``terminal``, ``running``,
    ``waiting``, ``url``), logging each state change with its elapsed time, until it is
    RUNNING (``until_running``) or ends. ``noun`` ("run", "update") is what messages call it,
    ``ident`` ("run 7") what the log lines and heartbeats call it. A waiting state may last ``limit`` (start.timeout);
    the whole wait ``total``. Ending before RUNNING raises ``failures.RunEnded`` with
    ``died(view)``; returns the last view."""
    start = clock()
    seen: list[str] = []
    current: list = []

    def pending_too_long() -> StepFailed:
        return StepFailed(Outcome(False, f"the {noun} was still {seen[-1] if seen else 'not started'} after "
                                  f"{format_duration(limit)} (start.timeout)",
                                  "RUNNING" if until_running else f"a finished {noun}",
                                  seen[-1] if seen else "", current[0].url if current else ""))

    def attempt():
        view = fetch()
        if not current:
            on_first(view)
        current[:] = [view]
        line = view.line()
        if not seen or seen[-1] != line:
            seen.append(line)
            log(f"  {ident} {line} (after {format_duration(clock() - start)})")
        if view.terminal:
            if until_running:
                raise failures.RunEnded(f"the {noun} ended before it was RUNNING: " + died(view), view.url)
            return view
        if until_running and view.running:
            return view
        if view.waiting and clock() - start > limit:
            raise pending_too_long()
        return None

    what = f"{ident} to be RUNNING" if until_running else f"batch {ident} to finish"
    try:
        return poller.until(attempt, total, what=what, last=lambda: seen[-1] if seen else "")
    except Deadline:
        if until_running:
            raise pending_too_long() from None
        raise StepFailed(Outcome(False, f"the batch {noun} did not finish within {format_duration(total)}",
                                 f"a finished {noun}", seen[-1] if seen else "",
                                 current[0].url if current else "")) from None
