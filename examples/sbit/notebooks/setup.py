# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: setup
# MAGIC
# MAGIC `action=cleanup` (default) first drops the schema with everything in it and removes the
# MAGIC landing and checkpoint folders, so every test starts from nothing; `action=create` only
# MAGIC creates what is missing. Both then create the schema, the two volumes and the landing
# MAGIC folders, and load the history (copy `<data_dir>/history` into the landing zone, where the
# MAGIC bronze streams pick it up when the pipeline starts).

# COMMAND ----------

# MAGIC %run ./config

# COMMAND ----------

dbutils.widgets.dropdown("action", "cleanup", ["cleanup", "create"])
action = dbutils.widgets.get("action")


def remove_folder(path):
    """Delete a folder and its contents; a folder that is not there is already clean."""
    try:
        dbutils.fs.rm(path, True)
    except Exception as error:  # first run: the volume itself does not exist yet
        if "not exist" not in str(error).lower() and "notfound" not in str(error).lower():
            raise


if action == "cleanup":
    for folder in (landing, checkpoints):
        remove_folder(folder)
    spark.sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

spark.sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
for volume in ("landing", "checkpoints"):
    spark.sql(f"CREATE VOLUME IF NOT EXISTS {schema}.{volume}")
for source in SOURCES:
    dbutils.fs.mkdirs(f"{landing}/{source}")
print(f"{action}: schema {schema}, landing {landing}, checkpoints {checkpoints} ready")

# COMMAND ----------

# MAGIC %run ./history-loader
