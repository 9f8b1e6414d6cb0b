"""What a job run's state means: started, ended, and why it failed, in words for the report.

Kept apart from the flow so the same reading of ``runs/get`` serves the start-up wait, the
stream watch, one-time notebook runs, batch runs and cleanup.
"""
from __future__ import annotations

from typing import Optional

from streamtest.client import ApiError
from streamtest.databricks import TERMINAL, Workspace


class RunEnded(Exception):
    """The job's run is not RUNNING any more (or never got there); ``details`` says why."""

    def __init__(self, message: str, url: str = ""):
        super().__init__(message)
        self.url = url


def life_cycle(run: dict) -> str:
    return (run.get("state") or {}).get("life_cycle_state", "") or (run.get("status") or {}).get("state", "")


def result_state(run: dict) -> str:
    return (run.get("state") or {}).get("result_state", "") or ""


def is_terminal(run: dict) -> bool:
    return life_cycle(run) in TERMINAL


def state_line(run: dict) -> str:
    """'PENDING: Waiting for cluster' / 'TERMINATED FAILED: ...' for progress and reports."""
    state = run.get("state") or {}
    parts = [life_cycle(run) or "UNKNOWN"]
    if state.get("result_state"):
        parts.append(state["result_state"])
    text = " ".join(parts)
    if state.get("state_message"):
        text += f": {state['state_message']}"
    return text


def failure_details(ws: Workspace, run: dict) -> str:
    """State message, termination details and each failed task's error from get-output."""
    lines = [state_line(run)]
    termination = (run.get("status") or {}).get("termination_details") or {}
    if termination:
        said = (run.get("state") or {}).get("state_message", "")
        parts = [str(termination[k]) for k in ("type", "code") if termination.get(k)]
        if termination.get("message") and termination["message"] not in said:
            parts.append(termination["message"])
        lines.append("termination: " + " ".join(parts))
    for task in run.get("tasks") or []:
        task_result = (task.get("state") or {}).get("result_state", "")
        if task_result in ("", "SUCCESS") or not task.get("run_id"):
            continue
        error = task_error(ws, task["run_id"])
        lines.append(f"task {task.get('task_key', '?')} {task_result}" + (f": {error}" if error else ""))
    return "\n".join(lines)


def task_error(ws: Workspace, task_run_id: int) -> str:
    """The error and the last lines of its trace, or '' when get-output has none."""
    try:
        output = ws.get_output(task_run_id)
    except ApiError as exc:
        return f"(get-output failed: {exc.error_code})"
    error = output.get("error") or ""
    trace = (output.get("error_trace") or "").strip().splitlines()
    if trace:
        error += "\n" + "\n".join(trace[-8:])
    return error.strip()


def task_run_id(run: dict) -> Optional[int]:
    """The single task's run id (get-output refuses multi-task job-level ids)."""
    tasks = run.get("tasks") or []
    if len(tasks) == 1 and tasks[0].get("run_id"):
        return int(tasks[0]["run_id"])
    return int(run["run_id"]) if not tasks else None
