# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: run the pipeline
# MAGIC
# MAGIC Starts bronze, silver and gold, in that order (each layer's tables exist before the next
# MAGIC layer reads them). `mode=stream` (default): the queries run every second until the job
# MAGIC is cancelled; the notebook blocks, so the job stays RUNNING, and fails if a query fails.
# MAGIC `mode=batch`: each layer processes what is there now and stops before the next starts.

# COMMAND ----------

# MAGIC %run ./config

# COMMAND ----------

# MAGIC %run ./bronze

# COMMAND ----------

# MAGIC %run ./silver

# COMMAND ----------

# MAGIC %run ./gold

# COMMAND ----------

dbutils.widgets.dropdown("mode", "stream", ["stream", "batch"])
mode = dbutils.widgets.get("mode")
layers = (start_bronze, start_silver, start_gold)

if mode == "stream":
    queries = [query for start in layers for query in start(mode)]
    spark.streams.awaitAnyTermination()  # raises the error of a query that failed
    stopped = [query.name for query in queries if not query.isActive]
    raise RuntimeError(f"streaming queries {stopped} stopped while the pipeline should run")
else:
    for start in layers:
        for query in start(mode):
            query.awaitTermination()
    print("batch run complete")
