"""Execute a Program's cells in one namespace and describe how it ended.

Shared by both engines so a notebook behaves the same in a child process (python engine)
and in a thread next to the SparkSession (spark engine): the same cell order, the same
``%sql`` handling, the same error text. Each cell is compiled under its own pseudo file name
and registered with ``linecache``, so ``error_trace`` reads "notebook /Shared/x/run, cell 3"
with the offending source line, and frames of this runner are cut from it.
"""
from __future__ import annotations

import importlib.metadata
import itertools
import linecache
import os
import re
import textwrap
import traceback
from dataclasses import dataclass
from typing import Callable, Optional

from .dbutils import NotebookExit, NotSupportedOnLocalspace
from .notebook import Cell, Program
from .sqltext import split_statements, strip_comments


class RunCanceled(BaseException):
    """Raised inside a notebook the spark engine is canceling (not catchable by ``except Exception``)."""


@dataclass
class Outcome:
    state: str                       # SUCCESS | FAILED | CANCELED
    exit_value: Optional[str] = None
    error: Optional[str] = None
    error_trace: Optional[str] = None


def one_line(exc: BaseException) -> str:
    """'ExcType: first line of the message', as get-output's ``error`` shows it.

    A Java exception pyspark did not translate (a ``Py4JJavaError``, e.g. a failed read)
    says only "An error occurred while calling o1628.collectToPython."; its Java side says
    what happened, so that is what is shown (``_java_error``). A foreachBatch function's own
    exception replaces Py4J's "Return Message: Traceback (most recent call last):" in it."""
    name, text = _java_error(exc) or (type(exc).__name__, str(exc))
    text = text.strip()
    first = text.splitlines()[0].strip() if text else ""
    if _PYTHON_PROXY in first:
        first = first.split(_PYTHON_PROXY, 1)[0] + (_python_error(text) or "")
    return f"{name}: {first}" if first else name


def _java_error(exc: BaseException) -> Optional[tuple[str, str]]:
    """(class name, message) of the Java exception behind a Py4J error, else None: the first
    in the cause chain that carries a Spark error condition (``[FAILED_READ_FILE.NO_HINT]
    ...``), or the root cause when none does ("Job aborted" wraps the real error)."""
    java = getattr(exc, "java_exception", None)
    if java is None:
        return None
    try:
        chain = [java]
        while len(chain) < 20 and chain[-1].getCause() is not None:
            chain.append(chain[-1].getCause())
        chosen = next((j for j in chain if _condition(j)), chain[-1])
        return chosen.getClass().getSimpleName(), chosen.getMessage() or ""
    except Exception:  # noqa: BLE001 - the JVM is gone (shutdown): keep Py4J's own text
        return None


# Py4J's wrapper of an exception that Python code called back from the JVM raised (a
# foreachBatch function): its message is the Python traceback, which ends in the exception.
_PYTHON_PROXY = "An exception was raised by the Python Proxy. Return Message: "
_RAISED = re.compile(r"^(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*: .*)$")


def _python_error(text: str) -> Optional[str]:
    """'AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] ...': the last line of the Python
    traceback in Py4J's message that names the exception, without its module path."""
    lines = text.split(_PYTHON_PROXY, 1)[-1].splitlines()
    frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
    for line in lines[frames[-1] + 1 if frames else 0:]:
        match = _RAISED.match(line)
        if match:
            return match[1]
    return None


def _condition(java) -> Optional[str]:
    try:
        return java.getCondition()  # SparkThrowable (Spark 4): "FAILED_READ_FILE.NO_HINT"
    except Exception:  # noqa: BLE001 - not a SparkThrowable
        return None


# localspace's own code (dbutils, the shims): its frames are not the user's business.
_OWN_CODE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def without_own_frames(text: Optional[str]) -> Optional[str]:
    """A trace's text without the frames of localspace's own code (each frame's ``File`` line
    and the source and caret lines under it). For traces that are text already: the Python
    traceback Py4J puts in a Java exception's message (a foreachBatch function that raised)."""
    if not text:
        return text
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        frame = line.lstrip().startswith('File "')
        if frame:
            skipping = line.lstrip()[len('File "'):].startswith(_OWN_CODE)
        elif skipping and not line.startswith("    "):
            skipping = False
        if not skipping:
            kept.append(line)
    return "".join(kept)


def _notebook_traceback(exc: BaseException, cell: Cell) -> str:
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<notebook "):
        tb = tb.tb_next
    shown = traceback.TracebackException(type(exc), exc, tb)
    shown.stack = traceback.StackSummary.from_list(
        [frame for frame in shown.stack if not frame.filename.startswith(_OWN_CODE)])
    lines = list(shown.format())
    if tb is None:  # raised outside notebook code (a %sql cell, an unsupported magic)
        lines.insert(0, f'File "{cell.label}"\n')
    return "".join(lines)


def failure(exc: BaseException, cell: Cell) -> Outcome:
    return Outcome("FAILED", error=one_line(exc), error_trace=_notebook_traceback(exc, cell))


_DISPLAY_QUERIES = itertools.count(1)


def display(value=None, *args, streamName: Optional[str] = None, processingTime: Optional[str] = None,
            checkpointLocation: Optional[str] = None, **kwargs) -> None:
    """Databricks' display(): show a frame's rows, print anything else.

    A streaming DataFrame starts a streaming query, as in a Databricks notebook, which shows
    its results live: here into a memory table named ``streamName`` (default
    ``display_query_N``, Databricks' name) that the notebook can query, with the
    ``processingTime`` and ``checkpointLocation`` Databricks' display takes. Like any stream,
    it keeps the run going until it stops. Complete mode when append cannot run it (an
    aggregation without a watermark)."""
    if value is None:
        return
    if getattr(value, "isStreaming", False) is True:
        _display_stream(value, streamName or f"display_query_{next(_DISPLAY_QUERIES)}",
                        processingTime, checkpointLocation)
        return
    show = getattr(value, "show", None)
    if callable(show):
        show(truncate=False) if _accepts_truncate(show) else show()
    else:
        print(value)


def _display_stream(frame, name: str, processing_time: Optional[str], checkpoint: Optional[str]) -> None:
    from pyspark.errors import AnalysisException
    for mode in ("append", "complete"):
        writer = frame.writeStream.format("memory").queryName(name).outputMode(mode)
        if processing_time:
            writer = writer.trigger(processingTime=processing_time)
        if checkpoint:
            writer = writer.option("checkpointLocation", checkpoint)
        try:
            writer.start()
            return
        except AnalysisException:
            if mode == "complete":
                raise


def _accepts_truncate(show) -> bool:
    try:
        import inspect
        return "truncate" in inspect.signature(show).parameters
    except (TypeError, ValueError):
        return False


# Widget values in SQL cells: `:name` parameter markers (Databricks Runtime 15.2+) and the
# legacy `${name}` text substitution (15.1 and below, deprecated since), as in Databricks'
# "Databricks widgets" and "Legacy notebook widgets: ${param}"; only names of widgets or job
# parameters are replaced.
_MARKER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_LEGACY_WIDGET = re.compile(r"(?<!\\)\$\{(\w+)\}")


# Widgets declared in SQL (Databricks docs, "Databricks widgets": "CREATE WIDGET TEXT state
# DEFAULT 'CA'", "... DROPDOWN state DEFAULT 'CA' CHOICES SELECT ...", "REMOVE WIDGET state").
_CREATE_WIDGET = re.compile(
    r"CREATE\s+WIDGET\s+(TEXT|DROPDOWN|COMBOBOX|MULTISELECT)\s+`?(\w+)`?\s+DEFAULT\s+"
    r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")(?:\s+CHOICES\s+(.+?))?", re.I | re.S)
_REMOVE_WIDGET = re.compile(r"REMOVE\s+WIDGET\s+`?(\w+)`?", re.I)


def _widget_statement(statement: str, namespace: dict) -> bool:
    """Declare or remove a widget for a CREATE WIDGET / REMOVE WIDGET statement; False for
    any other statement. The choices are the first column of the CHOICES query."""
    widgets = namespace["dbutils"].widgets
    statement = strip_comments(statement)
    if (removed := _REMOVE_WIDGET.fullmatch(statement)):
        widgets.remove(removed.group(1))
        return True
    created = _CREATE_WIDGET.fullmatch(statement)
    if not created:
        return False
    kind, name, quoted, query = created.groups()
    default = re.sub(r"\\(.)", r"\1", quoted[1:-1])
    if kind.upper() == "TEXT":
        widgets.text(name, default)
    else:
        choices = [str(row[0]) for row in namespace["spark"].sql(query).collect()] if query else [default]
        getattr(widgets, kind.lower())(name, default, choices)
    return True


def _run_sql_cell(cell: Cell, namespace: dict) -> None:
    result = None
    for statement in split_statements(cell.source):
        if _widget_statement(statement, namespace):
            continue
        widgets = namespace["dbutils"].widgets.getAll()
        statement = _LEGACY_WIDGET.sub(lambda m: widgets.get(m.group(1), m.group(0)), statement)
        markers = {name: widgets[name] for name in _MARKER.findall(statement) if name in widgets}
        result = namespace["spark"].sql(statement, args=markers) if markers else namespace["spark"].sql(statement)
    if result is not None:
        namespace["_sqldf"] = result
        if getattr(result, "columns", None):
            namespace["display"](result)


def pip_cell(source: str) -> str:
    """``%pip install pkg ...``: on Databricks it installs into the notebook's environment.
    localspace installs nothing (the emulator's environment is the notebook's), so the cell
    passes when every package it names is already there and says which are missing if not."""
    words = source.split()  # the cell after its %pip
    if words[:1] != ["install"]:
        raise NotSupportedOnLocalspace(f"localspace does not emulate %pip {' '.join(words[:1])}; only %pip install "
                                       "of packages already installed (README section 'What each engine does')")
    names = [w for w in words[1:] if not w.startswith("-")]
    if any(w.startswith("-") and w not in ("-q", "--quiet", "-U", "--upgrade") for w in words[1:]):
        raise NotSupportedOnLocalspace("localspace does not emulate %pip install options other than -q and -U "
                                       "(README section 'What each engine does')")
    missing = []
    for requirement in names:
        name = re.split(r"[<>=!~\[;@ ]", requirement, maxsplit=1)[0]
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(requirement)
    if missing:
        raise NotSupportedOnLocalspace(
            f"localspace does not install packages; install {' '.join(missing)} into the emulator's "
            "environment (pip install ...) and run again (README section 'What each engine does')")
    return f"localspace: %pip install: {' '.join(names)} already installed in the emulator's environment"


def _run_cell(cell: Cell, namespace: dict) -> None:
    if cell.kind == "python":
        # Python cells run on IPython (Databricks Runtime 11+, "IPython kernel"), which drops
        # the indentation a cell's code starts with before compiling it.
        source = textwrap.dedent(cell.source)
        linecache.cache[cell.label] = (len(source), None, source.splitlines(keepends=True), cell.label)
        exec(compile(source, cell.label, "exec", dont_inherit=True), namespace)  # not our __future__
    elif cell.kind == "sql":
        _run_sql_cell(cell, namespace)
    elif cell.kind == "pip":
        print(pip_cell(cell.source))
    else:
        raise NotSupportedOnLocalspace(cell.source)


def run_program(program: Program, namespace: dict,
                stopped: Optional[Callable[[], bool]] = None) -> Outcome:
    """Run every cell in order; the first failure ends the notebook, as in a job run.

    ``stopped`` is asked before each cell, so a run that was canceled (or whose stream the
    compute refused) never starts another one; the caller says why it stopped.
    """
    for cell in program.cells:
        if stopped is not None and stopped():
            return Outcome("CANCELED")
        try:
            if cell.widgets:
                namespace["dbutils"].widgets._set_arguments(cell.widgets)
            _run_cell(cell, namespace)
        except NotebookExit as exit_:
            return Outcome("SUCCESS", exit_value=exit_.value)
        except RunCanceled:
            return Outcome("CANCELED")
        except SystemExit as exc:
            if exc.code in (None, 0):
                return Outcome("SUCCESS")
            return failure(exc, cell)
        except BaseException as exc:  # noqa: BLE001 - a notebook failure of any kind
            return failure(exc, cell)
    return Outcome("SUCCESS")
