"""The ``spark`` a notebook sees on the python engine: SQL on the embedded store, nothing more.

Fast tests run pipelines' SQL steps without a JVM, so ``spark.sql(...)`` and
``spark.table(...)`` answer from the sqlite store the sql room also uses, returning a small
frame with the everyday read methods (collect, count, first, take, show). Anything else a
notebook asks of ``spark`` fails with one clear message pointing at the spark engine.
"""
from __future__ import annotations

from typing import Any, Optional

from .base import SqlError, SqlResult
from .dbutils import NotSupportedOnLocalspace
from .sqlstore import SqlSession

_CONVERTERS = {"LONG": int, "INT": int, "DOUBLE": float, "BOOLEAN": lambda v: v in ("true", "1")}


class Row(tuple):
    """A result row readable by position, by name (row.name, row["name"]) and as a dict."""

    def __new__(cls, fields: list[str], values: list[Any]):
        row = super().__new__(cls, values)
        row.__fields__ = list(fields)
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self.__fields__.index(key))
            except ValueError:
                raise KeyError(key) from None
        return tuple.__getitem__(self, key)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def asDict(self) -> dict[str, Any]:
        return dict(zip(self.__fields__, self))

    def __repr__(self) -> str:
        return "Row(" + ", ".join(f"{k}={v!r}" for k, v in zip(self.__fields__, self)) + ")"


class LocalFrame:
    """An already-computed result with the DataFrame read methods notebooks use most."""

    isStreaming = False

    def __init__(self, result: SqlResult):
        self.columns = [c.name for c in result.columns]
        self.dtypes = [(c.name, c.type_name.lower()) for c in result.columns]
        converters = [_CONVERTERS.get(c.type_name, str) for c in result.columns]
        self._rows = [Row(self.columns, [None if v is None else f(v) for f, v in zip(converters, r)])
                      for r in result.rows]

    def collect(self) -> list[Row]:
        return list(self._rows)

    def count(self) -> int:
        return len(self._rows)

    def first(self) -> Optional[Row]:
        return self._rows[0] if self._rows else None

    def head(self, n: Optional[int] = None):
        return self.first() if n is None else self._rows[:n]

    def take(self, n: int) -> list[Row]:
        return self._rows[:n]

    def isEmpty(self) -> bool:
        return not self._rows

    def show(self, n: int = 20, truncate: bool = True, vertical: bool = False) -> None:
        cells = [[("NULL" if v is None else str(v)) for v in row] for row in self._rows[:n]]
        if truncate:
            width = 20 if truncate is True else int(truncate)
            cells = [[c if len(c) <= width else c[:width - 3] + "..." for c in row] for row in cells]
        widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(self.columns)]
        rule = "+" + "+".join("-" * w for w in widths) + "+"
        print(rule)
        print("|" + "|".join(h.ljust(w) for h, w in zip(self.columns, widths)) + "|")
        print(rule)
        for row in cells:
            print("|" + "|".join(c.ljust(w) for c, w in zip(row, widths)) + "|")
        print(rule)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotSupportedOnLocalspace(
            f"localspace does not emulate DataFrame.{name} on the python engine, whose spark.sql "
            "returns computed rows only (README section 'What each engine does'); start "
            "localspace with --engine spark for full DataFrames")


class _Conf:
    """spark.conf: remembers what notebooks set so they can read it back (starting with the
    cluster's ``spark.databricks.clusterUsageTags.*``)."""

    def __init__(self, values: Optional[dict[str, str]] = None):
        self._values: dict[str, str] = dict(values or {})

    def set(self, key: str, value) -> None:
        self._values[key] = str(value)

    def get(self, key: str, default: Optional[str] = None) -> Optional[str]:
        return self._values.get(key, default)

    def unset(self, key: str) -> None:
        self._values.pop(key, None)


class LocalSpark:
    """The python engine's ``spark``."""

    def __init__(self, session: SqlSession, conf: Optional[dict[str, str]] = None):
        self._session = session
        self.conf = _Conf(conf)

    def sql(self, sqlQuery: str, args: Optional[dict] = None, **kwargs) -> LocalFrame:
        if args or kwargs:
            raise NotSupportedOnLocalspace("localspace does not emulate spark.sql parameters on the python "
                                           "engine (README section 'What each engine does')")
        try:
            return LocalFrame(self._session.execute(sqlQuery))
        except SqlError as exc:
            raise AnalysisException(str(exc)) from None

    def table(self, tableName: str) -> LocalFrame:
        return self.sql(f"SELECT * FROM {tableName}")

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotSupportedOnLocalspace(
            f"localspace does not emulate spark.{name} on the python engine, which runs SQL only "
            "(README section 'What each engine does'); start localspace with --engine spark "
            "(needs Java) for DataFrames and streaming")


class NotOnThisEngine:
    """``sc`` and ``sqlContext`` on the python engine: there is no SparkContext to give."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise NotSupportedOnLocalspace(
            f"localspace does not emulate {self._name}.{attr} on the python engine, which has no "
            "SparkContext (README section 'What each engine does'); start localspace with --engine spark")


class AnalysisException(Exception):
    """Named like pyspark's, so notebooks' ``except AnalysisException`` reads the same."""
