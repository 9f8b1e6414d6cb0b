# Databricks notebook source
# MAGIC %md Structured Streaming over Delta tables, the way medallion pipelines do it.

# COMMAND ----------

from pyspark.sql import functions as F

spark.conf.set("spark.sql.streaming.stateStore.providerClass",
               "com.databricks.sql.streaming.state.RocksDBStateStoreProvider")
spark.sql("USE CATALOG dev")
spark.sql("USE SCHEMA conf_streaming")
spark.sql("CREATE TABLE IF NOT EXISTS bronze (id INT, name STRING, amount INT) TBLPROPERTIES (delta.enableChangeDataFeed = true)")
spark.sql("CREATE TABLE IF NOT EXISTS silver (id INT, name STRING, amount INT)")
spark.sql("INSERT INTO bronze VALUES (1, 'ann', 10), (2, 'bob', 20)")
spark.sql("INSERT INTO bronze VALUES (1, 'ann', 15), (3, 'cid', 30)")
checkpoints = "/Volumes/dev/conf_streaming/checkpoints"
spark.sql("CREATE VOLUME IF NOT EXISTS checkpoints")

# COMMAND ----------

def upsert(batch, batch_id):
    latest = batch.dropDuplicates(["id"])  # one row per key, as the course's upserts do
    latest.createOrReplaceTempView("bronze_updates")
    latest._jdf.sparkSession().sql("""
      MERGE INTO dev.conf_streaming.silver t USING bronze_updates s ON t.id = s.id
      WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *""")

(spark.readStream.option("startingVersion", 2).table("bronze")
 .writeStream.foreachBatch(upsert)
 .option("checkpointLocation", f"{checkpoints}/silver")
 .trigger(availableNow=True).start().awaitTermination())

# COMMAND ----------

totals = (spark.readStream.option("skipChangeCommits", "true").table("dev.conf_streaming.bronze")
          .groupBy("name").agg(F.sum("amount").alias("total")))
(totals.writeStream.outputMode("complete").option("checkpointLocation", f"{checkpoints}/gold")
 .trigger(availableNow=True).toTable("dev.conf_streaming.gold").awaitTermination())

# COMMAND ----------

(spark.readStream.option("readChangeFeed", "true").option("startingVersion", 1).table("bronze")
 .select("id", "_change_type")
 .writeStream.option("checkpointLocation", "dbfs:/checkpoints/conf_streaming/changes")
 .trigger(availableNow=True).toTable("changes").awaitTermination())
