"""What the python and spark engines share: their inputs, turning a notebook that cannot be
built into a FAILED run, and the list of runs still going that ``close()`` must stop.

Each engine only says how one built program is started (``_launch``); everything around it
is here once, so both engines fail a missing notebook or ``%run`` target the same way.
"""
from __future__ import annotations

import abc
import threading
from typing import Optional

from ..paths import Paths
from .base import Engine, NotebookHandle, NotebookReader, NotebookResult, NotebookTask
from .notebook import NotebookSourceError, Program, build_program


class DoneHandle(NotebookHandle):
    """A run that ended before it started (e.g. its notebook or a %run target is missing)."""

    def __init__(self, result: NotebookResult):
        self._result = result

    def result(self, timeout: float) -> Optional[NotebookResult]:
        return self._result

    def cancel(self) -> None:
        pass


class LocalEngine(Engine):
    def __init__(self, paths: Paths, read_notebook: NotebookReader,
                 secrets: Optional[dict[str, dict[str, str]]] = None):
        self.paths = paths
        self.read_notebook = read_notebook
        self.secrets = secrets or {}
        self._handles: list[NotebookHandle] = []
        self._lock = threading.Lock()

    def start_notebook(self, task: NotebookTask) -> NotebookHandle:
        try:
            program = build_program(task.notebook_path, self.read_notebook)
        except NotebookSourceError as exc:
            return DoneHandle(NotebookResult("FAILED", error=f"NotebookSourceError: {exc}",
                                             error_trace=f"NotebookSourceError: {exc}\n"))
        handle = self._launch(program, task)
        with self._lock:  # forget finished runs as new ones start, so the list stays short
            self._handles = [h for h in self._handles if h.result(0) is None] + [handle]
        return handle

    @abc.abstractmethod
    def _launch(self, program: Program, task: NotebookTask) -> NotebookHandle:
        """Start one built program in the background and return its handle at once."""

    def _cancel_all(self, timeout: float) -> None:
        """Cancel every run still going, then wait up to ``timeout`` for each to end."""
        with self._lock:
            handles, self._handles = self._handles, []
        for handle in handles:
            handle.cancel()
        for handle in handles:
            handle.result(timeout=timeout)
