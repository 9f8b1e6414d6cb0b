"""Bounded capture of what a notebook prints.

A notebook that prints in a loop must not fill the emulator's memory, so a run keeps the
first and the last part of its output and notes how much was dropped between them.
"""
from __future__ import annotations

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
