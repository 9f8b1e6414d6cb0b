"""When each streaming query's micro-batches ran, for benchmarks that time a pipeline.

A JVM listener on every session (BatchLog.java, registered by ``spark_session.py``) hears
each batch's progress: when its trigger began, when its sink began writing and when the sink
had committed (from the batch's own durations). Batches that had no new input are left out.
Which table a batch wrote and when is Delta's own history (SparkEngine.table_versions).
"""
from __future__ import annotations

import datetime
import json


def stream_batches(session) -> dict[str, list[tuple[float, float, float]]]:
    """{query name (or id): [(began, writing, committed), ...]}, oldest first."""
    batches: dict[str, list[tuple[float, float, float]]] = {}
    for name, timestamp, total, commit, add in json.loads(session._jvm.localspace.spark.BatchLog.json()):
        began = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
        committed = began + (total - commit) / 1000  # the sink's step (addBatch) ends before commitOffsets
        batches.setdefault(name, []).append((began, committed - add / 1000, committed))
    return {name: sorted(found) for name, found in batches.items()}
