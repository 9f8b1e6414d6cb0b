"""When each table's rows changed, as the spark engine saw it: ``{"cat.schema.table": [time, ...]}``.

Benchmarks need "the moment the data was there" to measure how long a check took to see
it (``LocalSpace.table_versions()``; the python engine's SQL store keeps the same record).
Writes reach a table two ways, and each is noted where it completes:

- a statement or a DataFrame write (``INSERT``, ``CREATE TABLE ... AS``, ``ALTER TABLE ...
  SET LOCATION``, ``insertInto``, ``saveAsTable``, ``writeTo(...).append()``...), from a
  notebook or the sql room: spark_patch calls ``wrote`` once it returned, when readers see
  the rows;
- a micro-batch of a streaming query writing to a table (``toTable``): a
  StreamingQueryListener on the query's session hears the batch's progress; the batch ended
  (trigger start + its duration, both from Spark) just after the sink committed. Batches
  that wrote no rows are not versions.

Times are ``time.time()`` so they compare with other processes' clocks. Progress events
arrive on Spark's listener thread, a moment after the batch: read the record after the fact.
"""
from __future__ import annotations

import datetime
import threading
import time
from typing import Optional

from pyspark.sql.streaming import StreamingQueryListener


class TableWrites:
    def __init__(self):
        self._lock = threading.Lock()
        self._writes: dict[str, list[float]] = {}     # table -> times of statements/DataFrame writes
        self._batches: dict[str, list[float]] = {}    # streaming query id -> times of its batches
        self._sinks: dict[str, str] = {}              # streaming query id -> the table it writes
        self._listening: set[str] = set()             # sessions (UUIDs) the listener is on
        self._listener = _BatchListener(self)

    def wrote(self, table: Optional[str]) -> None:
        """``table`` (cat.schema.table) has new rows, now."""
        if table:
            at = time.time()
            with self._lock:
                self._writes.setdefault(table, []).append(at)

    def listen(self, session) -> None:
        """Hear the batches of the streaming queries ``session`` starts (once per session;
        call it before the query starts)."""
        key = str(session._jsparkSession.sessionUUID())
        with self._lock:
            if key in self._listening:
                return
            self._listening.add(key)
        session.streams.addListener(self._listener)

    def sink(self, query, table: Optional[str]) -> None:
        """``query`` appends to ``table``: its batches are that table's versions."""
        if table:
            with self._lock:
                self._sinks[str(query.id)] = table

    def batch(self, query_id: str, at: float) -> None:
        with self._lock:
            self._batches.setdefault(query_id, []).append(at)

    def versions(self) -> dict[str, list[float]]:
        """Every table's write times, oldest first."""
        with self._lock:
            merged = {table: list(times) for table, times in self._writes.items()}
            for query_id, times in self._batches.items():
                table = self._sinks.get(query_id)
                if table:
                    merged.setdefault(table, []).extend(times)
        return {table: sorted(times) for table, times in merged.items()}


class _BatchListener(StreamingQueryListener):
    """Each micro-batch that wrote rows, by query id (the sink table is known from toTable)."""

    def __init__(self, writes: TableWrites):
        self._writes = writes

    def onQueryStarted(self, event) -> None:
        pass

    def onQueryProgress(self, event) -> None:
        progress = event.progress
        written = progress.sink.numOutputRows
        if written == 0 or (written < 0 and not progress.numInputRows):  # -1: the sink does not say
            return
        started = datetime.datetime.fromisoformat(progress.timestamp.replace("Z", "+00:00"))
        took = progress.durationMs.get("triggerExecution", 0) / 1000
        self._writes.batch(str(progress.id), started.timestamp() + took)

    def onQueryIdle(self, event) -> None:
        pass

    def onQueryTerminated(self, event) -> None:
        pass
