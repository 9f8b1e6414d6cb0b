"""A pipeline's source files as code to run: their cells, and the builtins that code gets.

A pipeline notebook is one language (Python or SQL); markdown cells go, ``%pip install``
passes when the packages are there (as in notebooks, runner.pip_cell), other magics refuse.
Python code gets a notebook's builtins (spark_run.py: mapped ``open`` and ``os``,
interruptible ``time``) whose ``import dlt`` and ``from pyspark import pipelines`` give the
pipeline module (dlt_graph.dlt_module).
"""
from __future__ import annotations

import threading
import types
from typing import Optional

from ..paths import Paths
from .base import PipelineSource
from .dlt_graph import PipelineDefinitionError
from .notebook import UNSUPPORTED_MAGICS, _unmagic, split_cells
from .runner import NotSupportedOnLocalspace, pip_cell


def cells(source: PipelineSource) -> list[str]:
    """The code cells of a notebook (or the whole file); markdown goes, ``%pip install`` passes
    when the packages are installed (runner.pip_cell). A pipeline source is one language: a
    ``%sql`` cell in a Python notebook (or the reverse) and other magics refuse."""
    prefix, raws = split_cells(source.text)
    language = source.language.lower()
    out = []
    for raw in raws:
        magic, body = _unmagic(raw, prefix)
        if magic in ("md", "markdown"):
            continue
        if magic == "pip" and language == "python":
            try:
                pip_cell(body)   # Databricks installs; here the packages must be there already
            except NotSupportedOnLocalspace as refused:
                raise PipelineDefinitionError(f"{source.path}: {refused}") from None
            continue
        if magic is not None and magic != language:
            reason = UNSUPPORTED_MAGICS.get(magic, f"a {language} pipeline source runs {language} cells only")
            raise PipelineDefinitionError(f"{source.path}: localspace does not emulate %{magic} cells in pipeline "
                                          f"source code ({reason}).")
        if body.strip():
            out.append(body)
    return out


def builtins_for(module, paths: Paths, stop: threading.Event, source_path: Optional[str] = None) -> dict:
    """A notebook's builtins (spark_run.py: mapped ``open`` and ``os``, interruptible
    ``time``, workspace files beside ``source_path`` importable) whose ``import dlt`` /
    ``from pyspark import pipelines`` give the pipeline module."""
    from .spark_run import notebook_builtins
    namespace = notebook_builtins(paths, stop, source_path)
    notebook_import = namespace["__import__"]
    pyspark_view = _pyspark_view("pyspark", module)

    def __import__(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
        if level == 0 and name == "dlt":
            return module
        if level == 0 and name == "pyspark.pipelines":
            return module if fromlist else pyspark_view
        if level == 0 and name == "pyspark" and fromlist and "pipelines" in fromlist:
            return pyspark_view
        return notebook_import(name, globals, locals, fromlist, level)

    namespace["__import__"] = __import__
    return namespace


def _pyspark_view(name: str, pipelines_module):
    """``pyspark`` as pipeline code sees it: the real package, whose ``pipelines`` is ours."""
    import pyspark

    class _View(types.ModuleType):
        def __getattr__(self, attr):
            return pipelines_module if attr == "pipelines" else getattr(pyspark, attr)

    return _View(name)
