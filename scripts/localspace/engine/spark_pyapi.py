"""Where Databricks Runtime's pyspark differs from open-source pyspark, as notebook code sees it.

- **Methods Databricks adds.** A notebook calls them on pyspark's own classes, so there is
  no configuration that could supply them: each is added to the class once, when the engine
  starts, only where pyspark does not define it already, and only as what Databricks
  documents it to be (an alias of an open-source method).
- **The session a notebook's code finds.** On Databricks every notebook has a Python process
  of its own, whose one session is the notebook's ``spark``: ``SparkSession.builder
  .getOrCreate()``, ``SparkSession.getActiveSession()`` and ``SparkSession.active()`` in a
  notebook, in a ``%run`` notebook or in a module it imports all return that session (with its
  current catalog, schema, conf and temp views; getOrCreate "returns the global default" and
  applies the builder's options to it: Databricks PySpark reference, SparkSession.Builder
  getOrCreate). localspace runs every notebook in one process, each in a thread of its own, so
  the run's thread names its session (``make_active``) and those three calls return it there,
  as they do inside a ``foreachBatch`` function (Py4J calls it on a thread of its own; the
  function is wrapped to name the session whose stream it serves). On any other thread they
  are pyspark's own. The wrapper's frame is cut from traces (runner.without_own_frames).
- **A stream that fails while the code still runs.** On Databricks "a failure in any active
  streaming query causes the active run to fail" (Databricks docs, "Production considerations
  for Structured Streaming"), also when the code never awaited the query. Spark forgets a
  failed query once another is awaited or reset, so each session's started queries are kept
  here (``unseen_failure``), with the failures the code was handed (an await raised it, or
  ``exception()`` returned it): those it handled, as the Auto Loader schema-evolution retry
  loop does, do not fail the run.
- **What a caught error says.** Unity Catalog schemas live in session-catalog databases
  (``dev.sbit`` in ``spark_catalog.dev__sbit``, see UnityCatalog.java), and Spark's analyzer
  names the database in some messages (plans, Delta's write checks). A notebook that catches
  an error and logs or matches ``str(e)`` must read ``dev.sbit``, as on Databricks, so pyspark's
  exception objects carry the text run errors already get (``spark_session.user_facing``):
  display only, no SQL is rewritten. ``getMessage()`` of a Delta error also works here (open
  Spark's registry lacks Delta's error classes, so pyspark's own call raises).
"""
from __future__ import annotations

import functools
import threading
import weakref
from typing import Optional

class _ThreadSession(threading.local):
    session = None   # the notebook (or pipeline) session of this thread, if it has one


_thread = _ThreadSession()


def make_active(session) -> None:
    """``session`` is this thread's: in the JVM (Spark reads the current conf and catalogs from
    the thread's active session) and for the pyspark calls above."""
    session._jvm.org.apache.spark.sql.SparkSession.setActiveSession(session._jsparkSession)
    _thread.session = session


_started = weakref.WeakKeyDictionary()  # session -> the StreamingQuery objects started from it
_handed: set[str] = set()               # ids of queries whose failure the code was handed


def unseen_failure(session) -> Optional[Exception]:
    """The error of a query started from ``session`` that has ended with one the code was
    never handed, if there is such a query."""
    from pyspark.sql.streaming import StreamingQuery
    for query in _started.get(session, ()):
        if not query.isActive and query.id not in _handed:
            error = StreamingQuery.exception.__wrapped__(query)
            if error is not None:
                return error
    return None


def forget(session) -> None:
    """The run of ``session`` has ended."""
    for query in _started.pop(session, ()):
        _handed.discard(query.id)


def _record_streams() -> None:
    from pyspark.errors import StreamingQueryException
    from pyspark.sql.streaming import DataStreamWriter, StreamingQuery, StreamingQueryManager

    def recorded(start):
        @functools.wraps(start)
        def starting(self, *args, **kwargs):
            query = start(self, *args, **kwargs)
            _started.setdefault(self._spark, []).append(query)
            return query
        return starting

    await_query, await_any, exception = (StreamingQuery.awaitTermination,
                                         StreamingQueryManager.awaitAnyTermination, StreamingQuery.exception)

    @functools.wraps(await_query)
    def awaitTermination(self, timeout=None):
        try:
            return await_query(self, timeout)
        except StreamingQueryException:
            _handed.add(self.id)
            raise

    @functools.wraps(await_any)
    def awaitAnyTermination(self, timeout=None):
        try:
            return await_any(self, timeout)
        except StreamingQueryException:
            for session, queries in list(_started.items()):
                if session._jsparkSession.streams().equals(self._jsqm):
                    _handed.update(q.id for q in queries if not q.isActive)
            raise

    @functools.wraps(exception)
    def handed_exception(self):
        error = exception(self)
        if error is not None:
            _handed.add(self.id)
        return error

    DataStreamWriter.start = recorded(DataStreamWriter.start)
    DataStreamWriter.toTable = recorded(DataStreamWriter.toTable)
    StreamingQuery.awaitTermination = awaitTermination
    StreamingQueryManager.awaitAnyTermination = awaitAnyTermination
    StreamingQuery.exception = handed_exception


def add_databricks_methods() -> None:
    from pyspark.sql import SparkSession
    from pyspark.sql.streaming import DataStreamWriter

    # "table (DataStreamWriter): Alias for toTable()" (Databricks PySpark reference,
    # https://docs.databricks.com/aws/en/pyspark/reference/classes/datastreamwriter/table);
    # the Databricks courses' bronze streams end in `.writeStream ... .table("bronze")`.
    if not hasattr(DataStreamWriter, "table"):
        def table(self, tableName: str):
            return self.toTable(tableName)
        table.__doc__ = "Alias for toTable() (Databricks Runtime)."
        DataStreamWriter.table = table

    if getattr(SparkSession.Builder.getOrCreate, "_notebook_aware", False):
        return  # an earlier engine in this process did it
    get_or_create = SparkSession.Builder.getOrCreate
    get_active = SparkSession.getActiveSession.__func__

    def getOrCreate(self):
        session = _thread.session
        if session is None:
            return get_or_create(self)
        # What pyspark does when a session exists already: the builder's options that a
        # session may change are applied to it.
        SparkSession._get_j_spark_session_module(session._jvm).applyModifiableSettings(
            session._jsparkSession, self._options)
        return session

    def getActiveSession(cls):
        session = _thread.session
        return session if session is not None else get_active(cls)

    for_each_batch = DataStreamWriter.foreachBatch

    def foreachBatch(self, func):
        session = self._spark  # the session that built the stream: the notebook's

        def in_the_streams_session(batch_df, batch_id):
            previous = _thread.session
            _thread.session = session
            try:
                return func(batch_df, batch_id)
            finally:
                _thread.session = previous
        return for_each_batch(self, functools.wraps(func)(in_the_streams_session))

    foreachBatch.__doc__ = for_each_batch.__doc__
    DataStreamWriter.foreachBatch = foreachBatch
    getOrCreate.__doc__ = get_or_create.__doc__
    getOrCreate._notebook_aware = True
    getActiveSession.__doc__ = get_active.__doc__
    SparkSession.Builder.getOrCreate = getOrCreate
    SparkSession.getActiveSession = classmethod(getActiveSession)
    _record_streams()
    _name_schemas_in_errors()


def _name_schemas_in_errors() -> None:
    from pyspark.errors.exceptions.captured import CapturedException
    from .spark_session import user_facing

    init, get_message = CapturedException.__init__, CapturedException.getMessage

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._desc, self._stackTrace = user_facing(self._desc), user_facing(self._stackTrace)

    @functools.wraps(get_message)
    def getMessage(self):
        from py4j.protocol import Py4JJavaError
        try:
            return user_facing(get_message(self))
        except Py4JJavaError:  # an error class only Delta's registry knows
            return user_facing(self._origin.getMessage())

    CapturedException.__init__ = __init__
    CapturedException.getMessage = getMessage
