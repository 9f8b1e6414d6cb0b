"""A job run as streamtest reads it: ``Run``, built once from a runs/get reply.

Jobs API 2.2 has two state forms. ``status`` (``state`` BLOCKED|PENDING|QUEUED|RUNNING|
TERMINATING|TERMINATED|WAITING, ``termination_details``, ``queue_details``) is the current
one and is read first; the deprecated ``state`` (``life_cycle_state``, ``result_state``,
``state_message``) is the fallback, and still supplies the pending message ("Waiting for
cluster") that ``status`` does not carry. Unknown states count as not finished.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

TERMINAL = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")
WAITING = ("QUEUED", "PENDING", "BLOCKED", "WAITING", "WAITING_FOR_RETRY")
# status.termination_details.code -> the result_state the deprecated form would say
RESULT_OF_CODE = {"SUCCESS": "SUCCESS", "SUCCESS_WITH_FAILURES": "SUCCESS_WITH_FAILURES",
                  "USER_CANCELED": "CANCELED", "CANCELED": "CANCELED", "SKIPPED": "EXCLUDED",
                  "DISABLED": "DISABLED", "MAX_CONCURRENT_RUNS_EXCEEDED": "MAXIMUM_CONCURRENT_RUNS_REACHED"}


@dataclass(frozen=True)
class TaskRun:
    run_id: int
    task_key: str
    life_cycle: str
    result: str
    url: str = ""


@dataclass(frozen=True)
class Run:
    run_id: int
    job_id: Optional[int]
    life_cycle: str               # RUNNING, PENDING, TERMINATED, ... ('' when the reply had none)
    result: str                   # SUCCESS, FAILED, CANCELED, ... ('' until terminal)
    message: str                  # the state message, e.g. "Waiting for cluster"
    url: str                      # the run page
    termination: str = ""         # "CLIENT_ERROR RUN_EXECUTION_ERROR: ..." from status, when given
    tasks: tuple = field(default_factory=tuple)  # TaskRun, every page of them

    @property
    def terminal(self) -> bool:
        return self.life_cycle in TERMINAL

    @property
    def running(self) -> bool:
        return self.life_cycle == "RUNNING"

    @property
    def waiting(self) -> bool:
        """Not started yet (queued, pending, blocked): what start.timeout bounds."""
        return self.life_cycle in WAITING

    @property
    def succeeded(self) -> bool:
        return self.result == "SUCCESS"

    @property
    def task_run_id(self) -> Optional[int]:
        """The run id get-output accepts: the single task's (a multi-task job-level id is
        refused), the run's own when it has no task list, None for several tasks."""
        if len(self.tasks) == 1:
            return self.tasks[0].run_id
        return self.run_id if not self.tasks else None

    def failed_tasks(self) -> list[TaskRun]:
        return [t for t in self.tasks if t.result not in ("", "SUCCESS")]

    def line(self) -> str:
        """'PENDING: Waiting for cluster' / 'TERMINATED FAILED: ...' for progress and reports."""
        text = " ".join(p for p in (self.life_cycle or "UNKNOWN", self.result) if p)
        return f"{text}: {self.message}" if self.message else text


def parse_run(body: dict, tasks: Optional[list] = None, host: str = "") -> Run:
    """``body`` is a runs/get reply; ``tasks`` every page of its task list (default: its own)."""
    life, result, message, termination = _states(body)
    run_id = int(body.get("run_id") or 0)
    job_id = body.get("job_id")
    url = body.get("run_page_url") or f"{host}/#job/{job_id}/run/{run_id}"
    task_views = tuple(_task(t) for t in (body.get("tasks") or [] if tasks is None else tasks) if t.get("run_id"))
    return Run(run_id, int(job_id) if job_id else None, life, result, message, url, termination, task_views)


def _task(body: dict) -> TaskRun:
    life, result, _, _ = _states(body)
    return TaskRun(int(body["run_id"]), str(body.get("task_key") or "?"), life, result, body.get("run_page_url") or "")


def _states(body: dict) -> tuple[str, str, str, str]:
    """(life cycle, result, message, termination line), ``status`` first, ``state`` second."""
    status = body.get("status") or {}
    legacy = body.get("state") or {}
    details = status.get("termination_details") or {}
    life = status.get("state") or legacy.get("life_cycle_state") or ""
    if life == "TERMINATED" and legacy.get("life_cycle_state") in ("SKIPPED", "INTERNAL_ERROR"):
        life = legacy["life_cycle_state"]
    code = details.get("code") or ""
    result = (RESULT_OF_CODE.get(code, "FAILED") if code else "") or legacy.get("result_state") or ""
    message = (legacy.get("state_message") or details.get("message")
               or (status.get("queue_details") or {}).get("message") or "")
    termination = ""
    if details:
        termination = " ".join(str(details[k]) for k in ("type", "code") if details.get(k))
        if details.get("message") and details["message"] not in message:
            termination += f": {details['message']}"
    return life, result, message, termination


@dataclass(frozen=True)
class RunOutput:
    """runs/get-output of one task run: the exit value, and how it failed."""
    result: Optional[str] = None   # dbutils.notebook.exit's value
    error: str = ""
    error_trace: str = ""
    logs: str = ""


def parse_output(body: dict) -> RunOutput:
    notebook = body.get("notebook_output") or {}
    return RunOutput(notebook.get("result"), body.get("error") or "", body.get("error_trace") or "",
                     body.get("logs") or "")
