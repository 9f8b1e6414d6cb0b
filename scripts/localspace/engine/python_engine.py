"""The python engine: each notebook run is a plain-Python child process.

A process (not a thread) because cancel must always work: a notebook stuck in a C call or a
``while True`` loop cannot be stopped from inside, but its process group can be killed.
The child runs in its own process group (so anything it spawns dies with it) and holds a
socket to the emulator as a lifeline (so it dies with the emulator). SQL statements and the
notebooks' ``spark.sql`` share one sqlite store under the root.
"""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Optional

from ..paths import Paths
from .base import NotebookHandle, NotebookReader, NotebookResult, NotebookTask, SqlResult
from .logs import BoundedLog
from .notebook import Program
from .shared import LocalEngine
from .sqlstore import SqlStore

TERMINATE_GRACE = 0.5  # seconds between SIGTERM and SIGKILL on cancel
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


class ChildHandle(NotebookHandle):
    """One child process, the thread that reads its output, and the one that waits for it."""

    def __init__(self, command: list[str], spec: dict, cwd: Path, task: NotebookTask):
        self._task = task                # its task_values receive what the child set
        self._done = threading.Event()
        self._canceled = threading.Event()
        self._result: Optional[NotebookResult] = None
        self._log = BoundedLog()
        self._ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))}
        try:
            self._process = subprocess.Popen(
                command + [str(theirs.fileno())], pass_fds=(theirs.fileno(),), cwd=cwd, env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                start_new_session=True)
        finally:
            theirs.close()
        self._spec = json.dumps(spec).encode() + b"\n"
        self._reader = threading.Thread(target=self._read_output, daemon=True,
                                        name=f"localspace-run-{spec['run_id']}-output")
        self._waiter = threading.Thread(target=self._wait, daemon=True,
                                        name=f"localspace-run-{spec['run_id']}-wait")
        self._reader.start()
        self._waiter.start()

    @property
    def pid(self) -> int:
        return self._process.pid

    def _read_output(self) -> None:
        stream = self._process.stdout
        while True:
            chunk = stream.read1(65536)
            if not chunk:
                break
            self._log.write(chunk.decode("utf-8", errors="replace"))
        stream.close()

    def _wait(self) -> None:
        answer = b""
        try:
            self._ours.sendall(self._spec)
            while True:
                chunk = self._ours.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except OSError:
            pass  # the child died; its exit status tells the rest
        self._end_group()
        code = self._process.wait()
        self._ours.close()
        self._reader.join()
        self._result = self._interpret(answer, code)
        self._done.set()

    def _end_group(self) -> None:
        """Wait for the child without reaping it, then kill whatever is left of its group.

        Not reaping first keeps the group id from being reused while we signal it.
        """
        try:
            os.waitid(os.P_PID, self._process.pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            pass
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _interpret(self, answer: bytes, code: int) -> NotebookResult:
        logs = self._log.text()
        if self._canceled.is_set():
            return NotebookResult("CANCELED", logs=logs)
        if answer.strip():
            outcome = json.loads(answer)
            if outcome.get("task_values"):
                self._task.task_values.setdefault(self._task.task_key, {}).update(outcome["task_values"])
            return NotebookResult(outcome["state"], exit_value=outcome["exit_value"],
                                  error=outcome["error"], error_trace=outcome["error_trace"],
                                  logs=logs)
        reason = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        return NotebookResult("FAILED", error=f"NotebookProcessDied: the notebook process ended ({reason})",
                              logs=logs)

    def result(self, timeout: float) -> Optional[NotebookResult]:
        self._done.wait(timeout)
        return self._result

    def cancel(self) -> None:
        if self._done.is_set() or self._canceled.is_set():
            return
        self._canceled.set()
        try:
            os.killpg(self._process.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            return
        threading.Thread(target=self._escalate, daemon=True,
                         name=f"localspace-run-{self._process.pid}-kill").start()

    def _escalate(self) -> None:
        if not self._done.wait(TERMINATE_GRACE):
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class PythonEngine(LocalEngine):
    """Notebooks as child processes; SQL on the embedded sqlite store."""

    name = "python"

    def __init__(self, paths: Paths, read_notebook: NotebookReader,
                 secrets: Optional[dict[str, dict[str, str]]] = None):
        super().__init__(paths, read_notebook, secrets)
        self.store = SqlStore(paths)

    def _launch(self, program: Program, task: NotebookTask) -> NotebookHandle:
        spec = {"run_id": task.run_id, "root": str(self.paths.root), "program": program.to_json(),
                "parameters": dict(task.parameters), "secrets": self.secrets,
                "task_key": task.task_key, "task_values": task.task_values,
                "spark_version": task.spark_version, "context": dataclasses.asdict(task.context)}
        folder = self.paths.workspace(program.path).parent
        cwd = folder if folder.is_dir() else self.paths.root
        return ChildHandle([sys.executable, "-m", "localspace.engine.child"], spec, cwd, task)

    def execute_sql(self, statement: str, catalog: Optional[str] = None,
                    schema: Optional[str] = None) -> SqlResult:
        with self.store.session(catalog, schema) as session:
            return session.execute(statement)

    def close(self) -> None:
        self._cancel_all(timeout=5)
