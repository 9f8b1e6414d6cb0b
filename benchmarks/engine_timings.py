"""Print how long the engines take for the things users wait on (not a test).

    .venv/bin/python benchmarks/engine_timings.py [--skip-spark]

python engine: one notebook run end to end, cancel -> CANCELED.
spark engine: JVM + SparkSession start, first SQL statement, a streaming query's round trip
(file lands in the volume -> row visible to a SQL statement), cancel of a streaming run,
and a second start in the same process (the JVM stays up).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from localspace.engine import make_engine, spark_available  # noqa: E402
from localspace.engine.base import NotebookTask, SqlError  # noqa: E402
from localspace.paths import Paths  # noqa: E402
from localspace.unity import models as unity  # noqa: E402

HEADER = "# Databricks notebook source\n"


def wait_for(condition, timeout: float) -> float:
    started = time.monotonic()
    pause = threading.Event()
    while not condition():
        if time.monotonic() - started > timeout:
            raise TimeoutError("condition not met")
        pause.wait(0.01)
    return time.monotonic() - started


def timed(label: str, action):
    started = time.monotonic()
    value = action()
    print(f"{label:<55} {time.monotonic() - started:7.3f} s")
    return value


def python_engine(root: Path) -> None:
    notebooks = {"/n/ok": HEADER + "dbutils.notebook.exit('done')\n",
                 "/n/sleep": HEADER + "import time\ntime.sleep(3600)\n"}
    engine = make_engine("python", Paths(root), lambda p: notebooks[Paths.workspace_path(p)], {})
    for i in range(3):
        timed(f"python: notebook run end to end (#{i + 1})",
              lambda: engine.start_notebook(NotebookTask(i, "/n/ok")).result(30))
    handle = engine.start_notebook(NotebookTask(9, "/n/sleep"))
    handle.result(0.5)
    handle.cancel()
    timed("python: cancel -> CANCELED", lambda: handle.result(5))
    timed("python: SQL statement (sqlite)", lambda: engine.execute_sql("SELECT 1"))
    engine.close()


def spark_engine(root: Path, label: str) -> None:
    notebooks = {"/n/stream": HEADER + (
        "(spark.readStream.format('json').schema('id LONG').load('/Volumes/main/default/landing')\n"
        " .writeStream.option('checkpointLocation', 'dbfs:/cp/bench')\n"
        " .trigger(processingTime='100 milliseconds').toTable('main.default.bench'))\n")}
    started = time.monotonic()
    paths = Paths(root)
    unity.ensure_catalog(paths, "main")  # what a LocalSpace has at start (main.default)
    engine = make_engine("spark", paths, lambda p: notebooks[Paths.workspace_path(p)], {})
    print(f"{label}: JVM + SparkSession start (engine.startup_seconds)      {engine.startup_seconds:7.3f} s")
    print(f"{label}: make_engine total (imports included)               {time.monotonic() - started:7.3f} s")
    timed(f"{label}: first SQL statement", lambda: engine.execute_sql("SELECT 1"))
    timed(f"{label}: next SQL statement", lambda: engine.execute_sql("SELECT 1"))
    timed(f"{label}: CREATE VOLUME", lambda: engine.execute_sql("CREATE VOLUME IF NOT EXISTS main.default.landing"))
    landing = engine.paths.local("/Volumes/main/default/landing")
    (landing / "0.json").write_text(json.dumps({"id": 0}) + "\n")
    handle = engine.start_notebook(NotebookTask(1, "/n/stream"))

    def rows(n):
        def check():
            try:
                return int(engine.execute_sql("SELECT count(*) FROM main.default.bench").rows[0][0]) >= n
            except SqlError:
                return False
        return check

    print(f"{label}: stream start -> first row visible to SQL               {wait_for(rows(1), 120):7.3f} s")
    for i in range(1, 4):
        (landing / f"{i}.json").write_text(json.dumps({"id": i}) + "\n")
        print(f"{label}: stream round trip #{i} (file -> row visible to SQL)   {wait_for(rows(i + 1), 60):7.3f} s")
    handle.cancel()
    timed(f"{label}: cancel streaming run -> CANCELED", lambda: handle.result(10))
    timed(f"{label}: close (stops the SparkSession)", engine.close)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-spark", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        python_engine(Path(tmp) / "py")
        if not args.skip_spark and spark_available():
            spark_engine(Path(tmp) / "spark1", "spark (cold JVM)")
            spark_engine(Path(tmp) / "spark2", "spark (JVM already up)")


if __name__ == "__main__":
    main()
