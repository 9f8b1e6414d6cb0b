"""Helpers for the engine tests: an in-memory workspace and waiting on conditions."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from localspace.paths import Paths

HEADER = "# Databricks notebook source\n"
SEPARATOR = "\n# COMMAND ----------\n"


def notebook(*cells: str) -> str:
    """Source-format text for the given cells."""
    return HEADER + SEPARATOR.join(cells) + "\n"


class Workspace:
    """Notebook sources by workspace path, in the reader shape engines expect."""

    def __init__(self):
        self.notebooks: dict[str, str] = {}

    def add(self, path: str, text: str) -> None:
        self.notebooks[Paths.workspace_path(path)] = text

    def read(self, path: str) -> str:
        return self.notebooks[Paths.workspace_path(path)]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait until condition() is true or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        pause.wait(0.02)


def process_gone(pid: int) -> bool:
    """True when the process no longer exists or is a zombie nobody reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def run_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("localspace-run")]
