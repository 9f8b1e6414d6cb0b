"""The one interface between the emulator's rooms and whatever executes code.

The jobs room starts notebook task runs and the sql room executes statements; neither knows
whether a plain-Python subprocess or a shared SparkSession does the work. An engine is
built once per server and shared by every run and statement, as one cluster is shared by
the notebooks attached to it.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Callable, Optional

from .context import RunContext


@dataclass
class NotebookTask:
    """What the jobs room asks an engine to run: one notebook task run."""

    run_id: int                      # the task run's id (what get-output is asked with)
    notebook_path: str               # absolute workspace path, e.g. /Workspace/Shared/x/run or /Shared/x/run
    parameters: dict[str, str] = field(default_factory=dict)  # base_parameters overlaid by notebook_params
    spark_conf: dict[str, str] = field(default_factory=dict)  # the task's cluster's spark_conf
    spark_version: str = ""          # the cluster's Databricks Runtime, e.g. 15.4.x-scala2.12 ("": serverless)
    serverless: bool = False         # the task names no compute: serverless jobs compute
    task_key: str = ""
    task_values: dict[str, dict] = field(default_factory=dict)  # the job run's taskValues by task key, shared
    context: RunContext = field(default_factory=RunContext)    # what getContext() answers (context.py)


@dataclass
class NotebookResult:
    """How a notebook run ended, in the words get-output uses."""

    result_state: str                # SUCCESS | FAILED | CANCELED
    exit_value: Optional[str] = None # dbutils.notebook.exit(value), as a string
    error: Optional[str] = None      # one line, e.g. "ZeroDivisionError: division by zero"
    error_trace: Optional[str] = None
    logs: str = ""                   # what the notebook printed (for the run page)


class NotebookHandle(abc.ABC):
    """A running notebook. ``cancel`` returns at once; the run ends within 2 seconds."""

    @abc.abstractmethod
    def result(self, timeout: float) -> Optional[NotebookResult]:
        """Wait up to ``timeout`` seconds; None while the notebook still runs."""

    @abc.abstractmethod
    def cancel(self) -> None:
        """Stop the notebook (even one that sleeps or loops forever); result becomes CANCELED."""


@dataclass
class SqlColumn:
    name: str
    type_name: str                   # Databricks type names: STRING, LONG, INT, DOUBLE, BOOLEAN, ...


@dataclass
class SqlResult:
    columns: list[SqlColumn]
    rows: list[list[Optional[str]]]  # every value a string or None, as the Statement API returns


class SqlError(Exception):
    """A statement that failed in the engine (becomes state FAILED, HTTP 200)."""

    def __init__(self, message: str, error_code: str = "BAD_REQUEST"):
        super().__init__(message)
        self.error_code = error_code


class Engine(abc.ABC):
    """Runs notebooks and SQL for the whole emulator."""

    name: str = "base"
    # The workspace this engine serves (localspace.config.WorkspaceConfig), set by make_engine
    # right after construction: e.g. ``config.serverless`` says whether runs are serverless.
    config = None

    @abc.abstractmethod
    def start_notebook(self, task: NotebookTask) -> NotebookHandle:
        """Start the task in the background and return at once."""

    @abc.abstractmethod
    def execute_sql(self, statement: str, catalog: Optional[str] = None,
                    schema: Optional[str] = None) -> SqlResult:
        """Run one statement to completion; raise SqlError when it fails."""

    def close(self) -> None:
        """Stop everything still running; called once when the server stops."""

    # Lakeflow Declarative Pipelines: None when this engine runs them, else the one line
    # the pipelines room answers a start_update with.
    pipelines_refusal: Optional[str] = (
        'localspace does not emulate Lakeflow Declarative Pipelines on the python engine (see README '
        '"What each engine does"); start localspace with --engine spark')

    def start_pipeline(self, task: "PipelineUpdateTask") -> "PipelineHandle":
        """Start one pipeline update in the background and return at once."""
        raise NotImplementedError(self.pipelines_refusal)


# How an engine finds notebook source in the emulator's workspace store: given a workspace
# path (with or without the /Workspace prefix), return the notebook's source text, or raise
# KeyError when there is no notebook there.
NotebookReader = Callable[[str], str]


# -- Lakeflow Declarative Pipelines (the pipelines room) ---------------------------------------

@dataclass
class PipelineSource:
    """One source file of a pipeline: a workspace notebook (source format) or file."""

    path: str                        # workspace path, without /Workspace
    language: str                    # PYTHON | SQL
    text: str


@dataclass
class PipelineUpdateTask:
    """What the pipelines room asks an engine to run: one update of one pipeline."""

    pipeline_id: str
    update_id: str
    catalog: str                     # where the pipeline's tables go (catalog.schema)
    schema: str
    sources: list[PipelineSource]
    configuration: dict[str, str]    # readable with spark.conf.get in the pipeline's code
    continuous: bool                 # keep processing new data until stopped
    full_refresh: bool               # clear tables and checkpoints first
    storage: str                     # dbfs: folder for checkpoints (the spec's ``storage``)
    # emit(event_type, message, level="INFO", details=None, error=None, **origin): one event-log entry
    emit: Callable[..., None] = print
    # set_state(state): the update moves on (RESETTING, SETTING_UP_TABLES, RUNNING)
    set_state: Callable[[str], None] = print
    # tables(names): the full names of the tables the pipeline defines (dropped with it)
    tables: Callable[[list[str]], None] = print


@dataclass
class PipelineResult:
    state: str                       # COMPLETED | FAILED | CANCELED
    error: Optional[str] = None      # the user's exception, one line


class PipelineHandle(abc.ABC):
    """A running update. ``stop`` returns at once; the update ends within seconds."""

    @abc.abstractmethod
    def result(self, timeout: float) -> Optional[PipelineResult]:
        """Wait up to ``timeout`` seconds; None while the update still runs."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop every flow; result becomes CANCELED (unless it already ended)."""
