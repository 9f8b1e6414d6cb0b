"""Start and stop the one local SparkSession the spark engine shares between runs, configured
the way a Databricks cluster is: Delta Lake as the default table format, Unity Catalog
catalogs as Spark catalog plugins, DBFS as the default file system, Databricks' own SQL
statements in the parser (jvm.py has the jars, java/ the classes).

Everything that must be decided before the JVM starts is here: loopback only
(SPARK_LOCAL_IP and the driver's host/bind address, UI off), few shuffle partitions (a
2-core machine and tiny test data), the in-memory metastore (no Hive jars). The metastore
does not survive a restart, so the warehouse folder is emptied at start: stale table folders
would otherwise block CREATE TABLE.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Optional

from ..jobs.models import USER
from ..paths import CLOUD_SCHEMES, Paths
from . import class_sharing
from .jvm import engine_jars
from .spark_pyapi import add_databricks_methods

# The catalog every session starts in, as a workspace's default catalog (Databricks:
# "What is the default catalog"); schemas start at `default`.
DEFAULT_CATALOG = "main"
BUILT_IN_CATALOGS = ("main", "hive_metastore")
UNITY_CATALOG = "localspace.spark.UnityCatalog"

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
    "spark.python.worker.reuse": "true",
    # Delta Lake, as on every Databricks cluster (Delta docs, "Configure SparkSession").
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension,localspace.spark.DatabricksExtensions",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.sql.sources.default": "delta",
    "spark.sql.legacy.createHiveTableByDefault": "false",
    "spark.sql.defaultCatalog": DEFAULT_CATALOG,
    # SHOW SCHEMAS answers databaseName and SHOW TABLES database/tableName/isTemporary, as
    # Databricks does (SQL reference: SHOW SCHEMAS, SHOW TABLES), not Spark 3.4+'s namespace.
    "spark.sql.legacy.keepCommandOutputSchema": "true",
    # DBFS is a Databricks cluster's default file system; bare paths are DBFS paths.
    "spark.hadoop.fs.defaultFS": "dbfs:///",
    "spark.hadoop.fs.dbfs.impl": "localspace.spark.DbfsFileSystem",
    # Hadoop caches file systems per JVM, and a JVM outlives a stopped engine: a cached one
    # would keep the root of the emulator that started first.
    "spark.hadoop.fs.dbfs.impl.disable.cache": "true",
    # Cloud object storage: one clear refusal per scheme (CloudStorageNotEmulated.java).
    **{f"spark.hadoop.fs.{scheme}.impl": "localspace.spark.CloudStorageNotEmulated"
       for scheme in CLOUD_SCHEMES},
    # Delta picks its log store by scheme; dbfs: is a local disk here.
    "spark.delta.logStore.dbfs.impl": "io.delta.storage.LocalLogStore",
    "spark.sql.warehouse.dir": "dbfs:/user/hive/warehouse",
    # Tiny tables on 2 cores: one task per Delta log snapshot instead of 50.
    "spark.databricks.delta.snapshotPartitions": "1",
    "spark.databricks.delta.writeChecksumFile.enabled": "false",  # one file less per commit
    # VACUUM lists a table's folders in this many tasks: Spark's 10000 took minutes on a
    # loaded 2-core machine for a table of a few files (the delta conformance notebook).
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "2",
    # VACUUM records VACUUM START/END in the table's history, as on Databricks (Delta docs,
    # "Remove unused data files with vacuum": audit information).
    "spark.databricks.delta.vacuum.logging.enabled": "true",
    # An idle stream with the default trigger looks for new data again after this delay.
    # Spark's 10 ms makes six idle streams burn a third of a core here (0.02 at 500 ms:
    # benchmarks/idle_streams.py); 500 ms is the interval Databricks documents for streams
    # without a trigger ("Configure Structured Streaming trigger intervals": "What is the
    # default trigger interval?"). Streams with new data still run batch after batch.
    "spark.sql.streaming.pollingDelay": "500ms",
    # Nine streams re-plan their micro-batches every trigger, and Spark keeps only 100 compiled
    # plans: the demo's JVM spent a third of its CPU generating and compiling Java (a JFR
    # profile: CodeGenerator, Janino's class lookups). With room for 4000, compiled plans
    # are found again: benchmarks/sbit_figures.py side by side, 100 s of JVM CPU against 116 s,
    # wall 72 s against 81 s. (Interpreted plans, spark.sql.codegen.factoryMode=NO_CODEGEN,
    # saved more but break spark.catalog.listTables: EXPRESSION_DECODING_FAILED.)
    "spark.sql.codegen.cache.maxEntries": "4000",
    # When each micro-batch ran, for the benchmarks (spark_writes.py), heard in the JVM.
    "spark.sql.streaming.streamingQueryListeners": "localspace.spark.BatchLog",
}


# What a cluster on a Databricks Runtime before 17 has that Spark 4 (this engine) changed:
# ANSI mode off ("ANSI compliance in Databricks Runtime": spark.sql.ansi.enabled is "enabled by
# default in Apache Spark 4.0 and Databricks Runtime 17.0 and above"), so a bad cast or an
# unparsable timestamp is NULL rather than an error; and the JDK's charset names ("latin1")
# in readers and encode/decode (Spark's 4.0 migration guide: spark.sql.legacy.javaCharsets
# restores them); and a date the pre-3.0 parser would read differently is an error
# (INCONSISTENT_BEHAVIOR_CROSS_VERSION; the same guide: timeParserPolicy's default went from
# EXCEPTION to CORRECTED). Serverless compute and SQL warehouses are current: none applies.
BEFORE_RUNTIME_17 = {"spark.sql.ansi.enabled": "false", "spark.sql.legacy.javaCharsets": "true",
                     "spark.sql.legacy.timeParserPolicy": "EXCEPTION"}


def runtime_conf(spark_version: str) -> dict[str, str]:
    """The session settings of a cluster on this Databricks Runtime ("15.4.x-scala2.12")."""
    major = re.match(r"(\d+)\.", spark_version or "")
    return dict(BEFORE_RUNTIME_17) if major and int(major[1]) < 17 else {}


def _folders(paths: Paths) -> dict[str, str]:
    return {"spark.hadoop.localspace.root": str(paths.root),
            "spark.hadoop.localspace.volumes": str(paths.volumes_root),
            "spark.hadoop.localspace.workspace": str(paths.workspace_root),
            "spark.hadoop.localspace.dbfs": str(paths.dbfs_root)}


def catalog_conf(paths: Paths) -> dict[str, str]:
    """spark.sql.catalog.NAME entries for every catalog folder (see UnityCatalog.java)."""
    conf = {}
    for folder in sorted(p for p in paths.volumes_root.iterdir() if p.is_dir()):
        conf[f"spark.sql.catalog.{folder.name}"] = UNITY_CATALOG
        conf[f"spark.sql.catalog.{folder.name}.volumes"] = str(paths.volumes_root)
    return conf


def start_session(paths: Paths, dump_classes_to: Optional[Path] = None):
    """Build the session; returns (session, seconds it took). ``dump_classes_to``: write the
    JVM's class archive there as it exits (class_sharing.py), instead of loading the cached one."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is not None:
        raise RuntimeError("A SparkSession is already running in this process; localspace's "
                           "spark engine needs the process's only SparkContext (close the other engine first)")
    started = time.monotonic()
    jars = engine_jars()
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    # current_user() and every owner (DESCRIBE SCHEMA, information_schema) are the
    # workspace's user, as SCIM Me answers, not the OS account: Spark takes them from here.
    os.environ["SPARK_USER"] = USER
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    # pandas-on-Spark asks for it with pyarrow >= 2 and warns on every import without it;
    # it must be set before the context starts (pyspark.pandas' own warning says so).
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    spark_root = paths.root / "spark"
    shutil.rmtree(paths.dbfs_root / "user" / "hive" / "warehouse", ignore_errors=True)
    for catalog in BUILT_IN_CATALOGS:
        (paths.volumes_root / catalog / "default").mkdir(parents=True, exist_ok=True)
    conf = {**SPARK_CONF, **_folders(paths), **catalog_conf(paths),
            "spark.jars": ",".join(jars),
            "spark.local.dir": str(spark_root / "tmp"),
            # -Xss: Spark matches a Python error's text with a recursive regex; a long
            # traceback (a stream cancelled inside foreachBatch) overflows the default stack.
            # TieredStopAtLevel=1 (C1 only, quick to warm up) shrinks the default code cache
            # to 48 MB, which Spark fills in about a minute ("CodeCache is full. Compiler has
            # been disabled"); 240 MB is the JVM's size with tiered compilation.
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={spark_root / 'derby'} "
                                             "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 "
                                             "-XX:ReservedCodeCacheSize=240m -Xss16m "
                                             + class_sharing.java_options(jars, dump_classes_to)}
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    # file:/Workspace, file:/Volumes and file:/dbfs as a driver's mounts (DriverFileSystem.java).
    # Set once the context runs: spark-submit resolves file: paths before localspace's jar is
    # loaded. Not cached, for the same reason as dbfs: above.
    hadoop = session.sparkContext._jsc.hadoopConfiguration()
    hadoop.set("fs.file.impl", "localspace.spark.DriverFileSystem")
    hadoop.set("fs.file.impl.disable.cache", "true")
    add_databricks_methods()
    session.sparkContext.setLogLevel("ERROR")
    from pyspark.logger import PySparkLogger
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        # Failed statements already carry the message; don't also dump it on stderr.
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    # Warm up the SQL and Delta paths (analyzer, codegen, the Delta log) here, so the first
    # statement or run does not pay for it; this is part of what "starting the engine" costs.
    session.sql("CREATE TABLE main.default.__localspace_warmup (id INT)").collect()
    session.sql("INSERT INTO main.default.__localspace_warmup VALUES (1)").collect()
    session.sql("SELECT count(*) FROM main.default.__localspace_warmup").collect()
    session.sql("DROP TABLE main.default.__localspace_warmup").collect()
    return session, time.monotonic() - started


def stop_session(session) -> None:
    session.stop()


# `spark_catalog`.`dev__sbit` or spark_catalog.dev__sbit: the database behind a schema.
_INTERNAL_NAME = re.compile(r"(?<![A-Za-z0-9_])(`?)(?:spark_catalog\1\.\1)?([a-z0-9_]+?)__([a-z0-9_]+)\1")


def user_facing(text: Optional[str]) -> Optional[str]:
    """Spark's text as a user should read it: the session-catalog database behind a Unity
    Catalog schema (``spark_catalog.dev__sbit``, see UnityCatalog.java) named as the schema
    (``dev.sbit``). Only for what is shown (errors, traces, results); no SQL is rewritten."""
    if not text:
        return text
    return _INTERNAL_NAME.sub(lambda m: f"{m[1]}{m[2]}{m[1]}.{m[1]}{m[3]}{m[1]}", text)
