# Databricks notebook source
# MAGIC %md Auto Loader into bronze tables: inference, hints, rescued data, only new files, schema evolution, options.

# COMMAND ----------

spark.sql("CREATE VOLUME IF NOT EXISTS dev.conf_autoloader.meta")
landing = "/Volumes/dev/conf_autoloader/meta/landing"   # not there yet: Auto Loader waits
schemas = "/Volumes/dev/conf_autoloader/meta/schemas"

def bronze(name, hints=None, typed=False):
    reader = (spark.readStream.format("cloudFiles")
              .option("cloudFiles.format", "json")
              .option("cloudFiles.schemaLocation", f"{schemas}/{name}")
              .option("cloudFiles.maxFilesPerTrigger", 1))
    if hints:
        reader = reader.option("cloudFiles.schemaHints", hints)
    if typed:
        reader = reader.option("cloudFiles.inferColumnTypes", "true")
    return (reader.load(landing)
            .writeStream.option("checkpointLocation", f"/Volumes/dev/conf_autoloader/meta/cp/{name}")
            .trigger(availableNow=True).toTable(f"dev.conf_autoloader.{name}"))

# COMMAND ----------

try:
    bronze("early").awaitTermination()
    empty = "started"
except Exception as error:  # no files yet, no schema: Databricks refuses to infer
    empty = str(error).split("]")[0].lstrip("[")

dbutils.fs.put(f"{landing}/1.json", '{"id": 1, "amount": 10.5, "name": "ann"}\n', True)
dbutils.fs.put(f"{landing}/2.json", '{"id": 2, "amount": 7, "name": "bob"}\n{not json\n', True)

bronze("strings").awaitTermination()
bronze("hinted", hints="id BIGINT, amount DOUBLE").awaitTermination()
bronze("typed", typed=True).awaitTermination()

# COMMAND ----------

# MAGIC %md Only new files: `includeExistingFiles` is decided at the first start and kept by restarts.

# COMMAND ----------

meta = "/Volumes/dev/conf_autoloader/meta"

def stream(name, folder, table=None, **options):
    reader = spark.readStream.format("cloudFiles").option("cloudFiles.schemaLocation", f"{schemas}/{name}")
    for key, value in {"cloudFiles.format": "json", **options}.items():
        reader = reader.option(key, value)
    return reader.load(f"{meta}/{folder}"), f"{meta}/cp/{name}", f"dev.conf_autoloader.{table or name}"

def run(frame, checkpoint, table, once=False):
    writer = frame.writeStream.option("checkpointLocation", checkpoint).option("mergeSchema", "true")
    writer = writer.trigger(once=True) if once else writer.trigger(availableNow=True)
    writer.toTable(table).awaitTermination()

dbutils.fs.put(f"{meta}/news/old.json", '{"id": 1}\n', True)
run(*stream("only_new", "news", **{"cloudFiles.includeExistingFiles": "false"}))
dbutils.fs.put(f"{meta}/news/new.json", '{"id": 2}\n', True)
run(*stream("only_new", "news", **{"cloudFiles.includeExistingFiles": "false"}))  # a restart

# COMMAND ----------

# MAGIC %md Schema evolution: a new column stops the stream once, the next start reads it.

# COMMAND ----------

import re

def failure(frame, checkpoint, table):
    try:
        run(frame, checkpoint, table)
        return "no failure"
    except Exception as error:  # Databricks: UNKNOWN_FIELD_EXCEPTION.NEW_FIELDS_IN_FILE
        found = re.search(r"\[(UNKNOWN_FIELD_EXCEPTION\.\w+)\].*automatic retry: (true|false)", str(error))
        return f"{found.group(1)} retry={found.group(2)}" if found else str(error)

dbutils.fs.put(f"{meta}/evolving/1.json", '{"id": 1}\n', True)
run(*stream("evolved", "evolving"))
run(*stream("strict", "evolving", **{"cloudFiles.schemaEvolutionMode": "failOnNewColumns"}))
dbutils.fs.put(f"{meta}/evolving/2.json", '{"id": 2, "color": "red"}\n', True)
evolution = failure(*stream("evolved", "evolving"))
run(*stream("evolved", "evolving"))  # restarted, as a job's retry would
strict = failure(*stream("strict", "evolving", **{"cloudFiles.schemaEvolutionMode": "failOnNewColumns"}))
schema_files = sorted(f.name for f in dbutils.fs.ls(f"{schemas}/evolved/_schemas"))

# COMMAND ----------

# MAGIC %md CSV options, partition folders, `_metadata`, `trigger(once=True)`; nested JSON with hints.

# COMMAND ----------

from pyspark.sql import functions as F

dbutils.fs.put(f"{meta}/csv/day=2026-01-01/a.csv", "id;name\n1;ann\n", True)
dbutils.fs.put(f"{meta}/csv/day=2026-01-02/b.csv", "id;name\n2;bob\n", True)
dbutils.fs.put(f"{meta}/csv/day=2026-01-02/notes.txt", "id;name\n9;not data\n", True)
frame, checkpoint, table = stream("csv_once", "csv", **{"cloudFiles.format": "csv", "header": "true", "sep": ";",
                                                          "pathGlobFilter": "*.csv"})
frame = frame.select("*", F.col("_metadata.file_name").alias("source_file"),
                     F.col("_metadata.file_path").alias("source_path"))
run(frame, checkpoint, table, once=True)

dbutils.fs.put(f"{meta}/nested/1.json", '[{"id": 1, "addr": {"zip": 123, "city": "oslo"}}]', True)
run(*stream("nested", "nested", **{"multiLine": "true", "cloudFiles.schemaHints": "addr.zip BIGINT"}))

# COMMAND ----------

import json
facts = {"empty_folder": empty, "evolution": evolution, "strict": strict, "schema_files": schema_files}
spark.createDataFrame([(k, json.dumps(v)) for k, v in facts.items()], "key STRING, value STRING").write.saveAsTable("dev.conf_autoloader.facts")
