"""A job under test: jobs/create with streamtest's tags, run-now, its run followed and watched."""
from __future__ import annotations

import copy
from typing import Optional

from streamtest import failures, identity
from streamtest.databricks.runs import Run
from streamtest.databricks.workspace import NoCompute, has_compute
from streamtest.durations import format_duration
from streamtest.plan.model import Plan
from streamtest.poll import Deadline
from streamtest.signals import held
from streamtest.steps import Outcome, StepFailed
from streamtest.target import Base, follow

MIN_DEAD_MAN = 3600.0
STEP_ALLOWANCE = 300.0  # per step without a ``within``, for the dead-man estimate


def dead_man_seconds(plan: Plan) -> int:
    """A ``timeout_seconds`` generous enough for the whole plan, so only a vanished runner trips it."""
    total = plan.start_timeout + plan.cleanup.timeout + 1800
    for step in plan.all_steps():
        total += step.within or step.seconds or step.timeout or STEP_ALLOWANCE
    if plan.mode == "batch":
        total += plan.start_timeout * (len(plan.iterations) + 1)
    return int(max(MIN_DEAD_MAN, 2 * total))


def expires_epoch(plan: Plan, now: float) -> float:
    """When ``sweep`` may remove what a run started at ``now`` made (its job, its scratch
    schema): after the job's ``timeout_seconds`` (the plan's, or the dead man's), cleanup's
    timeout and ten minutes more."""
    return now + (plan.job.get("timeout_seconds") or dead_man_seconds(plan)) + plan.cleanup.timeout + 600


def job_settings(plan: Plan, now: float) -> dict:
    """The body for jobs/create: the plan's JobSettings plus streamtest's tags and, when the
    plan gives none, the dead-man ``timeout_seconds``. The plan itself is not changed."""
    settings = copy.deepcopy(plan.job)
    if not settings.get("timeout_seconds"):
        settings["timeout_seconds"] = dead_man_seconds(plan)
    settings["tags"] = {**(settings.get("tags") or {}), **identity.job_tags(plan.run_id, expires_epoch(plan, now))}
    return settings


class JobTarget(Base):
    kind = "job"
    job_id: Optional[int] = None
    run_id: Optional[int] = None

    def create(self) -> str:
        settings = job_settings(self.plan, self.clock())
        self.state.set(job_name=settings["name"], continuous=bool(settings.get("continuous")))
        try:
            with held():    # a signal now waits for the reply: cleanup then deletes the job by its id
                self.job_id = self.ws.create_job(settings, self.plan.run_id)
                self.state.set(job_id=self.job_id)
        except NoCompute as exc:
            bare = [repr(str(t.get("task_key"))) for t in settings.get("tasks") or [] if not has_compute(t)]
            tasks = f"job task {bare[0]} names" if len(bare) == 1 else f"job tasks {', '.join(bare)} name"
            raise exc.with_fix(f"{tasks} no compute (that means serverless), which this workspace does not have: "
                               "give each a job_cluster_key (with job_clusters), a new_cluster or an "
                               "existing_cluster_id, or enable serverless jobs compute") from None
        self.log(f"  job {self.job_id} '{settings['name']}' (timeout_seconds {settings['timeout_seconds']})")
        return f"job {self.job_id}"

    def start(self) -> str:
        continuous = (self.plan.job.get("continuous") or {})
        if continuous and continuous.get("pause_status", "UNPAUSED") == "UNPAUSED":
            self.run_id = self._find_continuous_run()
            self.state.set(job_run_id=self.run_id)
        else:
            with held():    # a signal now waits for the reply: cleanup then cancels the run by its id
                self.run_id = self.ws.run_now(self.job_id, identity.idempotency_token(self.plan.run_id, "start"))
                self.state.set(job_run_id=self.run_id)
        self._follow(until_running=True)
        return f"run {self.run_id}"

    def _find_continuous_run(self) -> int:
        """An unpaused continuous job starts its own run; find it (within start.timeout)."""
        def active() -> Optional[int]:
            found = self.ws.active_runs(self.job_id)
            return found[0] if found else None
        try:
            return self.poller.until(active, self.plan.start_timeout, what=f"continuous job {self.job_id} to start a run")
        except Deadline:
            raise StepFailed(Outcome(False, f"the continuous job started no run within "
                                     f"{format_duration(self.plan.start_timeout)}")) from None

    def run_batch(self, purpose: str) -> str:
        self.run_id = self.ws.run_now(self.job_id, identity.idempotency_token(self.plan.run_id, f"batch-{purpose}"))
        self.state.set(job_run_id=self.run_id)
        run = self._follow(until_running=False)
        if not run.succeeded:
            raise failures.RunEnded("the batch run did not succeed: " + failures.failure_details(self.ws, run), self.url)
        return f"run {self.run_id}"

    def _follow(self, until_running: bool) -> Run:
        """QUEUED/PENDING may last ``start.timeout``; a batch run that got going is then followed
        until it ends, bounded by the job's own ``timeout_seconds``."""
        def first(run: Run) -> None:
            if not self.url:
                self._show(run, f"run {self.run_id}")

        limit = self.plan.start_timeout
        return follow(lambda: self.ws.get_run(self.run_id), self.poller, self.clock, self.log, "run",
                      f"run {self.run_id}", until_running, limit, limit if until_running else limit + self.job_timeout(),
                      lambda run: failures.failure_details(self.ws, run), first)

    def job_timeout(self) -> int:
        return int(self.plan.job.get("timeout_seconds") or dead_man_seconds(self.plan))

    def watching(self) -> bool:
        return self.plan.mode == "stream" and self.run_id is not None

    def watch(self, force: bool = False) -> None:
        """Raise RunEnded at once if the streaming run is no longer RUNNING (at most 1 call/s)."""
        if not self._due(force):
            return
        run = self.ws.get_run(self.run_id)
        if not run.running:
            raise failures.RunEnded("the streaming run left RUNNING: " + failures.failure_details(self.ws, run), run.url)

    def kept(self) -> list[str]:
        return [f"job {self.job_id}"] if self.job_id else []

    def cancelled_note(self) -> str:
        return f" Run {self.run_id} was cancelled; its page stays: {self.url or 'see the job'}." if self.run_id else ""
