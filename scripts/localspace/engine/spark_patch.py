"""Teach pyspark, in this process only, the names and paths Databricks notebooks use.

Notebooks say ``spark.readStream.load("/Volumes/dev/sbit/landing")``,
``.option("checkpointLocation", "dbfs:/checkpoints/bronze")`` and
``.toTable("dev.sbit.bronze")``. Here volumes and DBFS are folders under the emulator's root
and Unity Catalog names are Spark databases (spark_names.py). Rather than a Hadoop
filesystem (which needs jars), the few pyspark methods that take a path, a table name, a
format or SQL text are wrapped, once, here; nothing else in the engine knows about it.

Formats: ``delta`` raises DeltaNotAvailable (no Delta jars on these machines).
``cloudFiles`` (Auto Loader) reads as the plain file source named by ``cloudFiles.format``,
with schema inference on and the other ``cloudFiles.*`` options ignored.

Writes to tables are reported to the engine's TableWrites (spark_writes.py) as they
complete: the table-writing methods say so after they return, and a stream's ``start`` or
``toTable`` puts the batch listener on its session first.

There is one SparkContext per process, hence one active mapping: ``install(paths, writes)``
sets it, ``uninstall()`` restores pyspark as it was.
"""
from __future__ import annotations

import functools
import logging
from typing import Callable, Optional

from pyspark.sql import SparkSession
from pyspark.sql.catalog import Catalog
from pyspark.sql.classic.dataframe import DataFrame
from pyspark.sql.readwriter import DataFrameReader, DataFrameWriter, DataFrameWriterV2
from pyspark.sql.streaming.readwriter import DataStreamReader, DataStreamWriter
from pyspark.sql.types import StructType

from ..paths import Paths
from .fileopen import is_databricks_path
from .spark_names import SqlTranslator, map_table_name, qualified_name, split_name
from .spark_writes import TableWrites
from .sqltext import DeltaNotAvailable, written_table

log = logging.getLogger("localspace.engine")

_PATH_OPTIONS = {"path", "checkpointlocation"}
_READERS = (DataFrameReader, DataStreamReader)
_WRITERS = (DataFrameWriter, DataStreamWriter)
_PATH_METHODS = {
    DataFrameReader: ("load", "json", "parquet", "text", "csv", "orc", "xml"),
    DataStreamReader: ("load", "json", "parquet", "text", "csv", "orc", "xml"),
    DataFrameWriter: ("save", "json", "parquet", "text", "csv", "orc", "xml"),
    DataStreamWriter: ("start",),
}

_state: dict = {"paths": None, "translator": None, "writes": None}
# DataFrameWriterV2 methods that write rows into the table named in writeTo().
_V2_WRITES = ("append", "overwrite", "overwritePartitions", "create", "replace", "createOrReplace")
_originals: list[tuple[type, str, Callable]] = []


def map_path(value):
    """A Databricks path (or list of them) as the local path Spark should use."""
    paths: Optional[Paths] = _state["paths"]
    if paths is None:
        return value
    if isinstance(value, str):
        if is_databricks_path(value) or value in ("/Volumes", "/Workspace", "/dbfs"):
            return str(paths.local(value))
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(map_path(v) for v in value)
    return value


def _refuse_delta(fmt) -> None:
    if isinstance(fmt, str) and fmt.lower() == "delta":
        raise DeltaNotAvailable()


def _patch(cls: type, name: str, make: Callable[[Callable], Callable]) -> None:
    original = getattr(cls, name)
    _originals.append((cls, name, original))
    setattr(cls, name, functools.wraps(original)(make(original)))


def _path_method(original):
    def method(self, *args, **kwargs):
        _refuse_delta(kwargs.get("format"))
        args = tuple(map_path(a) for a in args)
        if "path" in kwargs:
            kwargs["path"] = map_path(kwargs["path"])
        return original(self, *args, **kwargs)
    return method


def _format(original):
    def format(self, source):
        _refuse_delta(source)
        if isinstance(self, DataStreamReader) and source == "cloudFiles":
            self._localspace_cloudfiles = True
            return self
        return original(self, source)
    return format


def _option(original):
    def option(self, key, value):
        if isinstance(self, DataStreamReader) and str(key).startswith("cloudFiles."):
            if key == "cloudFiles.format":
                return self.format(value)
            return self  # schemaLocation, inferColumnTypes...: Auto Loader only
        if str(key).lower() in _PATH_OPTIONS:
            value = map_path(value)
        return original(self, key, value)
    return option


def _options(original):
    def options(self, **options):
        for key, value in options.items():
            self.option(key, value)
        return self
    return options


def _named(original, session_of: Callable):
    def method(self, name, *args, **kwargs):
        _refuse_delta(kwargs.get("format"))
        return original(self, map_table_name(session_of(self), name), *args, **kwargs)
    return method


def _table_name(session, name) -> Optional[str]:
    """cat.schema.table for the record (``name`` as written, or its parts); never fails the
    write it describes."""
    try:
        return qualified_name(session, split_name(name) if isinstance(name, str) else name)
    except Exception:  # noqa: BLE001 - a name the record cannot resolve is not recorded
        log.debug("cannot resolve table name %r for the write record", name, exc_info=True)
        return None


def _writes_table(original):
    """insertInto, saveAsTable: note the write once it is done."""
    def method(self, name, *args, **kwargs):
        result = original(self, name, *args, **kwargs)
        _wrote(_table_name(self._spark, name))
        return result
    return method


def _write_to(original):
    """DataFrame.writeTo: the writer remembers its table for _writes_v2."""
    def writeTo(self, table):
        writer = original(self, table)
        writer._localspace_table = _table_name(self.sparkSession, table)
        return writer
    return writeTo


def _writes_v2(original):
    def method(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        _wrote(getattr(self, "_localspace_table", None))
        return result
    return method


def _listen(session) -> Optional[TableWrites]:
    """Put the batch listener on ``session`` before a stream starts there."""
    writes: Optional[TableWrites] = _state["writes"]
    if writes is not None:
        try:
            writes.listen(session)
        except Exception:  # noqa: BLE001 - the stream runs without its record
            log.debug("cannot listen to the session's streaming queries", exc_info=True)
    return writes


def _start(original):
    """DataStreamWriter.start (foreachBatch, paths): its batches are recorded too."""
    def start(self, *args, **kwargs):
        _listen(self._spark)
        return original(self, *args, **kwargs)
    return start


def _to_table(original):
    """A stream into a table: listen to its session's batches, start it, name its table."""
    def toTable(self, tableName, *args, **kwargs):
        writes = _listen(self._spark)
        query = original(self, tableName, *args, **kwargs)
        if writes is not None:
            writes.sink(query, _table_name(self._spark, tableName))
        return query
    return toTable


def _wrote(table: Optional[str]) -> None:
    writes: Optional[TableWrites] = _state["writes"]
    if writes is not None:
        writes.wrote(table)


def _sql(original):
    def sql(self, sqlQuery, args=None, **kwargs):
        translator: SqlTranslator = _state["translator"]
        if translator is None:
            return original(self, sqlQuery, args, **kwargs)
        translated = translator.translate(
            self, sqlQuery, run_sql=lambda text: original(self, text),
            empty=lambda: self.createDataFrame([], StructType([])))
        if isinstance(translated, str):
            result = original(self, translated, args, **kwargs)  # commands run here, eagerly
            target = written_table(sqlQuery)
            if target:
                _wrote(_table_name(self, target))
            return result
        return translated
    return sql


def _using(original):
    def using(self, provider):
        _refuse_delta(provider)
        return original(self, provider)
    return using


def install(paths: Paths, writes: Optional[TableWrites] = None) -> None:
    """Point the mapping at ``paths`` (and report writes to ``writes``); wrap pyspark's
    methods the first time."""
    _state["paths"] = paths
    _state["translator"] = SqlTranslator(paths, map_path)
    _state["writes"] = writes
    if _originals:
        return
    for cls, names in _PATH_METHODS.items():
        for name in names:
            _patch(cls, name, _path_method)
    _patch(DataStreamWriter, "start", _start)
    for cls in _READERS + _WRITERS:
        _patch(cls, "format", _format)
        _patch(cls, "option", _option)
        _patch(cls, "options", _options)
    spark_of_reader = lambda self: self._spark  # noqa: E731 - readers/writers keep their session
    _patch(DataFrameReader, "table", lambda o: _named(o, spark_of_reader))
    _patch(DataStreamReader, "table", lambda o: _named(o, spark_of_reader))
    for name in ("saveAsTable", "insertInto"):
        _patch(DataFrameWriter, name, lambda o: _writes_table(_named(o, spark_of_reader)))
    _patch(DataStreamWriter, "toTable", lambda o: _to_table(_named(o, spark_of_reader)))
    _patch(DataFrame, "writeTo", lambda o: _write_to(_named(o, lambda self: self.sparkSession)))
    _patch(DataFrameWriterV2, "using", _using)
    for name in _V2_WRITES:
        _patch(DataFrameWriterV2, name, _writes_v2)
    _patch(SparkSession, "table", lambda o: _named(o, lambda self: self))
    _patch(SparkSession, "sql", _sql)
    _patch(Catalog, "tableExists", lambda o: _named(o, lambda self: self._sparkSession))


def uninstall() -> None:
    while _originals:
        cls, name, original = _originals.pop()
        setattr(cls, name, original)
    _state.update(paths=None, translator=None, writes=None)


def translator() -> SqlTranslator:
    return _state["translator"]


def raw_sql(session, text: str):
    """Spark's own sql, untranslated (for statements already spelled in Spark's names)."""
    for cls, name, original in _originals:
        if cls is SparkSession and name == "sql":
            return original(session, text)
    return session.sql(text)
