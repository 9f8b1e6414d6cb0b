"""Bounded capture of what a notebook prints.

A notebook that prints in a loop must not fill the emulator's memory, so a run keeps the
first and the last part of its output and notes how much was dropped between them.
"""
from __future__ import annotations

import sys
import threading

DEFAULT_LIMIT = 256 * 1024


class BoundedLog:
    """Keeps up to ``limit`` characters: the head, then the most recent tail."""

    def __init__(self, limit: int = DEFAULT_LIMIT):
        self._half = limit // 2
        self._head: list[str] = []
        self._head_size = 0
        self._tail = ""
        self._dropped = 0
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        written = len(text)
        with self._lock:
            room = self._half - self._head_size
            if room > 0:
                taken = text[:room]
                self._head.append(taken)
                self._head_size += len(taken)
                text = text[room:]
            if text:
                self._tail += text
                overflow = len(self._tail) - self._half
                if overflow > 0:
                    self._tail = self._tail[overflow:]
                    self._dropped += overflow
        return written

    def flush(self) -> None:
        """File-like: nothing buffered."""

    def text(self) -> str:
        with self._lock:
            middle = f"\n[... {self._dropped} characters dropped ...]\n" if self._dropped else ""
            return "".join(self._head) + middle + self._tail


_sinks = threading.local()


class _ThreadRouter:
    """Stands in for sys.stdout/sys.stderr: a thread with a sink writes there, others pass through.

    The spark engine runs notebooks as threads of the emulator, so their prints (and
    ``df.show()``) must be told apart by thread to land in the right run's log.
    """

    def __init__(self, original):
        self._original = original

    def write(self, text: str) -> int:
        sink = getattr(_sinks, "sink", None)
        return (sink or self._original).write(text)

    def flush(self) -> None:
        if getattr(_sinks, "sink", None) is None:
            self._original.flush()

    def __getattr__(self, name: str):
        return getattr(self._original, name)


def capture_thread_output(sink: BoundedLog) -> None:
    """Send this thread's stdout/stderr to ``sink`` until release_thread_output()."""
    for name in ("stdout", "stderr"):
        if not isinstance(getattr(sys, name), _ThreadRouter):
            setattr(sys, name, _ThreadRouter(getattr(sys, name)))
    _sinks.sink = sink


def release_thread_output() -> None:
    _sinks.sink = None
