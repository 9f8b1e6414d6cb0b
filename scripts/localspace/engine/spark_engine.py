"""The spark engine: one local SparkSession hosts every notebook run and SQL statement.

Runs share the session's catalog, as notebooks on one cluster share a metastore, but each
gets ``newSession()`` so widgets-driven confs, temp views, the current catalog/schema and
streaming query managers stay apart. SQL statements from the sql room run on a fresh
``newSession()`` each, so ``SELECT count(*) FROM dev.sbit.users`` sees what the streams
wrote. Names, paths, Delta and Databricks' SQL are Spark's own business, configured in
spark_session.py; nothing here rewrites what a notebook says.
"""
from __future__ import annotations

import datetime
import decimal
import json
import logging
from typing import Optional

from ..paths import Paths
from .base import NotebookHandle, NotebookReader, NotebookTask, SqlColumn, SqlError, SqlResult
from .context import cluster_conf
from .notebook import Program
from .runner import one_line
from .shared import LocalEngine
from .spark_run import SparkRun
from .fileopen import mount
from .spark_session import runtime_conf, start_session, stop_session, user_facing
from .spark_writes import stream_batches

log = logging.getLogger("localspace.engine")

# pyspark DataType class name -> the type_name the Statement Execution API reports.
_TYPE_NAMES = {
    "LongType": "LONG", "IntegerType": "INT", "ShortType": "SHORT", "ByteType": "BYTE",
    "DoubleType": "DOUBLE", "FloatType": "FLOAT", "StringType": "STRING", "VarcharType": "STRING",
    "CharType": "STRING", "BooleanType": "BOOLEAN", "DateType": "DATE", "TimestampType": "TIMESTAMP",
    "TimestampNTZType": "TIMESTAMP_NTZ", "DecimalType": "DECIMAL", "BinaryType": "BINARY",
    "ArrayType": "ARRAY", "MapType": "MAP", "StructType": "STRUCT", "NullType": "NULL",
    "DayTimeIntervalType": "INTERVAL", "YearMonthIntervalType": "INTERVAL",
}


def _text(value) -> Optional[str]:
    """One value as the Statement API's JSON_ARRAY format writes it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="milliseconds").replace("+00:00", "") + "Z"
    if isinstance(value, (datetime.date, decimal.Decimal)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, (list, dict)) or hasattr(value, "asDict"):
        return json.dumps(_plain(value), default=str)
    return str(value)


def _plain(value):
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_ROW_METRICS = ("numOutputRows", "numTargetRowsInserted", "numTargetRowsUpdated",
                "numTargetRowsDeleted", "numDeletedRows", "numUpdatedRows")


def _changed_rows(metrics) -> bool:
    return any(int((metrics or {}).get(key, "0") or 0) > 0 for key in _ROW_METRICS)


class SparkEngine(LocalEngine):
    name = "spark"

    def __init__(self, paths: Paths, read_notebook: NotebookReader,
                 secrets: Optional[dict[str, dict[str, str]]] = None):
        super().__init__(paths, read_notebook, secrets)
        self.spark, self.startup_seconds = start_session(paths)
        self._unmount = mount(paths)  # notebooks run in this process: its open/os see volumes
        self._catalogs = self.spark._jvm.localspace.spark.Catalogs  # looked up once: Py4J finds
        # a class by trying to load each dotted prefix, a scan of every jar per try
        self._closed = False

    def _session(self, catalog: Optional[str], schema: Optional[str]):
        """A fresh session whose current catalog.schema is set (default main.default), that
        knows every catalog made so far (a folder may have come from the REST API)."""
        session = self.spark.newSession()
        self._catalogs.prepare(session._jsparkSession, self.spark._jsparkSession)  # Catalogs.java
        if catalog:
            session.catalog.setCurrentCatalog(catalog.lower())
        if schema:
            session.catalog.setCurrentDatabase(schema.lower())
        return session

    def _launch(self, program: Program, task: NotebookTask) -> NotebookHandle:
        session = self._session(None, None)
        conf = {**runtime_conf(task.spark_version), **cluster_conf(task.context, task.spark_version), **task.spark_conf}
        for key, value in conf.items():
            try:
                session.conf.set(key, value)  # the run's cluster's spark_conf, as on its driver
            except Exception:  # noqa: BLE001 - a JVM-wide setting: this cluster's is shared
                log.info("spark_conf %s cannot change on localspace's shared cluster", key)
        return SparkRun(program, task, session, self.paths, self.secrets, self.start_notebook)

    def execute_sql(self, statement: str, catalog: Optional[str] = None,
                    schema: Optional[str] = None) -> SqlResult:
        try:
            session = self._session(catalog, schema)
            frame = session.sql(statement)
            fields = frame.schema.fields
            rows = frame.collect() if fields else []
        except Exception as exc:  # noqa: BLE001 - every engine error is a FAILED statement
            raise SqlError(user_facing(one_line(exc).split(": ", 1)[-1])) from None
        columns = [SqlColumn(f.name, _TYPE_NAMES.get(type(f.dataType).__name__, "STRING"))
                   for f in fields]
        return SqlResult(columns=columns, rows=[[user_facing(_text(v)) for v in row] for row in rows])

    def table_versions(self) -> dict[str, list[float]]:
        """When each Delta table's rows changed, from its history: {"cat.schema.table":
        [epoch seconds, ...]} (the commits that wrote, updated or deleted rows)."""
        session = self._session(None, None)
        versions: dict[str, list[float]] = {}
        for catalog in sorted(p.name for p in self.paths.volumes_root.iterdir() if p.is_dir()):
            for (schema,) in session.sql(f"SHOW SCHEMAS IN `{catalog}`").collect():
                for row in session.sql(f"SHOW TABLES IN `{catalog}`.`{schema}`").collect():
                    name = f"{catalog}.{schema}.{row.tableName}"
                    history = session.sql(f"DESCRIBE HISTORY {name}").collect()
                    versions[name] = sorted(h.timestamp.replace(tzinfo=datetime.timezone.utc).timestamp()
                                            for h in history if _changed_rows(h.operationMetrics))
        return versions

    def stream_batches(self) -> dict[str, list[tuple[float, float, float]]]:
        """When each streaming query's batches ran: {name: [(began, writing, committed), ...]}
        (spark_writes.py)."""
        return stream_batches(self.spark)

    # -- Lakeflow Declarative Pipelines (the pipelines room; spark_pipeline.py runs them) --
    pipelines_refusal = None

    def start_pipeline(self, task):
        from .dbutils import DBUtils
        from .spark_pipeline import SparkPipelineUpdate
        return SparkPipelineUpdate(task, self._session(task.catalog, task.schema), self.paths,
                                   {"dbutils": DBUtils(self.paths, {}, self.secrets)})

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._cancel_all(timeout=15)
        stop_session(self.spark)
        self._unmount()
