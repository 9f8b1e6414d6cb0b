"""Jobs, runs and the run life cycle, without HTTP.

Each run gets one driver thread that walks it through the states a real run shows:
QUEUED (only when ``max_concurrent_runs`` is reached and the job queues), PENDING
("Waiting for cluster", for ``pending`` seconds: the start-up of the compute the run asked
for; see ``_pending_for``), RUNNING (tasks run in dependency order through the engine),
TERMINATING, TERMINATED with a ``result_state``.
Each started notebook gets a watcher thread that blocks on the engine's handle. Cancel,
timeout and job deletion set the run's ``stop`` event and cancel the handles at once, so a
run ends within the engine's 2-second promise; nothing polls in a tight loop.
"""
from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from localspace.clusters.models import SPARK_VERSION
from localspace.engine.base import NotebookResult, NotebookTask
from localspace.engine.context import ORG_ID, RunContext
from localspace.errors import InvalidParameterValue, InvalidState, JobDoesNotExist
from localspace.jobs.settings import JobRules, merge_update, single_task

TERMINAL = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")
CANCEL_GRACE = 10.0        # after this long, a notebook that ignores cancel is marked CANCELED anyway
CONTINUOUS_RESTART = 1.0   # a cancelled continuous run comes back (Databricks: within a minute)
USER = "localspace-user@example.com"


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Job:
    job_id: int
    settings: dict
    created_time: int
    creator: str

    def to_dict(self, with_tasks: bool = True) -> dict:
        settings = self.settings if with_tasks else {
            k: v for k, v in self.settings.items() if k not in ("tasks", "job_clusters", "environments")}
        return {"job_id": self.job_id, "creator_user_name": self.creator, "run_as_user_name": self.creator,
                "created_time": self.created_time, "settings": settings}


@dataclass
class TaskRun:
    run_id: int
    spec: dict
    parent: "Run"
    parameters: dict[str, str] = field(default_factory=dict)
    life: str = "PENDING"
    result: Optional[str] = None
    message: str = ""
    start_time: int = 0
    end_time: int = 0
    output: Optional[NotebookResult] = None
    handle: Any = None
    cancel_requested_at: Optional[float] = None

    @property
    def key(self) -> str:
        return self.spec["task_key"]

    @property
    def depends_on(self) -> list[str]:
        return [d["task_key"] for d in self.spec.get("depends_on") or []]

    def url(self, base: str) -> str:
        return f"{base}/jobs/{self.parent.job_id}/runs/{self.run_id}"

    def to_dict(self, base: str) -> dict:
        out = {k: v for k, v in self.spec.items() if k not in ("email_notifications",)}
        if "notebook_task" in out:
            out["notebook_task"] = {**out["notebook_task"], "base_parameters": dict(self.parameters)}
        out.update({
            "run_id": self.run_id, "task_key": self.key, "attempt_number": 0,
            "state": _state(self.life, self.result, self.message, self.parent.user_stopped),
            "status": _status(self.life, self.result, self.message, None),
            "start_time": self.start_time, "end_time": self.end_time,
            "setup_duration": 0, "cleanup_duration": 0,
            "execution_duration": max(0, (self.end_time or now_ms()) - self.start_time) if self.start_time else 0,
            "run_page_url": self.url(base),
        })
        return out


@dataclass
class Run:
    run_id: int
    job_id: int
    run_type: str                       # JOB_RUN | SUBMIT_RUN
    run_name: str
    settings: dict                      # what was run: tasks, timeout_seconds, job_clusters, queue ...
    job_parameters: list[dict] = field(default_factory=list)
    overriding: dict = field(default_factory=dict)
    trigger: str = "ONE_TIME"
    tasks: list[TaskRun] = field(default_factory=list)
    life: str = "QUEUED"
    result: Optional[str] = None
    message: str = ""
    termination: Optional[tuple[str, str, str]] = None   # (code, type, message)
    queue_reason: Optional[str] = None
    start_time: int = field(default_factory=now_ms)
    admitted_time: int = 0
    running_time: int = 0
    end_time: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    stop_reason: Optional[str] = None   # USER | TIMEOUT | DELETED | SERVER
    fail_message: Optional[str] = None  # fault: the run fails without running
    stuck_pending: bool = False         # fault: the cluster never comes up
    job_deleted: bool = False           # its job was deleted: the run is gone for every reader
    task_values: dict[str, dict] = field(default_factory=dict)  # dbutils.jobs.taskValues, by task key
    creator: str = USER

    @property
    def done(self) -> bool:
        return self.life in TERMINAL

    @property
    def user_stopped(self) -> bool:
        return self.result in ("CANCELED", "TIMEDOUT")

    def url(self, base: str) -> str:
        return f"{base}/jobs/{self.job_id}/runs/{self.run_id}"

    def to_dict(self, base: str, with_tasks: bool = True) -> dict:
        end = self.end_time or now_ms()
        queue = (self.admitted_time or end) - self.start_time
        setup = ((self.running_time or end) - self.admitted_time) if self.admitted_time else 0
        execution = (end - self.running_time) if self.running_time else 0
        out = {
            "job_id": self.job_id, "run_id": self.run_id, "number_in_job": self.run_id,
            "original_attempt_run_id": self.run_id, "attempt_number": 0,
            "creator_user_name": self.creator, "run_name": self.run_name, "run_type": self.run_type,
            "format": "MULTI_TASK", "trigger": self.trigger,
            "state": _state(self.life, self.result, self.message, self.user_stopped),
            "status": _status(self.life, self.result, self.message, self.termination, queue=self.queue_reason),
            "start_time": self.start_time, "end_time": self.end_time,
            "queue_duration": max(0, queue), "setup_duration": max(0, setup),
            "execution_duration": max(0, execution), "cleanup_duration": 0,
            "run_duration": max(0, end - self.start_time),
            "run_page_url": self.url(base), "has_more": False,
        }
        for name in ("job_clusters", "environments", "git_source"):
            if self.settings.get(name):
                out[name] = self.settings[name]
        if self.job_parameters:
            out["job_parameters"] = self.job_parameters
        if self.overriding:
            out["overriding_parameters"] = self.overriding
        if with_tasks:
            out["tasks"] = [t.to_dict(base) for t in self.tasks]
        return out


def _state(life: str, result: Optional[str], message: str, stopped: bool) -> dict:
    state = {"life_cycle_state": life, "state_message": message, "user_cancelled_or_timedout": stopped}
    if result is not None:
        state["result_state"] = result
    return state


def _status(life: str, result: Optional[str], message: str, termination: Optional[tuple],
            queue: Optional[str] = None) -> dict:
    state = {"SKIPPED": "TERMINATED", "INTERNAL_ERROR": "TERMINATED"}.get(life, life)
    status: dict[str, Any] = {"state": state}
    if queue and life == "QUEUED":
        status["queue_details"] = {"code": "MAX_CONCURRENT_RUNS_REACHED", "message": queue}
    if life in TERMINAL:
        code, kind, text = termination or _termination_for(result, message)
        status["termination_details"] = {"code": code, "type": kind, "message": text}
    return status


def _termination_for(result: Optional[str], message: str) -> tuple[str, str, str]:
    return {
        "SUCCESS": ("SUCCESS", "SUCCESS", message),
        "CANCELED": ("USER_CANCELED", "SUCCESS", message),
        "TIMEDOUT": ("CANCELED", "CLIENT_ERROR", message),
        "MAXIMUM_CONCURRENT_RUNS_REACHED": ("MAX_CONCURRENT_RUNS_EXCEEDED", "CLIENT_ERROR", message),
        "UPSTREAM_FAILED": ("SKIPPED", "CLIENT_ERROR", message),
        "UPSTREAM_CANCELED": ("SKIPPED", "SUCCESS", message),
    }.get(result or "", ("RUN_EXECUTION_ERROR", "CLIENT_ERROR", message))


_DYNAMIC = re.compile(r"\{\{\s*([\w.]+(?:`[^`]*`)?)\s*\}\}")


def _resolve_refs(value: str, run: Run, task: TaskRun, job_params: dict[str, str], base_url: str = "") -> str:
    """Dynamic value references in task parameters ({{job.id}}, {{task.run_id}}, ...), as listed
    in https://docs.databricks.com/aws/en/jobs/dynamic-value-references (the older
    {{job_id}}-style variables too)."""
    known = {"job.id": str(run.job_id), "job_id": str(run.job_id), "job.run_id": str(run.run_id),
             "parent_run_id": str(run.run_id), "run_id": str(task.run_id), "task.run_id": str(task.run_id),
             "task.name": task.key, "task_key": task.key, "job.name": run.run_name,
             "job.trigger.type": run.trigger.lower(), "job.repair_count": "0", "task.execution_count": "1",
             "workspace.id": ORG_ID, "workspace.url": base_url,
             "start_date": time.strftime("%Y-%m-%d", time.gmtime(run.start_time / 1000)),
             "start_time": str(run.start_time)}
    for prefix in ("job.start_time", "job.trigger.time"):  # a triggered run starts when triggered
        known.update({f"{prefix}.{k}": v for k, v in _time_arguments(run.start_time).items()})

    def sub(match: re.Match) -> str:
        return known.get(match.group(1), match.group(0))
    for name, val in job_params.items():  # a job parameter's default may hold references too
        known[f"job.parameters.{name}"] = known[f"job.parameters.`{name}`"] = _DYNAMIC.sub(sub, str(val))
    return _DYNAMIC.sub(sub, value)


def _time_arguments(epoch_ms: int) -> dict[str, str]:
    """The arguments of {{job.start_time.<argument>}}, in UTC."""
    moment = time.gmtime(epoch_ms / 1000)
    weekday = moment.tm_wday + 1          # ISO: Monday 1 ... Sunday 7
    return {"iso_weekday": str(weekday), "is_weekday": "true" if weekday <= 5 else "false",
            "iso_date": time.strftime("%Y-%m-%d", moment),
            "iso_datetime": time.strftime("%Y-%m-%dT%H:%M:%S", moment),
            "year": str(moment.tm_year), "month": str(moment.tm_mon), "day": str(moment.tm_mday),
            "hour": str(moment.tm_hour), "minute": str(moment.tm_min), "second": str(moment.tm_sec),
            "timestamp_ms": str(epoch_ms)}


_TASK_VALUE = re.compile(r"\{\{\s*tasks\.([\w-]+)\.values\.([\w-]+)\s*\}\}")


def _resolve_task_values(value: str, run: Run) -> str:
    """{{tasks.<task_key>.values.<key>}}: known only once the upstream task has run, so resolved
    as a task starts (Databricks docs, "Reference task values"); a string value as it is,
    anything else as JSON; a value never set stays as written, like unknown references."""
    def sub(match: re.Match) -> str:
        values = run.task_values.get(match.group(1), {})
        if match.group(2) not in values:
            return match.group(0)
        found = values[match.group(2)]
        return found if isinstance(found, str) else json.dumps(found)
    return _TASK_VALUE.sub(sub, value)


class JobsModel:
    def __init__(self, engine, workspace, base_url: str, pending: float, rules: JobRules):
        self.engine = engine
        self.workspace = workspace
        self.base_url = base_url
        self.pending = pending
        self.rules = rules
        # Issues a notebook run's own API token (the server's OAuth model), None: no token.
        self.run_token: Optional[Callable[[str], str]] = None
        self._jobs: dict[int, Job] = {}
        self._runs: dict[int, Run] = {}
        self._task_runs: dict[int, TaskRun] = {}
        self._idempotency: dict[str, int] = {}
        self._job_ids = itertools.count(101)
        self._run_ids = itertools.count(700001)
        self._cond = threading.Condition(threading.RLock())
        self._threads: set[threading.Thread] = set()
        self._stopping = threading.Event()

    # -- jobs ---------------------------------------------------------------------------------

    def create_job(self, settings: dict, api_version: str, creator: str = USER) -> Job:
        settings = self.rules.check(settings, api_version)
        with self._cond:
            job = Job(next(self._job_ids), settings, now_ms(), creator)
            self._jobs[job.job_id] = job
        self._continuous(job.job_id)
        return job

    def job(self, job_id: int) -> Job:
        with self._cond:
            job = self._jobs.get(job_id)
        if job is None:
            raise JobDoesNotExist(f"Job {job_id} does not exist.")
        return job

    def list_jobs(self, name: Optional[str]) -> list[Job]:
        with self._cond:
            jobs = sorted(self._jobs.values(), key=lambda j: j.job_id, reverse=True)
        if name is not None:
            jobs = [j for j in jobs if j.settings.get("name", "").casefold() == name.casefold()]
        return jobs

    def update_job(self, job_id: int, new_settings: Optional[dict], fields_to_remove: Optional[list],
                   api_version: str) -> None:
        with self._cond:
            job = self.job(job_id)
            job.settings = self.rules.check(merge_update(job.settings, new_settings, fields_to_remove), api_version)
        self._continuous(job_id)

    def reset_job(self, job_id: int, new_settings: dict, api_version: str) -> None:
        with self._cond:
            job = self.job(job_id)
            job.settings = self.rules.check(new_settings, api_version)
        self._continuous(job_id)

    def delete_job(self, job_id: int) -> None:
        """The job goes at once, and its runs with it (runs/get answers "Run: N in job: M doesn't
        exist"); active runs are cancelled in the background."""
        with self._cond:
            self.job(job_id)
            del self._jobs[job_id]
            runs = [r for r in self._runs.values() if r.job_id == job_id]
            for run in runs:
                run.job_deleted = True
            active = [r for r in runs if not r.done]
        for run in active:
            self._request_stop(run, "DELETED")

    # -- starting runs -------------------------------------------------------------------------

    def run_now(self, job_id: int, *, idempotency_token: Optional[str] = None,
                job_parameters: Optional[dict] = None, notebook_params: Optional[dict] = None,
                faults: Optional[dict] = None) -> Run:
        with self._cond:
            existing = self._idempotent(idempotency_token)
            if existing:
                return existing
            job = self.job(job_id)
            if not job.settings.get("tasks"):
                raise InvalidParameterValue(f"Job {job_id} has no tasks to run.")
            defaults = {p["name"]: p["default"] for p in job.settings.get("parameters") or []}
            unknown = set(job_parameters or {}) - set(defaults)
            if unknown:
                raise InvalidParameterValue(f"Job {job_id} has no parameters named {sorted(unknown)}.")
            values = {**defaults, **(job_parameters or {})}
            overriding = {}
            if job_parameters:
                overriding["job_parameters"] = dict(job_parameters)
            if notebook_params:
                overriding["notebook_params"] = dict(notebook_params)
            run = Run(run_id=next(self._run_ids), job_id=job_id, run_type="JOB_RUN",
                      run_name=job.settings.get("name", "Untitled"), settings=job.settings,
                      job_parameters=[{"name": n, "default": defaults[n], "value": values[n]} for n in defaults],
                      overriding=overriding)
            return self._launch(run, values, notebook_params or {}, idempotency_token, faults)

    def submit(self, body: dict, faults: Optional[dict] = None) -> Run:
        body = single_task(body)
        settings = {"name": body.get("run_name") or "Untitled", "tasks": body.get("tasks"),
                    "timeout_seconds": body.get("timeout_seconds") or 0, "tags": body.get("tags") or {},
                    "max_concurrent_runs": 0}
        if body.get("environments") is not None:
            settings["environments"] = body["environments"]
        settings = self.rules.check(settings, "2.1")  # a SubmitTask is a Task of a one-time job
        with self._cond:
            existing = self._idempotent(body.get("idempotency_token"))
            if existing:
                return existing
            run = Run(run_id=next(self._run_ids), job_id=next(self._job_ids), run_type="SUBMIT_RUN",
                      run_name=settings["name"], settings=settings)
            return self._launch(run, {}, {}, body.get("idempotency_token"), faults)

    def _idempotent(self, token: Optional[str]) -> Optional[Run]:
        if token is None:
            return None
        if not isinstance(token, str) or len(token) > 64:
            raise InvalidParameterValue("idempotency_token must be a string of at most 64 characters.")
        run_id = self._idempotency.get(token)
        if run_id is None:
            return None
        run = self._runs.get(run_id)
        if run is None or run.job_deleted:
            raise InvalidParameterValue(f"The run {run_id} started with idempotency token {token} has been "
                                        "deleted; use a new idempotency token to start a new run.")
        return run

    def _launch(self, run: Run, job_values: dict, notebook_params: dict, token: Optional[str],
                faults: Optional[dict]) -> Run:
        faults = faults or {}
        run.fail_message = faults.get("fail_run")
        run.stuck_pending = bool(faults.get("stuck_pending"))
        for spec in run.settings["tasks"]:
            task = TaskRun(run_id=next(self._run_ids), spec=spec, parent=run)
            params = dict((spec.get("notebook_task") or {}).get("base_parameters") or {})
            params.update(job_values)          # job parameters are pushed down and win
            params.update(notebook_params)
            task.parameters = {k: _resolve_refs(str(v), run, task, job_values, self.base_url)
                               for k, v in params.items()}
            run.tasks.append(task)
            self._task_runs[task.run_id] = task
        self._runs[run.run_id] = run
        self._gate(run)
        if token is not None:
            self._idempotency[token] = run.run_id
        self._spawn(self._drive, run, name=f"localspace-run-{run.run_id}")
        return run

    def _spawn(self, target, *args, name: str) -> None:
        thread = threading.Thread(target=self._tracked, args=(target, *args), name=name, daemon=True)
        with self._cond:
            self._threads.add(thread)
        thread.start()

    def _tracked(self, target, *args) -> None:
        try:
            target(*args)
        finally:
            with self._cond:
                self._threads.discard(threading.current_thread())
                self._cond.notify_all()

    # -- the life cycle --------------------------------------------------------------------------

    def _deadline(self, run: Run) -> Optional[float]:
        timeout = run.settings.get("timeout_seconds") or 0
        return run.start_time / 1000 + timeout if timeout > 0 else None

    def _wait_stop(self, run: Run, seconds: Optional[float]) -> bool:
        """Wait up to ``seconds`` (None: forever) or until the run must stop or times out."""
        deadline = self._deadline(run)
        if deadline is not None:
            left = deadline - time.time()
            if left <= 0:
                run.stop_reason = run.stop_reason or "TIMEOUT"
                return True
            seconds = left if seconds is None else min(seconds, left)
        if run.stop.wait(seconds):
            return True
        if deadline is not None and time.time() >= deadline:
            run.stop_reason = run.stop_reason or "TIMEOUT"
            run.stop.set()
            return True
        return False

    def _drive(self, run: Run) -> None:
        try:
            if not self._admit(run):
                return
            if self._wait_stop(run, self._pending_for(run)):
                return self._finish(run)
            with self._cond:
                run.running_time = now_ms()
                run.life, run.message = "RUNNING", "In run"
                self._cond.notify_all()
            self._run_tasks(run)
            self._finish(run)
        except Exception as exc:  # an engine or emulator bug must still end the run
            with self._cond:
                run.life, run.result = "INTERNAL_ERROR", "FAILED"
                run.message = f"localspace internal error: {type(exc).__name__}: {exc}"
                run.termination = ("INTERNAL_ERROR", "INTERNAL_ERROR", run.message)
                run.end_time = now_ms()
                self._cond.notify_all()
            self._cancel_handles(run)
        finally:
            self._after_run(run)

    def _pending_for(self, run: Run) -> Optional[float]:
        """How long the run waits for its compute (None: until stopped, the stuck fault).

        As on Databricks: job clusters, new clusters and serverless start for the run, which
        is what ``pending`` stands for; an ``existing_cluster_id`` (an all-purpose cluster)
        is started if it is terminated, and the run waits until it is RUNNING."""
        if run.stuck_pending:
            return None
        existing = {task.spec["existing_cluster_id"] for task in run.tasks if task.spec.get("existing_cluster_id")}
        waits = [self.rules.clusters.seconds_to_running(cluster_id) for cluster_id in sorted(existing)]
        if len(existing) < len(run.tasks):
            waits.append(self.pending)
        return max(waits, default=0.0)

    def _admit(self, run: Run) -> bool:
        """Wait while the run is QUEUED; False when it was SKIPPED or stopped in the queue."""
        with self._cond:
            while not run.admitted_time:
                if run.life == "SKIPPED":
                    return False
                if run.stop.is_set():
                    self._finish(run)
                    return False
                self._cond.wait(0.5)
                self._gate(run)
            return True

    def _gate(self, run: Run) -> None:
        """With the lock held: admit the run (PENDING), or mark it QUEUED while its job is at
        max_concurrent_runs, or SKIPPED when the job does not queue. Decided when the run is
        created too, so the first get-run already shows the state Databricks would."""
        limit = run.settings.get("max_concurrent_runs", 1)
        if run.run_type != "JOB_RUN" or self._admitted(run.job_id, run) < limit:
            run.admitted_time = now_ms()
            run.life, run.message = "PENDING", "Waiting for cluster"
        elif limit == 0 or not (run.settings.get("queue") or {}).get("enabled"):
            run.life, run.result = "SKIPPED", "MAXIMUM_CONCURRENT_RUNS_REACHED"
            run.message = (f"Skipping this run because the limit of {limit} maximum concurrent "
                           "runs has been reached.")
            run.end_time = now_ms()
        else:
            run.queue_reason = f"Queued due to reaching maximum concurrent runs of {limit}."
            run.life, run.message = "QUEUED", run.queue_reason
        self._cond.notify_all()

    def _admitted(self, job_id: int, me: Run) -> int:
        return sum(1 for r in self._runs.values()
                   if r.job_id == job_id and r is not me and r.admitted_time and not r.done)

    def _run_tasks(self, run: Run) -> None:
        """Start tasks whose dependencies are done, until none is left to run or wait for."""
        while True:
            with self._cond:
                to_start = self._next_tasks(run)
            for task in to_start:
                self._start_task(run, task)
            with self._cond:
                if self._stop_due(run):
                    run.stop.set()
                running = [t for t in run.tasks if t.life == "RUNNING"]
                waiting = [t for t in run.tasks if t.life == "PENDING"]
                if not running and not waiting:
                    return
                if not running and not any(self._ready(run, t) for t in waiting):
                    return  # cannot happen with an acyclic graph; never spin
                if not any(self._ready(run, t) for t in waiting) and not run.stop.is_set():
                    self._cond.wait(self._wait_time(run))
                elif run.stop.is_set() and running:
                    self._cond.wait(0.5)
            if run.stop.is_set():
                self._cancel_handles(run)

    def _next_tasks(self, run: Run) -> list[TaskRun]:
        """With the lock held: mark ready tasks RUNNING (to start) or skipped (upstream failed)."""
        ready = []
        for task in run.tasks:
            if task.life != "PENDING" or not self._ready(run, task):
                continue
            bad = [d for d in run.tasks if d.key in task.depends_on and d.result != "SUCCESS"]
            if run.stop.is_set() or (bad and task.spec.get("run_if", "ALL_SUCCESS") == "ALL_SUCCESS"):
                canceled = run.stop.is_set() or any(d.result in ("CANCELED", "UPSTREAM_CANCELED") for d in bad)
                task.life = "SKIPPED" if run.stop.is_set() else "TERMINATED"
                task.result = "UPSTREAM_CANCELED" if canceled else "UPSTREAM_FAILED"
                task.message = "Upstream task was cancelled." if canceled else "Upstream task failed."
                task.start_time = task.end_time = now_ms()
                continue
            task.start_time = now_ms()
            task.life, task.message = "RUNNING", "In run"
            ready.append(task)
        self._cond.notify_all()
        return ready

    def _ready(self, run: Run, task: TaskRun) -> bool:
        return all(_task_done(t) for t in run.tasks if t.key in task.depends_on)

    def _stop_due(self, run: Run) -> bool:
        deadline = self._deadline(run)
        if deadline is not None and time.time() >= deadline and not run.stop.is_set():
            run.stop_reason = run.stop_reason or "TIMEOUT"
            return True
        return False

    def _wait_time(self, run: Run) -> float:
        deadline = self._deadline(run)
        return 1.0 if deadline is None else max(0.01, min(1.0, deadline - time.time()))

    def _start_task(self, run: Run, task: TaskRun) -> None:
        """Outside the lock: the engine may take a moment to start a notebook."""
        if run.fail_message is not None:
            return self._end_task(task, NotebookResult("FAILED", error=run.fail_message,
                                                       error_trace=run.fail_message))
        notebook = task.spec.get("notebook_task")
        if not isinstance(notebook, dict):
            kind = next((k for k in task.spec if k.endswith("_task")), "unknown")
            return self._end_task(task, NotebookResult(
                "FAILED", error=f"localspace runs notebook_task only; task {task.key} is a {kind}."))
        path = notebook["notebook_path"]
        try:
            self.workspace.read_notebook(path)
        except KeyError:
            return self._end_task(task, NotebookResult("FAILED", error=f"Notebook not found: {path}"),
                                  message=f"Notebook not found: {path}")
        if self.engine is None:
            return self._end_task(task, NotebookResult("FAILED", error="localspace has no engine to run notebooks."))
        task.parameters = {k: _resolve_task_values(v, run) for k, v in task.parameters.items()}
        compute = _compute(run, task.spec)
        context = RunContext(job_id=run.job_id, job_run_id=run.run_id, run_id=task.run_id,
                             job_name=run.run_name, task_key=task.key, api_url=self.base_url,
                             api_token=self.run_token(run.creator) if self.run_token else "",
                             user=run.creator, **compute.pop("cluster"))
        handle = self.engine.start_notebook(NotebookTask(task.run_id, path, dict(task.parameters),
                                                         task_key=task.key, task_values=run.task_values,
                                                         context=context, **compute))
        with self._cond:
            task.handle = handle
        self._spawn(self._watch, run, task, name=f"localspace-task-{task.run_id}")
        if run.stop.is_set():
            self._cancel_handles(run)

    def _watch(self, run: Run, task: TaskRun) -> None:
        timeout = task.spec.get("timeout_seconds") or 0
        task_deadline = time.time() + timeout if timeout > 0 else None
        timed_out = False
        while True:
            result = task.handle.result(timeout=0.5)
            if result is not None:
                break
            if task_deadline is not None and time.time() >= task_deadline and not timed_out:
                timed_out = True
                task.cancel_requested_at = time.time()
                task.handle.cancel()
            if task.cancel_requested_at and time.time() - task.cancel_requested_at > CANCEL_GRACE:
                result = NotebookResult("CANCELED", error="The notebook did not stop after cancel.")
                break
        with self._cond:
            if timed_out and result.result_state == "CANCELED":
                result = NotebookResult("TIMEDOUT", exit_value=result.exit_value, error=result.error,
                                        error_trace=result.error_trace, logs=result.logs)
            self._end_task(task, result)

    def _end_task(self, task: TaskRun, result: NotebookResult, message: Optional[str] = None) -> None:
        with self._cond:
            state = result.result_state
            if state == "CANCELED" and task.parent.stop_reason == "TIMEOUT":
                state = "TIMEDOUT"
            task.output, task.result, task.life = result, state, "TERMINATED"
            task.message = message or {
                "SUCCESS": "", "CANCELED": "Run cancelled.", "TIMEDOUT": "Task timed out.",
            }.get(state, "Workload failed, see run output for details")
            task.end_time = now_ms()
            task.handle = None
            self._cond.notify_all()

    def _cancel_handles(self, run: Run) -> None:
        """Cancel each running notebook once; the watchers see them end."""
        with self._cond:
            handles = [(t, t.handle) for t in run.tasks
                       if t.handle is not None and t.life == "RUNNING" and t.cancel_requested_at is None]
            for task, _ in handles:
                task.cancel_requested_at = time.time()
        for _, handle in handles:
            handle.cancel()

    def _finish(self, run: Run) -> None:
        with self._cond:
            run.life, run.message = "TERMINATING", ""
            self._cond.notify_all()
            for task in run.tasks:
                if task.life == "PENDING":
                    task.life = "SKIPPED" if run.stop_reason else "TERMINATED"
                    task.result = "CANCELED" if run.stop_reason else "UPSTREAM_FAILED"
                    if run.stop_reason == "TIMEOUT":
                        task.result = "TIMEDOUT"
                    task.message = "Run cancelled." if run.stop_reason else "Upstream task failed"
            run.result, run.message, run.termination = self._outcome(run)
            run.end_time = now_ms()
            run.life = "TERMINATED"
            self._cond.notify_all()

    def _outcome(self, run: Run) -> tuple[str, str, tuple[str, str, str]]:
        reason = run.stop_reason
        if reason == "TIMEOUT":
            message = f"Run timed out after {run.settings.get('timeout_seconds')} seconds."
            return "TIMEDOUT", message, ("CANCELED", "CLIENT_ERROR", message)
        if reason in ("USER", "DELETED", "SERVER"):
            message = {"USER": "Run cancelled.", "DELETED": "Run cancelled because the job was deleted.",
                       "SERVER": "Run cancelled because localspace stopped."}[reason]
            return "CANCELED", message, ("USER_CANCELED", "SUCCESS", message)
        failed = [t for t in run.tasks if t.result not in ("SUCCESS", None)]
        first = next((t for t in failed if t.result in ("FAILED", "TIMEDOUT")), failed[0] if failed else None)
        if first is None:
            return "SUCCESS", "", ("SUCCESS", "SUCCESS", "")
        error = (first.output.error if first.output and first.output.error else first.message)
        message = f"Task {first.key} failed with message: {error}."
        if len(run.tasks) > 1:
            message += " This caused all downstream tasks to get skipped."
        code = "RESOURCE_NOT_FOUND" if first.message.startswith("Notebook not found") else "RUN_EXECUTION_ERROR"
        return "FAILED", message, (code, "CLIENT_ERROR", message)

    def _after_run(self, run: Run) -> None:
        with self._cond:
            self._cond.notify_all()
        job = self._jobs.get(run.job_id)
        if job is not None and job.settings.get("continuous") and not self._stopping.is_set():
            self._spawn(self._restart_continuous, run.job_id, name=f"localspace-continuous-{run.job_id}")

    def _restart_continuous(self, job_id: int) -> None:
        if not self._stopping.wait(CONTINUOUS_RESTART):
            self._continuous(job_id)

    def _continuous(self, job_id: int) -> None:
        """An unpaused continuous job always has one run; pausing it cancels the run."""
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None or self._stopping.is_set():
                return
            continuous = job.settings.get("continuous")
            active = [r for r in self._runs.values() if r.job_id == job_id and not r.done]
            if not isinstance(continuous, dict):
                return
            if continuous.get("pause_status", "UNPAUSED") != "UNPAUSED":
                for run in active:
                    self._request_stop(run, "USER")
                return
            if active or not job.settings.get("tasks"):
                return
            run = Run(run_id=next(self._run_ids), job_id=job_id, run_type="JOB_RUN",
                      run_name=job.settings.get("name", "Untitled"), settings=job.settings, trigger="CONTINUOUS")
            defaults = {p["name"]: p["default"] for p in job.settings.get("parameters") or []}
            self._launch(run, defaults, {}, None, None)

    # -- reading and stopping runs -----------------------------------------------------------------

    def run(self, run_id: int) -> Run:
        with self._cond:
            run = self._runs.get(run_id)
        if run is None:
            raise JobDoesNotExist(f"Run {run_id} does not exist.")
        _check_not_deleted(run_id, run)
        return run

    def task_run(self, run_id: int) -> Optional[TaskRun]:
        with self._cond:
            task = self._task_runs.get(run_id)
        if task is not None:
            _check_not_deleted(run_id, task.parent)
        return task

    def list_runs(self, job_id: Optional[int], active_only: bool, completed_only: bool,
                  run_type: Optional[str], with_deleted: bool = False) -> list[Run]:
        """runs/list; ``with_deleted`` adds runs whose job was deleted (gone for clients, still
        ending in the background: what tests of cleanup look at)."""
        if active_only and completed_only:
            raise InvalidParameterValue("active_only and completed_only cannot both be true.")
        with self._cond:
            runs = sorted(self._runs.values(), key=lambda r: r.run_id, reverse=True)
        runs = [r for r in runs if with_deleted or not r.job_deleted]
        if job_id is not None:
            runs = [r for r in runs if r.job_id == job_id]
        if active_only:
            runs = [r for r in runs if not r.done]
        if completed_only:
            runs = [r for r in runs if r.done]
        if run_type:
            runs = [r for r in runs if r.run_type == run_type]
        return runs

    def cancel(self, run_id: int) -> None:
        """A job run or a task run (which cancels its run); a no-op on a finished run."""
        task = self.task_run(run_id)
        run = task.parent if task is not None else self.run(run_id)
        self._request_stop(run, "USER")

    def cancel_all(self, job_id: Optional[int], all_queued_runs: bool) -> None:
        if job_id is None and not all_queued_runs:
            raise InvalidParameterValue("job_id or all_queued_runs is required.")
        with self._cond:
            if job_id is not None:
                self.job(job_id)
            runs = [r for r in self._runs.values() if not r.done and
                    (r.job_id == job_id if job_id is not None else r.life == "QUEUED")]
        for run in runs:
            self._request_stop(run, "USER")

    def _request_stop(self, run: Run, reason: str) -> None:
        with self._cond:
            if run.done or run.stop.is_set():
                return
            run.stop_reason = reason
            run.stop.set()
            self._cond.notify_all()
        self._cancel_handles(run)

    def delete_run(self, run_id: int) -> None:
        with self._cond:
            run = self.run(run_id)
            if not run.done:
                raise InvalidState(f"Run {run_id} is active; cancel it before deleting it.")
            del self._runs[run_id]
            for task in run.tasks:
                self._task_runs.pop(task.run_id, None)

    # -- the server's view ------------------------------------------------------------------------

    def count_jobs(self) -> int:
        with self._cond:
            return len(self._jobs)

    def count_active_runs(self) -> int:
        with self._cond:
            return sum(1 for r in self._runs.values() if not r.done)

    def stop(self, timeout: float = 15.0) -> None:
        """Cancel every run and wait for every driver and watcher thread to end."""
        self._stopping.set()
        with self._cond:
            active = [r for r in self._runs.values() if not r.done]
        for run in active:
            self._request_stop(run, "SERVER")
        deadline = time.time() + timeout
        with self._cond:
            while self._threads and time.time() < deadline:
                self._cond.wait(0.2)


def _check_not_deleted(run_id: int, run: Run) -> None:
    """The second form of "gone" the SDK knows (errors/overrides.py, Job Runs override)."""
    if run.job_deleted:
        raise JobDoesNotExist(f"Run: {run_id} in job: {run.job_id} doesn't exist")


def _task_done(task: TaskRun) -> bool:
    return task.life in TERMINAL


def _compute(run: "Run", spec: dict) -> dict:
    """What the engine needs of a task's compute: its cluster's ``spark_conf`` and
    ``spark_version`` (a new_cluster or a job cluster; an existing cluster is localspace's
    own), or that it runs on serverless (no compute named)."""
    cluster = spec.get("new_cluster")
    if spec.get("job_cluster_key"):
        cluster = next((c.get("new_cluster") for c in run.settings.get("job_clusters") or []
                        if c.get("job_cluster_key") == spec["job_cluster_key"]), None)
    named = any(spec.get(k) for k in ("new_cluster", "job_cluster_key", "existing_cluster_id"))
    version = str((cluster or {}).get("spark_version") or "")
    if spec.get("existing_cluster_id"):
        ids = {"cluster_id": spec["existing_cluster_id"], "cluster_name": spec["existing_cluster_id"]}
        version = SPARK_VERSION
    else:  # a job cluster (or serverless compute) of its own: Databricks' id shape and name
        started = time.gmtime(run.start_time / 1000)
        ids = {"cluster_id": f"{time.strftime('%m%d-%H%M%S', started)}-{run.run_id:08x}"[-24:],
               "cluster_name": f"job-{run.job_id}-run-{run.run_id}"}
    return {"spark_conf": {str(k): str(v) for k, v in ((cluster or {}).get("spark_conf") or {}).items()},
            "spark_version": version, "serverless": not named, "cluster": ids}

