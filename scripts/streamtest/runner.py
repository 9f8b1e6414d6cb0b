"""The test flow: deploy, create the job (or pipeline), start it, check, iterate, and always clean up.

stream mode: deploy → scratch namespace → before → create job → run-now → wait RUNNING
(start.timeout) → setup checks → per iteration: produce, validate → after → cleanup (stop
the run, wait for it to end, teardown steps, drop the scratch schema). While a step runs the
job's run is watched; if it leaves RUNNING the test fails at once with the reason.
batch mode: the job runs to completion after ``before`` and in every iteration between
``produce`` and ``validate``.

The steps come from one schedule (``schedule.build``), built once: it is announced to the
recorder up front (so unreached steps show as skipped), walked by the flow, and cut by
``--iterations N``.

What is under test, a job or a declarative pipeline, is a ``target`` (streamtest/target/):
the flow asks it to create, start, run a batch and watch, and never knows which it has.
"""
from __future__ import annotations

import contextlib
import time
import traceback
from typing import Callable, Iterator, Optional

from streamtest import failures, schedule, scratch, target
from streamtest.cleanup import Cleaner
from streamtest.client import ApiError
from streamtest.databricks.workspace import NoCompute, Unservable, Workspace, is_gone
from streamtest.durations import format_duration
from streamtest.log import Progress
from streamtest.plan.model import Plan
from streamtest.poll import Deadline, Poller
from streamtest.reports.records import ERROR, FAILED, PASSED, SKIPPED, Recorder, StepResult, explained
from streamtest.signals import Interrupted
from streamtest.state import State
from streamtest.steps import Outcome, StepFailed, StepRunner
from streamtest.target.job import dead_man_seconds, expires_epoch, job_settings  # noqa: F401 (the runner's public names)
from streamtest.transfer import deploy


class Runner:
    def __init__(self, plan: Plan, ws: Workspace, state: State, progress: Progress, poller: Poller,
                 recorder: Recorder, keep_on_failure: bool = False, clock: Callable[[], float] = time.time,
                 iterations: Optional[int] = None):
        self.plan, self.ws, self.state, self.log, self.poller = plan, ws, state, progress, poller
        self.recorder = recorder
        self.keep_on_failure = keep_on_failure
        self.clock = clock
        self.steps = StepRunner(ws, plan, state, progress, poller)
        self.target = target.for_plan(plan, ws, state, progress, poller, recorder, clock)
        self._torn_down: set[int] = set()     # teardown entries already started (cleanup may run twice)
        self._cleanup_deadline = float("inf")
        self.schedule = schedule.build(plan, iterations)
        self.slots = [self._announce(entry) for entry in self.schedule]

    def _announce(self, entry: schedule.Entry) -> StepResult:
        result = self.recorder.expect(entry.phase, entry.name)
        if entry.skipped:
            result.message = entry.skipped
        return result

    # -- the flow -----------------------------------------------------------------------
    def run(self) -> str:
        """Run the whole test; returns the verdict (passed | failed | error). Always cleans up."""
        interrupted: Optional[Interrupted] = None
        try:
            try:
                self._walk(schedule.MAIN)
            except (StepFailed, ApiError, Deadline):
                pass  # already recorded on its step
            except Interrupted as exc:
                interrupted = exc
                self.log(f"{exc}: cleaning up")
            except Exception:  # a bug must still leave nothing behind
                self.log(traceback.format_exc())
            if interrupted is None:
                self._walk(schedule.AFTER)
        except Interrupted as exc:
            interrupted = interrupted or exc
            self.log(f"{exc}: cleaning up")
        finally:
            if interrupted is not None:   # a signal between a step's start and its try: cancelled all the same
                for result in [r for r in self.recorder.results if r.outcome == "running"]:
                    self._end(result, FAILED, Outcome(False, f"cancelled: {interrupted}"))
            # a failed check may keep what it ran on for debugging; a cancelled test never does
            self._cleanup(keep=self.keep_on_failure and interrupted is None and self.recorder.verdict() == FAILED)
            if interrupted is not None and interrupted.in_flight:
                self.state.set(cleaned=False)
                self.log(f"{interrupted.in_flight} was in flight when interrupted and may still land: "
                         f"`streamtest cleanup --state {self.state.path or 'PATH'}` (the action's always() step) looks again")
            if interrupted is not None and self.recorder.verdict() == PASSED:
                self.recorder.record("cleanup", "interrupted", FAILED, f"cancelled: {interrupted}")
        return self.recorder.verdict()

    def _walk(self, stage: str) -> None:
        """Run the schedule's entries of one stage, each log section in its own fold: the
        main steps (the first failure stops them), or the ``after`` or ``teardown`` steps
        (each runs even when one before it failed). Teardown steps run once each, and not
        past the cleanup deadline (``cleanup.timeout`` from the start of cleanup)."""
        with contextlib.ExitStack() as fold:
            section = None
            for index, entry in enumerate(self.schedule):
                if entry.stage != stage or entry.skipped or index in self._torn_down:
                    continue
                if stage == schedule.TEARDOWN:
                    if self.clock() >= self._cleanup_deadline:
                        self.slots[index].message = "not run: cleanup.timeout was reached"
                        continue
                    self._torn_down.add(index)
                if entry.section != section:
                    fold.close()
                    fold.enter_context(self.log.phase(entry.section))
                    section = entry.section
                try:
                    self._perform(index, entry)
                except Exception as exc:
                    if stage == schedule.MAIN:
                        raise
                    if not isinstance(exc, (StepFailed, ApiError, Deadline)):  # not recorded on its step
                        self.log(traceback.format_exc())

    def _perform(self, index: int, entry: schedule.Entry) -> None:
        if entry.action == schedule.STEP:
            self._plan_step(index, entry)
            return
        with self._step(index) as result:
            if entry.action == schedule.WARM:
                result.message = self._warm_compute()
            elif entry.action == schedule.DEPLOY:
                count = deploy(self.ws, self.plan.deploy.files, self.plan.deploy.to, self.state, self.log)
                result.message = f"{count} object(s) imported into {self.plan.deploy.to}"
            elif entry.action == schedule.SCRATCH:
                result.message = scratch.create(self.ws, self.plan.scratch, self.state, self.plan.run_id, self.log,
                                                expires_epoch(self.plan, self.clock()))
            elif entry.action == schedule.CREATE:
                result.message = self.target.create()
            elif entry.action == schedule.START and self.plan.mode == "stream":
                result.message, result.link = self.target.start(), self.target.url
            else:  # the batch run or update: once in setup (START), once per iteration (BATCH)
                purpose = "setup" if entry.action == schedule.START else f"step-{index}"
                result.message, result.link = self.target.run_batch(purpose), self.target.url

    def _warm_compute(self) -> str:
        """Start the warehouse and clusters of ``schedule.warm_targets`` now, so they warm while
        the job's cluster starts instead of one after the other (each takes minutes when
        cold). Only a head start: a start that is refused (no permission, already running, an
        emulator without the API) changes nothing, their first use starts them. One that the
        workspace says does not exist ends the test here, before anything is created."""
        said = []
        for kind, ident in schedule.warm_targets(self.plan):
            start = self.ws.start_warehouse if kind == "warehouse" else self.ws.start_cluster
            try:
                start(ident)
                said.append(f"{kind} {ident} starting")
            except ApiError as exc:
                if is_gone(exc) and exc.error_code != "ENDPOINT_NOT_FOUND":
                    setting = "compute.warehouse_id" if kind == "warehouse" else "compute.cluster_id / existing_cluster_id"
                    raise NoCompute(exc.error_code, f"{kind} {ident} does not exist in this workspace: check {setting} "
                                    f"({exc.message})", exc.status, exc.endpoint) from None
                said.append(f"{kind} {ident} not started ahead ({exc.error_code}): its first use starts it")
        self.log("  " + "; ".join(said))
        return "; ".join(said)

    def _cleanup(self, keep: bool) -> None:
        """Remove what the run created; ``keep`` leaves the job, the deployed folder and the
        scratch schema (and runs no teardown steps: they would remove what is kept)."""
        self._cleanup_deadline = self.clock() + self.plan.cleanup.timeout
        with self.log.phase("cleanup"):
            def record(name: str, started: float, duration: float, ok: bool, message: str) -> None:
                self.recorder.record("cleanup", name, PASSED if ok else ERROR, message, started=started,
                                     duration=duration)

            def cleaner(keep: bool) -> Cleaner:
                return Cleaner(self.ws, self.state, self.log, self.poller, on_action=record, clock=self.clock,
                               keep=keep, teardown=None if keep else self._teardown)

            try:
                try:
                    cleaner(keep).run()
                except Interrupted as exc:  # the first signal came during cleanup: finish it, keeping nothing
                    self.log(f"{exc} during cleanup; finishing cleanup")
                    keep = False
                    cleaner(keep).run()
            except Exception as exc:  # never let cleanup mask the verdict; the always() step retries
                self.log(f"cleanup failed: {exc}")
                self.recorder.record("cleanup", "cleanup", ERROR, f"cleanup failed: {exc}")
        if keep:
            self._announce_kept()  # outside the cleanup fold, so it is seen

    def _teardown(self, ended: bool) -> None:
        """The plan's teardown steps, called by the Cleaner after the job's run was stopped
        and before the scratch schema is dropped; a failed step is recorded, never raised.
        They do not run while the run may still be writing (``ended`` false), when nothing
        was created, nor, with a ``scratch:`` section, when this run did not create the
        scratch schema (``${scratch.*}`` would name a schema not ours)."""
        blocker = ""
        if not ended:
            blocker = "not run: the job's run did not end within cleanup.timeout"
        elif self.plan.scratch and not (self.state.get("scratch") or {}).get("created"):
            blocker = "not run: this run created no scratch schema"
        elif not any(self.state.get(key) for key in ("deployed", "job_name", "pipeline_name", "scratch")):
            blocker = "not run: nothing was created"
        if blocker:
            self._skip_teardown(blocker)
            return
        self._walk(schedule.TEARDOWN)

    def _skip_teardown(self, why: str) -> None:
        """Teardown steps that will not run say why in the reports (instead of 'not reached')."""
        for index, entry in enumerate(self.schedule):
            if entry.stage == schedule.TEARDOWN and index not in self._torn_down:
                self.slots[index].message = why

    def _announce_kept(self) -> None:
        """Say what was kept, until when, and the one command that removes it."""
        kept = self.target.kept()
        if self.state.get("deployed"):
            kept.append(f"deployed folder {self.state.get('deployed')['path']}")
        if (self.state.get("scratch") or {}).get("created"):
            kept.append(f"scratch schema {self.state.get('scratch')['schema']} (with its tables and volumes)")
        self._skip_teardown("not run: kept for debugging (--keep-on-failure)")
        if not kept:
            return
        message = f"kept for debugging (--keep-on-failure): {', '.join(kept)}."
        message += self.target.cancelled_note()
        message += f" Remove them with: streamtest cleanup --state {self.state.path or 'PATH'}"
        self.log(message)
        self.recorder.record("cleanup", f"keep {self.target.kind} and notebooks (keep-on-failure)", SKIPPED, message,
                             link=self.target.url)

    # -- steps --------------------------------------------------------------------------
    @contextlib.contextmanager
    def _step(self, index: int) -> Iterator[StepResult]:
        """Record one step: passed unless it raises; failures stop the flow (re-raised)."""
        result = self.recorder.begin(self.slots[index])
        self.log(f"{result.name}")
        try:
            yield result
        except StepFailed as exc:
            outcome = exc.args[0] if exc.args and isinstance(exc.args[0], Outcome) else Outcome(False, str(exc))
            self._end(result, FAILED, outcome)
            raise
        except failures.RunEnded as exc:
            self._end(result, FAILED, Outcome(False, str(exc), link=exc.url))
            raise StepFailed(str(exc)) from None
        except Interrupted as exc:
            self._end(result, FAILED, Outcome(False, f"cancelled: {exc}", link=self.target.url))
            raise
        except Unservable as exc:  # a plan setting the workspace cannot serve: the fix, nothing else
            self._end(result, ERROR, Outcome(False, exc.message))
            raise
        except ApiError as exc:
            self._end(result, ERROR, Outcome(False, f"workspace error: {exc}", link=self.target.url))
            raise
        except Exception as exc:
            self._end(result, ERROR, Outcome(False, f"{type(exc).__name__}: {exc}"))
            raise
        else:
            self.recorder.end(result, PASSED, result.message, expected=result.expected,
                              last_seen=result.last_seen, link=result.link)
            self.log(f"  passed in {format_duration(result.duration)}" +
                     (f": {result.message}" if result.message else ""))

    def _end(self, result: StepResult, outcome: str, detail: Outcome) -> None:
        """A failed step carries the run page: its own run's, else the job's run (the pipeline's update)."""
        link = detail.link or self.target.url
        self.recorder.end(result, outcome, detail.message, expected=detail.expected,
                          last_seen=detail.seen, link=link)
        self.log(f"  {outcome.upper()} after {format_duration(result.duration)}: "
                 f"{explained(detail.message, detail.expected, detail.seen)}")
        if link:
            self.log(f"    {link}")

    def _plan_step(self, index: int, entry: schedule.Entry) -> None:
        with self._step(index) as result:
            watcher = self.target.watch if entry.watch and self.target.watching() else None
            if watcher:
                watcher(force=True)
            outcome = self.steps.run(entry.step, watcher)
            if not outcome.ok:
                raise StepFailed(outcome)
            result.message, result.expected, result.last_seen = outcome.message, outcome.expected, outcome.seen
            result.link = outcome.link
