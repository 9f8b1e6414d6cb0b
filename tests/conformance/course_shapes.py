# Databricks notebook source
# MAGIC %md Shapes found in public Databricks pipelines (course repositories, team projects):
# MAGIC unqualified names after `USE CATALOG`/`USE SCHEMA`, also inside `foreachBatch`;
# MAGIC `writeStream ... .table(name)`; Delta tables named by their folder; parameter markers;
# MAGIC pandas on the cluster.

# COMMAND ----------

from pyspark.sql import functions as F

spark.sql("USE CATALOG dev")
spark.sql("USE SCHEMA conf_course_shapes")
spark.sql("CREATE VOLUME IF NOT EXISTS raw")
spark.sql("CREATE TABLE IF NOT EXISTS orders_silver (order_id STRING, qty INT)")
spark.createDataFrame([("o1", 1), ("o2", 2), ("o1", 1)], "order_id STRING, qty INT") \
    .write.format("json").mode("overwrite").save("/Volumes/dev/conf_course_shapes/raw/orders")

# COMMAND ----------

# Bronze: the courses end a stream in .table(name), Databricks' alias of toTable.
(spark.readStream.format("cloudFiles").option("cloudFiles.format", "json")
 .schema("order_id STRING, qty INT")
 .load("/Volumes/dev/conf_course_shapes/raw/orders")
 .writeStream.option("checkpointLocation", "/Volumes/dev/conf_course_shapes/raw/_checkpoints/bronze")
 .trigger(availableNow=True)
 .table("orders_bronze")).awaitTermination()

# COMMAND ----------

# Silver: the MERGE inside foreachBatch names its table without catalog and schema, and runs
# on the stream's own session (microBatchDF.sparkSession), which must be in dev.conf_course_shapes.
seen = {}

def upsert(micro_batch, batch_id):
    micro_batch.createOrReplaceTempView("orders_microbatch")
    seen["batch"] = micro_batch.sparkSession.sql("SELECT current_catalog() c, current_schema() s").first().asDict()
    micro_batch.sparkSession.sql("""
      MERGE INTO orders_silver a USING orders_microbatch b ON a.order_id = b.order_id
      WHEN NOT MATCHED THEN INSERT *""")

(spark.readStream.table("orders_bronze").dropDuplicates(["order_id"])
 .writeStream.foreachBatch(upsert)
 .option("checkpointLocation", "/Volumes/dev/conf_course_shapes/raw/_checkpoints/silver")
 .trigger(availableNow=True).start().awaitTermination())

# COMMAND ----------

# Gold by path, parameter markers, pandas.
spark.table("orders_silver").write.format("delta").mode("overwrite") \
    .save("/Volumes/dev/conf_course_shapes/raw/gold")
spark.sql("INSERT INTO delta.`/Volumes/dev/conf_course_shapes/raw/gold` VALUES (:id, :qty)",
          args={"id": "o3", "qty": 3})
by_path = spark.sql("SELECT count(*) FROM delta.`/Volumes/dev/conf_course_shapes/raw/gold`").first()[0]
first_version = spark.sql("SELECT count(*) FROM delta.`/Volumes/dev/conf_course_shapes/raw/gold` VERSION AS OF 0").first()[0]
big = spark.sql("SELECT count(*) FROM orders_silver WHERE qty >= ?", args=[2]).first()[0]

from pyspark import pandas as ps  # noqa: E402 - as the notebooks import it, mid-notebook
pandas_rows = len(spark.table("orders_silver").toPandas())
pandas_on_spark = len(ps.range(3))

facts = {"batch": seen["batch"], "by_path": by_path, "first_version": first_version, "big": big,
         "pandas_rows": pandas_rows, "pandas_on_spark": pandas_on_spark}
import json  # noqa: E402
spark.createDataFrame([(k, json.dumps(v)) for k, v in facts.items()], "key STRING, value STRING") \
    .write.mode("overwrite").saveAsTable("facts")
