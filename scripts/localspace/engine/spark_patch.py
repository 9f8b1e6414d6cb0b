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

There is one SparkContext per process, hence one active mapping: ``install(paths)`` sets it,
``uninstall()`` restores pyspark as it was.
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
from .spark_names import SqlTranslator, map_table_name
from .sqltext import DeltaNotAvailable

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

_state: dict = {"paths": None, "translator": None}
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


def _sql(original):
    def sql(self, sqlQuery, args=None, **kwargs):
        translator: SqlTranslator = _state["translator"]
        if translator is None:
            return original(self, sqlQuery, args, **kwargs)
        translated = translator.translate(
            self, sqlQuery, run_sql=lambda text: original(self, text),
            empty=lambda: self.createDataFrame([], StructType([])))
        if isinstance(translated, str):
            return original(self, translated, args, **kwargs)
        return translated
    return sql


def _using(original):
    def using(self, provider):
        _refuse_delta(provider)
        return original(self, provider)
    return using


def install(paths: Paths) -> None:
    """Point the mapping at ``paths``; wrap pyspark's methods the first time."""
    _state["paths"] = paths
    _state["translator"] = SqlTranslator(paths, map_path)
    if _originals:
        return
    for cls, names in _PATH_METHODS.items():
        for name in names:
            _patch(cls, name, _path_method)
    for cls in _READERS + _WRITERS:
        _patch(cls, "format", _format)
        _patch(cls, "option", _option)
        _patch(cls, "options", _options)
    spark_of_reader = lambda self: self._spark  # noqa: E731 - readers/writers keep their session
    _patch(DataFrameReader, "table", lambda o: _named(o, spark_of_reader))
    _patch(DataStreamReader, "table", lambda o: _named(o, spark_of_reader))
    _patch(DataFrameWriter, "saveAsTable", lambda o: _named(o, spark_of_reader))
    _patch(DataFrameWriter, "insertInto", lambda o: _named(o, spark_of_reader))
    _patch(DataStreamWriter, "toTable", lambda o: _named(o, spark_of_reader))
    _patch(DataFrame, "writeTo", lambda o: _named(o, lambda self: self.sparkSession))
    _patch(DataFrameWriterV2, "using", _using)
    _patch(SparkSession, "table", lambda o: _named(o, lambda self: self))
    _patch(SparkSession, "sql", _sql)
    _patch(Catalog, "tableExists", lambda o: _named(o, lambda self: self._sparkSession))


def uninstall() -> None:
    while _originals:
        cls, name, original = _originals.pop()
        setattr(cls, name, original)
    _state.update(paths=None, translator=None)


def translator() -> SqlTranslator:
    return _state["translator"]


def raw_sql(session, text: str):
    """Spark's own sql, untranslated (for statements already spelled in Spark's names)."""
    for cls, name, original in _originals:
        if cls is SparkSession and name == "sql":
            return original(session, text)
    return session.sql(text)
