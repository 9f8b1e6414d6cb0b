"""Helpers for the engine tests: an in-memory workspace, notebook text, process and thread checks."""
from __future__ import annotations

import threading
from pathlib import Path

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


def process_gone(pid: int) -> bool:
    """True when the process no longer exists or is a zombie nobody reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def run_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("localspace-run")]
