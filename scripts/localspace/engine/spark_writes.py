"""When each table's rows changed, as the spark engine saw it: ``{"cat.schema.table": [time, ...]}``.

Benchmarks need "the moment the data was there" to measure how long a check took to see
it (``LocalSpace.table_versions()``; the python engine's SQL store keeps the same record).
Writes reach a table two ways, and each is noted where it completes:

- a statement or a DataFrame write (``INSERT``, ``CREATE TABLE ... AS``, ``ALTER TABLE ...
  SET LOCATION``, ``insertInto``, ``saveAsTable``, ``writeTo(...).append()``...), from a
  notebook or the sql room: spark_patch calls ``wrote`` once it returned, when readers see
  the rows;
- a micro-batch of a streaming query writing to a table (``toTable``): a
  StreamingQueryListener on the query's session hears the batch's progress; the sink had
  committed when the batch ended less its last step, the offset commit (trigger start and
  durations, all from Spark). Batches that wrote no rows are not versions.

The listener hears every streaming query of the sessions it is on, so ``stream_batches()``
also says when each query's batches ran, foreachBatch ones included (whose writes inside are
statements or DataFrame writes): a benchmark can tell a write made from fresh inputs from
one that began before them.

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
        # streaming query id -> its batches: (began, sink writing, sink committed, wrote rows)
        self._batches: dict[str, list[tuple[float, float, float, bool]]] = {}
        self._names: dict[str, str] = {}              # streaming query id -> its name (or id)
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

    def batch(self, query_id: str, name: str, began: float, writing: float, committed: float,
              wrote: bool) -> None:
        with self._lock:
            self._names[query_id] = name
            self._batches.setdefault(query_id, []).append((began, writing, committed, wrote))

    def versions(self) -> dict[str, list[float]]:
        """Every table's write times, oldest first."""
        with self._lock:
            merged = {table: list(times) for table, times in self._writes.items()}
            for query_id, batches in self._batches.items():
                table = self._sinks.get(query_id)
                if table:
                    merged.setdefault(table, []).extend(committed for *_, committed, wrote in batches if wrote)
        return {table: sorted(times) for table, times in merged.items()}

    def stream_batches(self) -> dict[str, list[tuple[float, float, float]]]:
        """{query name (or id): [(began, writing, committed), ...]} of every batch that had new
        input: its trigger began, its sink began writing (a foreachBatch function was called),
        the sink had committed."""
        with self._lock:
            named: dict[str, list[tuple[float, float, float]]] = {}
            for query_id, batches in self._batches.items():
                named.setdefault(self._names[query_id], []).extend(batch[:3] for batch in batches)
        return {name: sorted(batches) for name, batches in named.items()}


class _BatchListener(StreamingQueryListener):
    """Each micro-batch with new input, by query id (the sink table is known from toTable)."""

    def __init__(self, writes: TableWrites):
        self._writes = writes

    def onQueryStarted(self, event) -> None:
        pass

    def onQueryProgress(self, event) -> None:
        progress = event.progress
        # New input: rows counted, or offsets moved (a foreachBatch that reads tables instead
        # of its batch counts no rows). A batch without either only moved a watermark.
        fresh = progress.numInputRows > 0 or any(source.startOffset != source.endOffset
                                                 for source in progress.sources)
        written = progress.sink.numOutputRows  # -1: the sink does not say (foreachBatch)
        if not fresh and written <= 0:
            return
        began = datetime.datetime.fromisoformat(progress.timestamp.replace("Z", "+00:00")).timestamp()
        durations = progress.durationMs  # ms; the sink's step (addBatch) ends before commitOffsets
        committed = began + (durations.get("triggerExecution", 0) - durations.get("commitOffsets", 0)) / 1000
        writing = committed - durations.get("addBatch", 0) / 1000
        self._writes.batch(str(progress.id), progress.name or str(progress.id), began, writing, committed,
                           written > 0 or (written < 0 and fresh))

    def onQueryIdle(self, event) -> None:
        pass

    def onQueryTerminated(self, event) -> None:
        pass
