# Databricks notebook source
# MAGIC %md
# MAGIC Databricks SQL that Apache Spark's grammar lacks, as pipelines write it: `QUALIFY` to keep the
# MAGIC newest row per key, `CREATE TABLE ... LIKE` across Unity Catalog names, and a legacy
# MAGIC `hive_metastore` table over CSV files.

# COMMAND ----------

dbutils.widgets.text("schema", "conf_sql_dialect")
schema = dbutils.widgets.get("schema")
spark.sql(f"USE dev.{schema}")
facts = []

# COMMAND ----------

# MAGIC %sql
# MAGIC CREATE OR REPLACE TABLE readings (device STRING, reading_ts TIMESTAMP, bpm INT);
# MAGIC INSERT INTO readings VALUES
# MAGIC   ('a', '2026-01-01 10:00:00', 60), ('a', '2026-01-01 10:05:00', 64), ('a', '2026-01-01 10:01:00', 61),
# MAGIC   ('b', '2026-01-01 09:00:00', 80), ('b', '2026-01-01 09:30:00', 82),
# MAGIC   ('c', '2026-01-01 08:00:00', 70);

# COMMAND ----------

# MAGIC %sql
# MAGIC -- the newest reading per device: a silver table's usual dedup
# MAGIC CREATE OR REPLACE TABLE latest AS
# MAGIC SELECT device, bpm
# MAGIC FROM readings
# MAGIC WHERE bpm > 0
# MAGIC QUALIFY row_number() OVER (PARTITION BY device ORDER BY reading_ts DESC) = 1

# COMMAND ----------

# A window in the select list named by QUALIFY, an aggregate block, a CTE, a view, MERGE's source
ranked = spark.sql("""
    SELECT device, bpm, rank() OVER (PARTITION BY device ORDER BY bpm) AS r
    FROM readings QUALIFY r <= 2 ORDER BY device, r""")
facts.append(("ranked_columns", ranked.columns))
facts.append(("ranked", [list(row) for row in ranked.collect()]))
facts.append(("busiest", [list(row) for row in spark.sql("""
    SELECT device, count(*) AS n FROM readings GROUP BY device
    QUALIFY dense_rank() OVER (ORDER BY count(*) DESC) = 1""").collect()]))
facts.append(("cte", spark.sql("""
    WITH firsts AS (SELECT * FROM readings QUALIFY row_number() OVER (PARTITION BY device ORDER BY reading_ts) = 1)
    SELECT sum(bpm) FROM firsts""").first()[0]))
spark.sql("""CREATE OR REPLACE VIEW latest_view AS
             SELECT * FROM readings QUALIFY row_number() OVER (PARTITION BY device ORDER BY reading_ts DESC) = 1""")
facts.append(("view_columns", spark.table("latest_view").columns))
spark.sql("CREATE OR REPLACE TABLE device_max (device STRING, bpm INT)")
spark.sql("""MERGE INTO device_max t
             USING (SELECT device, bpm FROM readings QUALIFY max(bpm) OVER (PARTITION BY device) = bpm) s
             ON t.device = s.device
             WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *""")
try:
    spark.sql("SELECT device FROM readings QUALIFY bpm > 60").collect()
    facts.append(("no_window", "accepted"))
except Exception as e:  # noqa: BLE001 - Databricks refuses QUALIFY without a window function
    facts.append(("no_window", str(e)[:120]))

# COMMAND ----------

# CREATE TABLE LIKE: the definition only, Delta, in another schema too
spark.sql(f"CREATE SCHEMA IF NOT EXISTS dev.{schema}_copy")
spark.sql(f"CREATE TABLE IF NOT EXISTS dev.{schema}_copy.readings_shape LIKE dev.{schema}.readings")
spark.sql("CREATE TABLE readings_empty LIKE readings TBLPROPERTIES ('quality' = 'silver')")
spark.sql("INSERT INTO readings_empty SELECT * FROM readings WHERE device = 'c'")
facts.append(("like", [spark.table(f"dev.{schema}_copy.readings_shape").schema.simpleString(),
                       spark.table(f"dev.{schema}_copy.readings_shape").count(),
                       spark.sql("DESCRIBE DETAIL readings_empty").first()["format"],
                       spark.table("readings_empty").count()]))

# COMMAND ----------

# The @ shorthand of time travel, by version and by timestamp (yyyyMMddHHmmssSSS)
first_commit = spark.sql("DESCRIBE HISTORY readings").orderBy("version").collect()[1]["timestamp"]
stamp = first_commit.strftime("%Y%m%d%H%M%S") + f"{first_commit.microsecond // 1000:03d}"
facts.append(("at_syntax", [spark.sql("SELECT count(*) FROM readings@v0").first()[0],
                            spark.sql(f"SELECT count(*) FROM dev.{schema}.readings@v1").first()[0],
                            spark.sql(f"SELECT count(*) FROM readings@{stamp}").first()[0],
                            spark.sql("SELECT 'me@v1' AS literal").first()[0]]))

# COMMAND ----------

# LIST of a volume's folder
spark.sql("CREATE VOLUME IF NOT EXISTS landing")
dbutils.fs.put(f"/Volumes/dev/{schema}/landing/readings.json", '{"device": "a"}', True)
dbutils.fs.mkdirs(f"/Volumes/dev/{schema}/landing/archive")
listed = spark.sql(f"LIST '/Volumes/dev/{schema}/landing/'")
facts.append(("list", [listed.columns, [[r.path, r.name, r.size] for r in listed.collect()],
                       spark.sql(f"LIST '/Volumes/dev/{schema}/landing' LIMIT 1").count()]))

# COMMAND ----------

# A schema whose managed tables live in a storage location of its own (where the files go is not
# something a query sees)
spark.sql(f"""CREATE SCHEMA IF NOT EXISTS dev.{schema}_managed
              MANAGED LOCATION 'abfss://lake@account.dfs.core.windows.net/managed/{schema}'""")
spark.sql(f"CREATE OR REPLACE TABLE dev.{schema}_managed.t AS SELECT 1 AS id")
facts.append(("managed_location", spark.table(f"dev.{schema}_managed.t").count()))

# COMMAND ----------

# A legacy table in hive_metastore over CSV files on DBFS
dbutils.fs.put(f"dbfs:/tmp/{schema}/devices/devices.csv", "device,room\na,ward 1\nb,ward 2\n", True)
spark.sql("CREATE SCHEMA IF NOT EXISTS hive_metastore.legacy")
spark.sql(f"""CREATE TABLE IF NOT EXISTS hive_metastore.legacy.devices (device STRING, room STRING)
              USING CSV OPTIONS (header 'true') LOCATION 'dbfs:/tmp/{schema}/devices'""")
spark.sql("CREATE TABLE IF NOT EXISTS hive_metastore.legacy.visits (device STRING) USING PARQUET")
spark.sql("INSERT INTO hive_metastore.legacy.visits VALUES ('a'), ('a'), ('b')")
joined = spark.sql("""SELECT d.room, count(*) AS visits
                      FROM hive_metastore.legacy.visits v JOIN hive_metastore.legacy.devices d USING (device)
                      GROUP BY d.room ORDER BY d.room""")
facts.append(("legacy", [list(row) for row in joined.collect()]))
described = {r.col_name: r.data_type for r in spark.sql("DESCRIBE TABLE EXTENDED hive_metastore.legacy.devices").collect()}
facts.append(("legacy_described", [described.get("Catalog"), described.get("Database"), described.get("Provider")]))

# COMMAND ----------

import json
spark.createDataFrame([(k, json.dumps(v)) for k, v in facts], "key STRING, value STRING").write.mode("overwrite").saveAsTable("facts")
