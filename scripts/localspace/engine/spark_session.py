"""Start and stop the one local SparkSession the spark engine shares between runs.

Everything that must be decided before the JVM starts is here: loopback only
(SPARK_LOCAL_IP and the driver's host/bind address, UI off), few shuffle partitions (a
2-core machine and tiny test data), the in-memory catalog (no Hive jars) and the warehouse
under the emulator's root. The catalog does not survive a restart, so the warehouse folder
is emptied at start: stale table folders would otherwise block CREATE TABLE.
"""
from __future__ import annotations

import logging
import os
import shutil
import sys
import time

from ..paths import Paths

SPARK_CONF = {
    "spark.master": "local[2]",
    "spark.app.name": "localspace",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.catalogImplementation": "in-memory",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.streaming.schemaInference": "true",
    "spark.sql.sources.default": "parquet",
    "spark.sql.legacy.createHiveTableByDefault": "false",
    "spark.python.worker.reuse": "true",
}


def start_session(paths: Paths):
    """Build the session; returns (session, seconds it took)."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is not None:
        raise RuntimeError("A SparkSession is already running in this process; localspace's "
                           "spark engine needs the process's only SparkContext (close the other engine first)")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    spark_root = paths.root / "spark"
    warehouse = spark_root / "warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    warehouse.mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder
    conf = {**SPARK_CONF,
            "spark.sql.warehouse.dir": str(warehouse),
            "spark.local.dir": str(spark_root / "tmp"),
            # -Xss: Spark matches a Python error's text with a recursive regex; a long
            # traceback (a stream cancelled inside foreachBatch) overflows the default stack.
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={spark_root / 'derby'} "
                                             "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss16m"}
    for key, value in conf.items():
        builder = builder.config(key, value)
    started = time.monotonic()
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    from pyspark.logger import PySparkLogger
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        # Failed statements already carry the message; don't also dump it on stderr.
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    # Warm up the SQL path (analyzer, codegen) here, so the first statement or run does not
    # pay for it; this is part of what "starting the engine" costs.
    session.sql("CREATE DATABASE IF NOT EXISTS main__default").collect()
    session.sql("SELECT count(*) FROM range(10)").collect()
    return session, time.monotonic() - started


def stop_session(session) -> None:
    session.stop()
