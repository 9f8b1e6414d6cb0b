# Databricks notebook source
# MAGIC %md `COPY INTO` the way the Databricks tutorial loads files: an empty table, then idempotent loads.

# COMMAND ----------

spark.sql("CREATE VOLUME IF NOT EXISTS dev.conf_copy_into.files")
src = "/Volumes/dev/conf_copy_into/files/in"
dbutils.fs.put(f"{src}/a.csv", "id,name\n1,ann\n2,bob\n", True)
dbutils.fs.put(f"{src}/b.csv", "id,name\n3,cid\n", True)
dbutils.fs.put(f"{src}/readme.txt", "not data\n", True)
dbutils.fs.put(f"{src}/events/e1.json", '{"id": 10, "kind": "click"}\n', True)

# COMMAND ----------

# MAGIC %sql
# MAGIC CREATE TABLE IF NOT EXISTS dev.conf_copy_into.people

# COMMAND ----------

copy = f"""COPY INTO dev.conf_copy_into.people
  FROM '{src}'
  FILEFORMAT = CSV
  PATTERN = '*.csv'
  FORMAT_OPTIONS ('header' = 'true', 'inferSchema' = 'true')
  COPY_OPTIONS ('mergeSchema' = 'true')"""
first = spark.sql(copy).first().asDict()
dbutils.fs.put(f"{src}/c.csv", "id,name\n4,dan\n", True)
again = spark.sql(copy).first().asDict()   # only c.csv is new

spark.sql("CREATE TABLE dev.conf_copy_into.events (id BIGINT, kind STRING, source STRING)")
events = f"""COPY INTO dev.conf_copy_into.events
  FROM (SELECT id, upper(kind) AS kind, _metadata.file_name AS source FROM '{src}/events')
  FILEFORMAT = JSON
  FILES = ('e1.json')"""
spark.sql(events)
skipped = spark.sql(events).first().asDict()
forced = spark.sql(events + " COPY_OPTIONS ('force' = 'true')").first().asDict()

# COMMAND ----------

import json
facts = {"first": first, "again": again, "skipped": skipped, "forced": forced}
spark.createDataFrame([(k, json.dumps(v)) for k, v in facts.items()], "key STRING, value STRING").write.saveAsTable("dev.conf_copy_into.facts")
