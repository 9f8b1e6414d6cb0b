# Databricks notebook source
# MAGIC %md A feature localspace does not provide says so in one line.

# COMMAND ----------

for attempt in (lambda: spark.sql("COPY INTO dev.conf_not_emulated.t FROM '/Volumes/x' FILEFORMAT = JSON VALIDATE 10 ROWS"),
                lambda: spark.readStream.format("kafka").option("subscribe", "events").load(),
                lambda: spark.read.json("abfss://raw@account.dfs.core.windows.net/events/"),
                lambda: spark.readStream.format("cloudFiles").option("cloudFiles.format", "json")
                .load("s3://landing-bucket/events/").writeStream.option("checkpointLocation", "/tmp/ck")
                .trigger(availableNow=True).toTable("t"),
                lambda: dbutils.fs.ls("gs://bucket/events/"),
                lambda: dbutils.fs.mount("wasbs://raw@account.blob.core.windows.net", "/mnt/raw"),
                lambda: spark.read.table("samples.nyctaxi.trips").limit(10).collect(),
                lambda: spark.sql("SELECT count(*) FROM samples.tpch.orders").collect(),
                lambda: spark.range(3).write.format("parquet").saveAsTable("hive_metastore.default.legacy_parquet"),
                lambda: spark.sql("SELECT h3_longlatash3(-122.4, 37.8, 7) AS cell").collect(),
                lambda: spark.range(1).selectExpr("ai_query('endpoint', 'hello')").collect(),
                lambda: spark.sql("CREATE OR REPLACE FUNCTION dev.conf_not_emulated.plus_one(x INT) RETURNS INT "
                                  "LANGUAGE PYTHON AS $$ return x + 1 $$")):
    try:
        attempt()
    except Exception as error:  # each says what localspace does not emulate
        assert str(error).startswith("localspace does not emulate"), error
    else:
        raise AssertionError("a feature localspace does not emulate passed silently")

# COMMAND ----------

spark.sql("DESCRIBE EXTERNAL LOCATION landing_zone").show()
