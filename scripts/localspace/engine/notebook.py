"""Databricks source-format notebooks, turned into a flat list of cells to execute.

A workspace notebook is stored as its exported source: a ``# Databricks notebook source``
header, cells separated by ``# COMMAND ----------``, and non-Python cells written as
``# MAGIC`` comment lines (``# MAGIC %sql``, ``# MAGIC %run ./config``). Both engines run
the same flat ``Program``: ``%run`` is expanded here, once, in the emulator process (only it
can read the workspace store), so the executors never need to know about other notebooks.
Each cell keeps the path and number it came from so tracebacks point at "config, cell 2".
"""
from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import asdict, dataclass, field
from typing import Callable

HEADERS = {"# Databricks notebook source": "#", "-- Databricks notebook source": "--"}
LIMITS = 'README section "What each engine does"'
UNSUPPORTED_MAGICS = {
    "sh": f"localspace does not emulate %sh cells (shell commands on the driver; {LIMITS})",
    "scala": f"localspace does not emulate %scala cells; it runs Python and SQL cells ({LIMITS})",
    "r": f"localspace does not emulate %r cells; it runs Python and SQL cells ({LIMITS})",
    "conda": f"localspace does not emulate %conda ({LIMITS})",
}


class NotebookSourceError(Exception):
    """The notebook (or one it %runs) cannot be turned into a program."""


@dataclass
class Cell:
    """One executable unit: kind is python | sql | unsupported (md cells are dropped)."""

    kind: str
    source: str
    notebook: str        # workspace path of the notebook the cell came from
    number: int          # 1-based cell number within that notebook
    widgets: dict[str, str] = field(default_factory=dict)  # %run $name=value arguments

    @property
    def label(self) -> str:
        """The pseudo file name tracebacks show for this cell."""
        return f"<notebook {self.notebook}, cell {self.number}>"


@dataclass
class Program:
    """A notebook with every %run expanded, ready for an executor."""

    path: str
    cells: list[Cell]

    def to_json(self) -> dict:
        return {"path": self.path, "cells": [asdict(c) for c in self.cells]}

    @classmethod
    def from_json(cls, data: dict) -> "Program":
        return cls(path=data["path"], cells=[Cell(**c) for c in data["cells"]])


def _canonical(path: str) -> str:
    normal = posixpath.normpath("/" + path.lstrip("/"))
    if normal == "/Workspace" or normal.startswith("/Workspace/"):
        normal = normal[len("/Workspace"):] or "/"
    return normal


def split_cells(text: str) -> tuple[str, list[str]]:
    """Split source text into (comment prefix, raw cell texts); a file without header is one cell."""
    lines = text.splitlines()
    first = lines[0].strip() if lines else ""
    prefix = HEADERS.get(first)
    if prefix is None:
        return "#", [text]
    separator = f"{prefix} COMMAND ----------"
    cells, current = [], []
    for line in lines[1:]:
        if line.strip() == separator:
            cells.append("\n".join(current))
            current = []
        else:
            current.append(line)
    cells.append("\n".join(current))
    return prefix, cells


def _unmagic(raw: str, prefix: str) -> tuple[str | None, str]:
    """Return (magic name or None, body) for one raw cell."""
    magic_mark = f"{prefix} MAGIC"
    lines = [ln for ln in raw.splitlines() if not ln.startswith(f"{prefix} DBTITLE")]
    meaningful = [ln for ln in lines if ln.strip()]
    if meaningful and all(ln.startswith(magic_mark) for ln in meaningful):
        lines = [ln[len(magic_mark):][1:] if ln.startswith(magic_mark) else ln for ln in lines]
    body = "\n".join(lines).strip("\n")
    stripped = body.lstrip()
    match = re.match(r"%(\w+)", stripped)
    if not match:
        return None, body
    return match.group(1).lower(), stripped[match.end():]


def _parse_run_line(arguments: str, cell_label: str) -> tuple[str, dict[str, str]]:
    try:
        words = shlex.split(arguments.strip().splitlines()[0] if arguments.strip() else "")
    except ValueError as exc:
        raise NotebookSourceError(f"{cell_label}: cannot parse %run line: {exc}") from None
    if not words:
        raise NotebookSourceError(f"{cell_label}: %run needs a notebook path")
    widgets = {}
    for word in words[1:]:
        name, sep, value = word.partition("=")
        if not sep or not name.startswith("$"):
            raise NotebookSourceError(f"{cell_label}: %run arguments look like $name=value, got {word!r}")
        widgets[name[1:]] = value
    return words[0], widgets


# %fs COMMAND ARGS: Databricks runs it as dbutils.fs.COMMAND(ARGS), "-r" meaning recurse=True
# ("%fs is a shorthand for dbutils.fs": https://docs.databricks.com/dev-tools/databricks-utils.html).
_FS_COMMANDS = {"ls", "head", "put", "cp", "mv", "rm", "mkdirs", "mounts", "help", "refreshMounts"}


def fs_cell(body: str, path: str, number: int) -> Cell:
    """The Python a ``%fs`` cell stands for: the dbutils.fs call, its result displayed."""
    try:
        words = shlex.split(body.strip().splitlines()[0] if body.strip() else "help")
    except ValueError as exc:
        raise NotebookSourceError(f"{path}, cell {number}: cannot parse %fs line: {exc}") from None
    command, arguments = words[0], words[1:]
    if command not in _FS_COMMANDS:
        return Cell("unsupported", f"localspace does not emulate %fs {command}; it runs %fs "
                    f"{', '.join(sorted(_FS_COMMANDS))} (README section 'What each engine does')", path, number)
    recurse = any(a in ("-r", "--recurse") for a in arguments)
    overwrite = any(a in ("-f", "--overwrite") for a in arguments)
    positional = [repr(a) for a in arguments if not a.startswith("-")]
    if recurse:
        positional.append("recurse=True")
    if overwrite:
        positional.append("overwrite=True")
    return Cell("python", f"display(dbutils.fs.{command}({', '.join(positional)}))", path, number)


def build_program(path: str, read_notebook: Callable[[str], str]) -> Program:
    """Parse the notebook at ``path`` and inline every ``%run`` (recursively, refusing cycles)."""
    root = _canonical(path)
    return Program(path=root, cells=_expand(root, read_notebook, stack=()))


def _expand(path: str, read_notebook: Callable[[str], str], stack: tuple[str, ...]) -> list[Cell]:
    if path in stack:
        chain = " -> ".join(stack + (path,))
        raise NotebookSourceError(f"%run cycle: {chain}")
    try:
        text = read_notebook(path)
    except KeyError:
        if stack:
            raise NotebookSourceError(f"%run {path}: notebook not found (from {stack[-1]})") from None
        raise NotebookSourceError(f"Notebook not found: {path}") from None
    prefix, raws = split_cells(text)
    default_kind = "sql" if prefix == "--" else "python"
    cells: list[Cell] = []
    for number, raw in enumerate(raws, start=1):
        magic, body = _unmagic(raw, prefix)
        label = f"{path}, cell {number}"
        if magic is None:
            if body.strip():
                cells.append(Cell(default_kind, body, path, number))
        elif magic in ("md", "markdown"):
            continue
        elif magic in ("python", "sql", "pip"):
            if body.strip():
                cells.append(Cell(magic, body, path, number))
        elif magic == "fs":
            cells.append(fs_cell(body, path, number))
        elif magic == "run":
            target, widgets = _parse_run_line(body, label)
            resolved = _canonical(target if target.startswith("/")
                                  else posixpath.join(posixpath.dirname(path), target))
            included = _expand(resolved, read_notebook, stack + (path,))
            if widgets and included:
                included[0].widgets = {**widgets, **included[0].widgets}
            cells.extend(included)
        else:
            reason = UNSUPPORTED_MAGICS.get(magic, f"localspace does not emulate %{magic} cells ({LIMITS})")
            cells.append(Cell("unsupported", reason, path, number))
    return cells
