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
"""
from __future__ import annotations

import functools
import threading

class _ThreadSession(threading.local):
    session = None   # the notebook (or pipeline) session of this thread, if it has one


_thread = _ThreadSession()


def make_active(session) -> None:
    """``session`` is this thread's: in the JVM (Spark reads the current conf and catalogs from
    the thread's active session) and for the pyspark calls above."""
    session._jvm.org.apache.spark.sql.SparkSession.setActiveSession(session._jsparkSession)
    _thread.session = session


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
