# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: run the pipeline
# MAGIC
# MAGIC As the course's `07-run`: cluster settings first, then bronze, silver and gold, in that
# MAGIC order, in the schema and folders `config`'s widgets name (setup has created every table).
# MAGIC `mode=stream` (default): every query runs a micro-batch each `processing_time` until the
# MAGIC job is cancelled; the notebook blocks, so the job stays RUNNING, and fails when a query
# MAGIC fails. `mode=batch`: each layer processes what is there now (`availableNow`) and stops
# MAGIC before the next starts.

# COMMAND ----------

dbutils.widgets.dropdown("mode", "stream", ["stream", "batch"], "batch: run once")
dbutils.widgets.text("processing_time", "1 second", "Micro-batch interval in stream mode")

once = dbutils.widgets.get("mode") == "batch"
processing_time = dbutils.widgets.get("processing_time")
if once:
    print(f"Starting sbit in batch mode.")
else:
    print(f"Starting sbit in stream mode with {processing_time} micro-batches.")

# COMMAND ----------

spark.conf.set("spark.sql.shuffle.partitions", sc.defaultParallelism)
# The stateful streams (de-duplication under a watermark) keep their state in RocksDB, and
# checkpoint it as a changelog rather than a full copy on every micro-batch.
spark.conf.set("spark.sql.streaming.stateStore.providerClass",
               "com.databricks.sql.streaming.state.RocksDBStateStoreProvider")
spark.conf.set("spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled", "true")
# A micro-batch only when data came: no extra empty batch (and empty MERGE) each time a
# watermark moves; nothing here needs state evicted before the next data arrives.
spark.conf.set("spark.sql.streaming.noDataMicroBatches.enabled", "false")

# COMMAND ----------

# MAGIC %run ./bronze

# COMMAND ----------

# MAGIC %run ./silver

# COMMAND ----------

# MAGIC %run ./gold

# COMMAND ----------

BZ = Bronze()
SL = Silver()
GL = Gold()

# COMMAND ----------

queries = BZ.consume(once, processing_time)

# COMMAND ----------

queries += SL.upsert(once, processing_time)

# COMMAND ----------

queries += GL.upsert(once, processing_time)

# COMMAND ----------

if not once:
    spark.streams.awaitAnyTermination()  # raises the error of the query that failed
    stopped = [query.name for query in queries if not query.isActive]
    raise RuntimeError(f"streaming queries {stopped} stopped while the pipeline should run")
print("batch run complete")
