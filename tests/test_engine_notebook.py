"""The source-format parser: cells, magics and %run inlining."""
from __future__ import annotations

import pytest

from engine_support import Workspace, notebook
from localspace.engine.notebook import NotebookSourceError, Program, build_program


def _program(ws: Workspace, path: str) -> Program:
    return build_program(path, ws.read)


def test_cells_magics_and_markdown():
    ws = Workspace()
    ws.add("/Shared/p/main", notebook(
        "# DBTITLE 1,Setup\nx = 1",
        "# MAGIC %md\n# MAGIC # A heading",
        "# MAGIC %sql\n# MAGIC SELECT 1;\n# MAGIC SELECT 2",
        "# MAGIC %sh ls",
        "",
        "# MAGIC %python\n# MAGIC y = 2"))
    cells = _program(ws, "/Workspace/Shared/p/main").cells
    assert [(c.kind, c.number) for c in cells] == [("python", 1), ("sql", 3), ("unsupported", 4),
                                                    ("python", 6)]
    assert cells[0].source == "x = 1"
    assert cells[1].source.strip() == "SELECT 1;\nSELECT 2"
    assert cells[2].source.startswith("localspace does not emulate %sh cells")
    assert cells[3].source.strip() == "y = 2"  # line 1 is the %python line, as in the UI
    assert cells[0].label == "<notebook /Shared/p/main, cell 1>"


def test_run_inlines_relative_notebooks_recursively():
    ws = Workspace()
    ws.add("/Shared/p/main", notebook("# MAGIC %run ./lib/config", "print(a, b)"))
    ws.add("/Shared/p/lib/config", notebook("a = 1", "# MAGIC %run ../common $env=\"dev\""))
    ws.add("/Shared/p/common", notebook("b = 2"))
    cells = _program(ws, "/Shared/p/main").cells
    assert [(c.notebook, c.number, c.source) for c in cells] == [
        ("/Shared/p/lib/config", 1, "a = 1"),
        ("/Shared/p/common", 1, "b = 2"),
        ("/Shared/p/main", 2, "print(a, b)"),
    ]
    assert cells[1].widgets == {"env": "dev"}


def test_run_cycle_and_missing_target_are_clear_errors():
    ws = Workspace()
    ws.add("/Shared/a", notebook("# MAGIC %run ./b"))
    ws.add("/Shared/b", notebook("# MAGIC %run /Shared/a"))
    with pytest.raises(NotebookSourceError, match=r"%run cycle: /Shared/a -> /Shared/b -> /Shared/a"):
        _program(ws, "/Shared/a")
    ws.add("/Shared/c", notebook("# MAGIC %run ./missing"))
    with pytest.raises(NotebookSourceError, match="%run /Shared/missing: notebook not found"):
        _program(ws, "/Shared/c")
    with pytest.raises(NotebookSourceError, match="Notebook not found: /Shared/none"):
        _program(ws, "/Shared/none")


def test_file_without_header_is_one_python_cell_and_program_round_trips():
    ws = Workspace()
    ws.add("/Shared/plain", "x = 1\n# COMMAND ----------\ny = 2\n")
    program = _program(ws, "/Shared/plain")
    assert len(program.cells) == 1
    assert Program.from_json(program.to_json()) == program


def test_sql_notebook_source():
    ws = Workspace()
    ws.add("/Shared/q", "-- Databricks notebook source\nSELECT 1\n-- COMMAND ----------\n"
                        "-- MAGIC %md\n-- MAGIC note\n")
    cells = _program(ws, "/Shared/q").cells
    assert [(c.kind, c.source) for c in cells] == [("sql", "SELECT 1")]
