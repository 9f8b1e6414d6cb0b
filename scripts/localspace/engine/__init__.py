"""Engines that execute notebooks and SQL for localspace (see base.py for the interface).

``make_engine`` is the only constructor the server uses, so choosing an engine ("auto"
picks spark when pyspark and Java are both present) happens in one place.
"""
from __future__ import annotations

import importlib.util
import shutil
from typing import Optional

from ..config import WorkspaceConfig
from ..paths import Paths
from .base import Engine, NotebookReader

ENGINE_NAMES = ("auto", "python", "spark")


def spark_available() -> bool:
    """True when the spark engine can start: pyspark and delta-spark importable and ``java``
    on PATH (Delta's jars and localspace's classes come from engine/jvm.py)."""
    return all(importlib.util.find_spec(m) is not None for m in ("pyspark", "delta")) \
        and shutil.which("java") is not None


def make_engine(name: str, paths: Paths, read_notebook: NotebookReader,
                secrets: Optional[dict[str, dict[str, str]]] = None, config=None) -> Engine:
    """``config`` (a WorkspaceConfig, default: a serverless workspace) is set on the engine."""
    engine = _construct(name, paths, read_notebook, secrets)
    engine.config = config if config is not None else WorkspaceConfig()
    return engine


def _construct(name: str, paths: Paths, read_notebook: NotebookReader,
               secrets: Optional[dict[str, dict[str, str]]]) -> Engine:
    if name not in ENGINE_NAMES:
        raise ValueError(f"Unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")
    if name == "auto":
        name = "spark" if spark_available() else "python"
    if name == "spark":
        if not spark_available():
            raise RuntimeError("The spark engine needs pyspark, delta-spark and Java 17 (`java` on PATH); "
                               "install a JDK (e.g. apt-get install openjdk-17-jre-headless) "
                               "or start localspace with --engine python")
        from .spark_engine import SparkEngine
        return SparkEngine(paths, read_notebook, secrets)
    from .python_engine import PythonEngine
    return PythonEngine(paths, read_notebook, secrets)
