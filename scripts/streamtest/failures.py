"""Why a job run failed, in words for the log and the reports.

Kept apart from the flow so the same wording serves the start-up wait, the stream watch,
one-time notebook runs and batch runs. A dead run's story is its state line, the
termination details, and for each failed task the exception and the notebook frames of its
trace: the ``<notebook ...>`` / ``File "/Workspace/..."`` lines say where in the user's
code it broke; py4j and Spark internals between them do not, so they are left out.
"""
from __future__ import annotations

import re

from streamtest.client import ApiError
from streamtest.databricks.runs import Run
from streamtest.databricks.workspace import Workspace

MAX_FRAMES = 6
# what a dead run's text says -> the likely fix, added under it
HINTS = {
    "INFINITE_STREAMING_TRIGGER_NOT_SUPPORTED":
        "hint: serverless compute runs only availableNow/once stream triggers: give the task a "
        "job cluster (job_cluster_key or new_cluster), or use trigger(availableNow=True) with mode: batch",
}
# a frame in the user's notebook: plain Python ('File "<notebook /x/run, cell 2>"', a file under
# /Workspace or /Repos) or IPython's on Databricks ('File <command-123>, line 4',
# 'File ~/.ipykernel/1/command-123-456:4', 'Cell In[3], line 2')
NOTEBOOK_FRAME = re.compile(r'File "(<notebook [^"]*>|/Workspace/[^"]*|/Repos/[^"]*)"|'
                            r'File <command-\d+>|/command-\d+(-\d+)?:\d+|^\s*Cell In\[\d+\]')
ARROW = re.compile(r"^\s*-+>")  # IPython marks the failing line with '---->'

OUTPUT_TAIL = 10


class RunEnded(Exception):
    """The job's run is not RUNNING any more (or never got there); the message says why."""

    def __init__(self, message: str, url: str = ""):
        super().__init__(message)
        self.url = url


def failure_details(ws: Workspace, run: Run) -> str:
    """State line, termination details and each failed task's error from get-output."""
    lines = [run.line()]
    if run.termination:
        lines.append("termination: " + run.termination)
    for task in run.failed_tasks():
        error = task_error(ws, task.run_id, said=lines[0])
        lines.append(f"task {task.task_key} {task.result}" + (f":\n{error}" if error else ""))
    text = "\n".join(lines)
    return "\n".join([text] + [hint for cause, hint in HINTS.items() if cause in text])


def task_error(ws: Workspace, task_run_id: int, said: str = "") -> str:
    """The exception, the notebook frames of its trace and the last printed lines, or ''.
    The exception line is left out when ``said`` (the run's state line) already quotes it."""
    try:
        output = ws.get_output(task_run_id)
    except ApiError as exc:
        return f"(get-output failed: {exc.error_code})"
    error, trace = _plain(output.error).strip(), _plain(output.error_trace).strip()
    parts = [error] if error else []
    frames = notebook_frames(trace)
    if frames:
        parts.append("\n".join(frames))
    if not error and trace:  # no one-line error: the trace's last line is it
        parts.insert(0, trace.splitlines()[-1])
    if parts and said and parts[0] in said:
        parts.pop(0)
    printed = [line for line in output.logs.strip().splitlines() if line.strip()][-OUTPUT_TAIL:]
    if printed:
        parts.append("notebook output (last lines):\n" + "\n".join(f"  | {line}" for line in printed))
    return "\n".join(parts)


def notebook_frames(trace: str) -> list[str]:
    """The trace's frames in notebook code, each with its failing source line: the one IPython
    marks with '---->', else the line after the frame (plain Python's layout)."""
    lines = [_plain(line) for line in trace.splitlines()]
    out: list[str] = []
    for index, line in enumerate(lines):
        if not NOTEBOOK_FRAME.search(line):
            continue
        out.append(line.strip())
        body = []
        for following in lines[index + 1:index + 12]:
            if not following.strip() or following.lstrip().startswith(("File ", "Traceback", "Cell In")):
                break
            body.append(following)
        source = next((b for b in body if ARROW.match(b)), body[0] if body else "")
        if source:
            out.append("    " + source.strip())
    return out[-2 * MAX_FRAMES:]


def _plain(line: str) -> str:
    """The line without terminal colour codes (IPython colours its traces)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", line)
