"""When each streaming query's micro-batches ran, for benchmarks that time a pipeline.

A StreamingQueryListener on every run's session hears each batch's progress: when its
trigger began, when its sink began writing and when the sink had committed (from the
batch's own durations). Batches that had no new input are left out. Which table a batch
wrote and when is Delta's own history (SparkEngine.table_versions).
"""
from __future__ import annotations

import datetime
import threading

from pyspark.sql.streaming import StreamingQueryListener


class StreamBatches:
    def __init__(self):
        self._lock = threading.Lock()
        self._batches: dict[str, list[tuple[float, float, float]]] = {}  # query name -> batches
        self._listener = _BatchListener(self)

    def listen(self, session) -> None:
        """Hear the batches of the streaming queries ``session`` starts."""
        session.streams.addListener(self._listener)

    def add(self, name: str, began: float, writing: float, committed: float) -> None:
        with self._lock:
            self._batches.setdefault(name, []).append((began, writing, committed))

    def batches(self) -> dict[str, list[tuple[float, float, float]]]:
        """{query name (or id): [(began, writing, committed), ...]}, oldest first."""
        with self._lock:
            return {name: sorted(batches) for name, batches in self._batches.items()}


class _BatchListener(StreamingQueryListener):
    def __init__(self, batches: StreamBatches):
        self._record = batches

    def onQueryStarted(self, event) -> None:
        pass

    def onQueryProgress(self, event) -> None:
        progress = event.progress
        # New input: rows counted, or offsets moved (a foreachBatch that reads tables instead
        # of its batch counts no rows). A batch without either only moved a watermark.
        if progress.numInputRows <= 0 and all(s.startOffset == s.endOffset for s in progress.sources):
            return
        began = datetime.datetime.fromisoformat(progress.timestamp.replace("Z", "+00:00")).timestamp()
        durations = progress.durationMs  # ms; the sink's step (addBatch) ends before commitOffsets
        committed = began + (durations.get("triggerExecution", 0) - durations.get("commitOffsets", 0)) / 1000
        writing = committed - durations.get("addBatch", 0) / 1000
        self._record.add(progress.name or str(progress.id), began, writing, committed)

    def onQueryIdle(self, event) -> None:
        pass

    def onQueryTerminated(self, event) -> None:
        pass
