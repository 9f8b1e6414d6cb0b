# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: configuration
# MAGIC
# MAGIC Names and paths every other notebook shares (`%run ./config`). Widgets:
# MAGIC
# MAGIC - `env` (default `dev`): the Unity Catalog catalog; tables are `<env>.sbit.<table>`.
# MAGIC - `format` (default `parquet`): the table format. Set it to `delta` on a real workspace;
# MAGIC   localspace has no Delta jars, and nothing here needs Delta-only features.
# MAGIC - `data_dir`: where the test data sets (`history/`, `payload-1/`, `payload-2/`) are,
# MAGIC   for the history loader and the producer, e.g. `file:/Workspace/Shared/sbit/data`.

# COMMAND ----------

from pyspark.sql import functions as F

dbutils.widgets.text("env", "dev")
dbutils.widgets.dropdown("format", "parquet", ["parquet", "delta"])
dbutils.widgets.text("data_dir", "")

env = dbutils.widgets.get("env")
table_format = dbutils.widgets.get("format")
data_dir = dbutils.widgets.get("data_dir").rstrip("/")

schema = f"{env}.sbit"
landing = f"/Volumes/{env}/sbit/landing"
checkpoints = f"/Volumes/{env}/sbit/checkpoints"

# One landing folder per source system; the data sets have the same three folders.
SOURCES = ("registered_users", "gym_logins", "kafka_multiplex")

# Event-time columns may arrive this late; every data set keeps within it (see README).
LATENESS = "30 minutes"


def table(name):
    """Three-part name of one of the pipeline's tables."""
    return f"{schema}.{name}"


def checkpoint(name):
    """Each streaming query keeps its own checkpoint folder on the checkpoints volume."""
    return f"{checkpoints}/{name}"


def trigger_for(mode):
    """stream: a micro-batch every second, forever; batch: what is there now, then stop."""
    if mode == "stream":
        return {"processingTime": "1 second"}
    if mode == "batch":
        return {"availableNow": True}
    raise ValueError(f"mode must be stream or batch, not {mode!r}")


def stream_to_table(df, name, mode):
    """Append a streaming DataFrame to table `name`, the way every bronze and silver layer does."""
    return (df.writeStream
            .queryName(name)
            .format(table_format)
            .outputMode("append")
            .option("checkpointLocation", checkpoint(name))
            .trigger(**trigger_for(mode))
            .toTable(table(name)))


def copy_set(set_name):
    """Copy one test data set (history, payload-1, ...) into the landing folders, file by file."""
    if not data_dir:
        raise ValueError("set the data_dir widget to the folder holding history/, payload-1/, payload-2/")
    copied = 0
    for source in SOURCES:
        for item in dbutils.fs.ls(f"{data_dir}/{set_name}/{source}"):
            dbutils.fs.cp(item.path, f"{landing}/{source}/{item.name}")
            copied += 1
    print(f"copied {copied} files of {set_name} into {landing}")
    return copied
