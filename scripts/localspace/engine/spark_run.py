"""One notebook run on the spark engine: a thread with its own session, stoppable on demand.

As on a Databricks cluster, a notebook that starts streaming queries keeps its run going
until they end; one that fails fails the run with Spark's message. Cancel must end the run
within seconds whatever the notebook is doing, in this order of gentleness:

1. the cancel event: the notebook's ``time.sleep`` (its own interruptible ``time`` module,
   handed out by the notebook's ``__import__``) and the wait for streams wake at once;
2. Spark: interrupt the session's operations, cancel the run's job group, stop its queries;
3. backstop: ``PyThreadState_SetAsyncExc(RunCanceled)`` for pure-Python loops.

Cleanup after a cancel uses the canceller's thread, never the run's own (an asynchronous
exception may have hit the run thread in the middle of a py4j call).
"""
from __future__ import annotations

import ctypes
import dataclasses
import itertools
import posixpath
import threading
import time
import types
import uuid
from typing import Callable, Optional

from pyspark.sql.streaming import StreamingQueryListener

from ..paths import Paths
from .base import NotebookHandle, NotebookResult, NotebookTask
from .context import NotebookContext, runtime_environ
from .dbutils import DBUtils, WorkflowException
from .fileopen import notebook_builtins as _builtins
from .logs import BoundedLog, capture_thread_output, release_thread_output
from .notebook import Program
from .runner import Outcome, RunCanceled, display, one_line, run_program, without_own_frames
from .spark_pyapi import forget, make_active, unseen_failure
from .spark_session import user_facing

STREAM_POLL = 0.2       # seconds per wait on the run's streams; bounds cancel latency there
BACKSTOP_AFTER = 0.3    # seconds after cancel before asynchronous exceptions are injected
GIVE_UP_AFTER = 10.0    # a thread still alive then is reported and left (should not happen)
_CHILD_RUN_IDS = itertools.count(900_000_001)  # runs dbutils.notebook.run starts


def interruptible_time(cancel: threading.Event) -> types.ModuleType:
    """A ``time`` module whose sleep ends early (raising RunCanceled) when the run is canceled."""
    module = types.ModuleType("time")
    module.__dict__.update({k: v for k, v in vars(time).items() if not k.startswith("__")})

    def sleep(seconds: float) -> None:
        if cancel.wait(max(0.0, seconds)):
            raise RunCanceled()

    module.sleep = sleep
    return module


def notebook_builtins(paths: Paths, cancel: threading.Event, notebook_path: Optional[str] = None,
                      namespace: Optional[dict] = None, spark_version: str = "") -> dict:
    """Builtins for notebook code (fileopen.notebook_builtins: mapped open() and os, the
    notebook's folder as cwd and on sys.path), where `import time` yields the interruptible one
    and, given the run's ``namespace``, ``databricks.sdk.runtime`` its names (sdk_runtime.py);
    ``os.environ`` has the cluster's runtime (context.runtime_environ)."""
    return _builtins(paths, notebook_path, {"time": interruptible_time(cancel)}, namespace,
                     runtime_environ(spark_version))


class SparkRun(NotebookHandle):
    def __init__(self, program: Program, task: NotebookTask, session, paths: Paths, secrets: dict,
                 start_notebook: Callable[[NotebookTask], NotebookHandle]):
        self.program = program
        self.session = session
        self._refused: Optional[str] = None  # why serverless stopped one of the run's streams
        if task.serverless:
            session.streams.addListener(_ServerlessTriggers(self))
        self.group = f"localspace-run-{task.run_id}-{uuid.uuid4().hex[:8]}"
        self._paths = paths
        self._task = task
        self._start_notebook = start_notebook   # the engine's, for dbutils.notebook.run
        self._secrets = secrets
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._finishing = False
        self._result: Optional[NotebookResult] = None
        self._log = BoundedLog()
        self._thread = threading.Thread(target=self._main, daemon=True, name=f"localspace-run-{task.run_id}")
        self._thread.start()

    # ---- the run thread ------------------------------------------------------------------

    def _namespace(self) -> dict:
        from pyspark.sql import SQLContext
        dbutils = DBUtils(self._paths, dict(self._task.parameters), self._secrets, self._task.task_key,
                          self._task.task_values, self._run_notebook,
                          NotebookContext(self.program.path, self._task.context))
        namespace = {
            "__name__": "__main__",
            "spark": self.session,
            "sc": self.session.sparkContext,
            "sqlContext": SQLContext(self.session.sparkContext, self.session),
            "dbutils": dbutils,
            "getArgument": dbutils.widgets.getArgument,  # the legacy global of Databricks notebooks
            "display": display,
            "displayHTML": print,
        }
        namespace["__builtins__"] = notebook_builtins(self._paths, self._cancel, self.program.path, namespace,
                                                      self._task.spark_version)
        return namespace

    def _run_notebook(self, path: str, timeout_seconds: float, arguments: dict) -> Optional[str]:
        """dbutils.notebook.run: the notebook as a run of its own on this cluster (its own thread
        and globals, so its temp views and variables stay its own), awaited up to the limit."""
        target = path if path.startswith("/") else posixpath.normpath(
            posixpath.join(posixpath.dirname(self.program.path), path))
        child_id = next(_CHILD_RUN_IDS)
        child = self._start_notebook(NotebookTask(child_id, target, arguments,
                                                  task_key=self._task.task_key,
                                                  task_values=self._task.task_values,
                                                  context=dataclasses.replace(self._task.context, run_id=child_id)))
        started = time.monotonic()
        while (result := child.result(STREAM_POLL)) is None:
            if self._cancel.is_set():
                child.cancel()
                raise RunCanceled()
            if timeout_seconds and time.monotonic() - started > timeout_seconds:
                child.cancel()
                child.result(GIVE_UP_AFTER)
                raise WorkflowException(f"Notebook {target} timed out after {timeout_seconds} seconds")
        if result.result_state != "SUCCESS":
            raise WorkflowException(f"Notebook {target} failed: {result.error}\n{result.error_trace or ''}")
        return result.exit_value

    def _execute(self) -> Outcome:
        # The notebook's session is this thread's, as the driver's one session is on a cluster.
        make_active(self.session)
        self.session.sparkContext.setJobGroup(self.group, self.group, interruptOnCancel=True)
        outcome = run_program(self.program, self._namespace(),
                              lambda: self._cancel.is_set() or self._refused is not None)
        if outcome.state != "SUCCESS" or self._cancel.is_set():
            return outcome
        return self._wait_for_streams(outcome)

    def _wait_for_streams(self, outcome: Outcome) -> Outcome:
        """A run lasts as long as the streaming queries still running when its code ends; the
        first of those to fail fails it. A failure the code already saw and handled (it awaited
        the query and caught the error, as the schema-evolution retry loop in Databricks' Auto
        Loader docs does) does not fail the run afterwards."""
        from pyspark.errors import StreamingQueryException
        streams = self.session.streams
        streams.resetTerminated()
        # A query that failed before the reset, while the code ran or since it ended, and whose
        # failure the code was never handed, fails the run as one that fails from now on does.
        error = unseen_failure(self.session)
        if error is not None:
            return Outcome("FAILED", error=one_line(error), error_trace=str(error))
        while True:
            try:
                streams.awaitAnyTermination(0.001 if not streams.active else STREAM_POLL)
            except StreamingQueryException as exc:
                return Outcome("FAILED", error=one_line(exc), error_trace=str(exc))
            streams.resetTerminated()
            if self._cancel.is_set():
                raise RunCanceled()
            if not streams.active:
                return outcome

    def _main(self) -> None:
        try:
            try:
                capture_thread_output(self._log)
                outcome = self._execute()
            finally:
                with self._lock:
                    self._finishing = True
                _clear_async_exception(threading.get_ident())
        except RunCanceled:
            outcome = Outcome("CANCELED")
        except BaseException as exc:  # noqa: BLE001 - engine trouble still ends the run
            outcome = Outcome("FAILED", error=one_line(exc), error_trace=repr(exc))
        finally:
            release_thread_output()
        if self._refused and not self._cancel.is_set():
            outcome = Outcome("FAILED", error=self._refused, error_trace=self._refused)
        if self._cancel.is_set():
            return  # the canceller cleans up and reports
        self._stop_streams()  # streams never outlive their run
        with self._lock:
            if self._cancel.is_set():
                return
            self._finish(NotebookResult(outcome.state, exit_value=outcome.exit_value,
                                        error=user_facing(outcome.error),
                                        error_trace=user_facing(without_own_frames(outcome.error_trace)),
                                        logs=self._log.text()))

    def _finish(self, result: NotebookResult) -> None:
        forget(self.session)
        self._result = result
        self._done.set()

    def _stop_streams(self) -> None:
        try:
            queries = self.session.streams.active
        except Exception:  # noqa: BLE001 - the session is gone; so are its queries
            return
        for query in queries:
            try:
                query.stop()
            except Exception:  # noqa: BLE001 - already stopping or failed; nothing to keep
                pass

    def _interrupt_jobs(self) -> None:
        try:
            self.session.interruptAll()
            self.session.sparkContext.cancelJobGroup(self.group)
        except Exception:  # noqa: BLE001 - the session may already be stopping
            pass

    # ---- the interface -------------------------------------------------------------------

    def result(self, timeout: float) -> Optional[NotebookResult]:
        self._done.wait(timeout)
        return self._result

    def cancel(self) -> None:
        with self._lock:
            if self._done.is_set() or self._cancel.is_set():
                return
            self._cancel.set()
        threading.Thread(target=self._cancel_run, daemon=True, name=f"{self._thread.name}-cancel").start()

    def _cancel_run(self) -> None:
        """Stop queries once (that unblocks awaitTermination), keep interrupting Spark jobs
        (one may start after the first interrupt), and inject RunCanceled as a backstop."""
        started = time.monotonic()
        stopper = threading.Thread(target=self._stop_streams, daemon=True,
                                   name=f"{self._thread.name}-stop")
        stopper.start()
        while self._thread.is_alive() and time.monotonic() - started < GIVE_UP_AFTER:
            self._interrupt_jobs()
            if time.monotonic() - started >= BACKSTOP_AFTER:
                with self._lock:
                    if not self._finishing:
                        _raise_in_thread(self._thread.ident, RunCanceled)
            self._thread.join(0.1)
        stopper.join(GIVE_UP_AFTER)
        self._stop_streams()  # any query a last cell started after the first stop
        note = "" if not self._thread.is_alive() else "\n[localspace: the notebook thread did not stop]\n"
        self._finish(NotebookResult("CANCELED", logs=self._log.text() + note))


# Databricks: "Serverless compute limitations" (streaming: only Trigger.AvailableNow and
# Trigger.Once), error class INFINITE_STREAMING_TRIGGER_NOT_SUPPORTED.
_FINITE_TRIGGERS = ("AvailableNowTrigger", "OneTimeTrigger")


class _ServerlessTriggers(StreamingQueryListener):
    """On serverless compute a stream must end by itself: a query with a processing-time,
    default or continuous trigger is stopped as it starts, and fails its run; no later cell
    runs (on Databricks ``start()`` raises, failing the cell)."""

    def __init__(self, run: "SparkRun"):
        self._run = run

    def onQueryStarted(self, event) -> None:
        query = self._run.session.streams.get(str(event.id))
        if query is None:
            return
        trigger = query._jsq.streamingQuery().trigger().getClass().getSimpleName().rstrip("$")
        if trigger in _FINITE_TRIGGERS:
            return
        kind = trigger.removesuffix("Trigger") or trigger
        self._run._refused = (
            f"AnalysisException: [INFINITE_STREAMING_TRIGGER_NOT_SUPPORTED] Trigger type {kind} "
            "is not supported for this cluster type. Use a different trigger type e.g. AvailableNow, Once.")
        # This is the query's own thread: stopping it from here would interrupt itself.
        threading.Thread(target=query.stop, daemon=True, name="localspace-serverless-stop").start()

    def onQueryProgress(self, event) -> None:
        pass

    def onQueryIdle(self, event) -> None:
        pass

    def onQueryTerminated(self, event) -> None:
        pass


def _raise_in_thread(ident: Optional[int], exc_type: type) -> None:
    if ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc_type))


def _clear_async_exception(ident: int) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)
