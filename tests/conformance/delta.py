# Databricks notebook source
# MAGIC %md Delta Lake as Databricks users use it: DML, history, time travel, maintenance.

# COMMAND ----------

from delta.tables import DeltaTable
from pyspark.sql import functions as F

spark.sql("USE CATALOG dev")
spark.sql("USE SCHEMA conf_delta")

# COMMAND ----------

spark.sql("CREATE TABLE customers (id INT, name STRING, city STRING)")
spark.sql("INSERT INTO customers VALUES (1, 'ann', 'Oslo'), (2, 'bob', 'Rome'), (3, 'cid', 'Pune')")
spark.sql("""
  MERGE INTO customers t
  USING (SELECT 2 AS id, 'bob' AS name, 'Lima' AS city UNION ALL SELECT 4, 'dan', 'Kyiv') s
  ON t.id = s.id
  WHEN MATCHED THEN UPDATE SET *
  WHEN NOT MATCHED THEN INSERT *
""")
spark.sql("UPDATE customers SET name = upper(name) WHERE id = 1")
spark.sql("DELETE FROM customers WHERE id = 3")

# COMMAND ----------

# MAGIC %sql
# MAGIC CREATE OR REPLACE TABLE customers_by_city AS
# MAGIC SELECT city, count(*) AS n FROM customers GROUP BY city

# COMMAND ----------

history = spark.sql("DESCRIBE HISTORY customers")
operations = [r.operation for r in history.orderBy("version").collect()]
first_version = spark.read.option("versionAsOf", 1).table("customers").count()
as_of = spark.sql("SELECT count(*) AS n FROM customers VERSION AS OF 1").first().n
detail = spark.sql("DESCRIBE DETAIL customers").first()
spark.sql("OPTIMIZE customers ZORDER BY (id)")
spark.sql("CREATE TABLE logins (timestamp TIMESTAMP, user STRING)")
for at, user in (("2026-01-02 03:04:05", "ann"), ("2026-01-02 04:00:00", "bob")):
    spark.sql(f"INSERT INTO logins VALUES (TIMESTAMP'{at}', '{user}')")
spark.sql("OPTIMIZE logins ZORDER BY (timestamp, user)")   # a column named timestamp, as Databricks allows
zorder = [r.operationParameters["zOrderBy"] for r in spark.sql("DESCRIBE HISTORY logins").collect()
          if r.operation == "OPTIMIZE"]
spark.sql("SET spark.databricks.delta.retentionDurationCheck.enabled = false")
spark.sql("VACUUM customers RETAIN 0 HOURS")

# COMMAND ----------

spark.sql("""
  CREATE TABLE events (
    event_id BIGINT GENERATED ALWAYS AS IDENTITY,
    ts TIMESTAMP,
    day DATE GENERATED ALWAYS AS (CAST(ts AS DATE)),
    kind STRING)
  CLUSTER BY (kind)
  TBLPROPERTIES (delta.enableChangeDataFeed = true)
""")
spark.sql("INSERT INTO events (ts, kind) VALUES (TIMESTAMP'2026-01-02 03:04:05', 'login'), (TIMESTAMP'2026-01-03 00:00:00', 'logout')")
spark.sql("UPDATE events SET kind = 'signout' WHERE kind = 'logout'")
changes = spark.sql("SELECT _change_type FROM table_changes('events', 1) ORDER BY _commit_version, _change_type").collect()

# COMMAND ----------

target = DeltaTable.forName(spark, "dev.conf_delta.customers")
updates = spark.createDataFrame([(4, "DAN", "Kyiv"), (5, "eve", "Oslo")], "id INT, name STRING, city STRING")
(target.alias("t").merge(updates.alias("s"), "t.id = s.id")
 .whenMatchedUpdateAll().whenNotMatchedInsertAll().execute())
# The table API's maintenance calls resolve the table again by its name.
target.vacuum(0)
api_detail = target.detail().first()
api_history = [r.operation for r in target.history(1).collect()]

# COMMAND ----------

# A table named by its folder, as the Delta docs and older DBFS pipelines create one: no
# catalog entry, read and written by path in any current catalog.
spark.sql("CREATE TABLE IF NOT EXISTS delta.`dbfs:/tmp/conf_delta/readings` (id INT, bpm INT)")
spark.sql("INSERT INTO delta.`dbfs:/tmp/conf_delta/readings` VALUES (1, 70), (2, 80)")
spark.sql("MERGE INTO delta.`dbfs:/tmp/conf_delta/readings` t USING (SELECT 2 AS id, 90 AS bpm) s "
          "ON t.id = s.id WHEN MATCHED THEN UPDATE SET *")
by_path = spark.read.format("delta").load("dbfs:/tmp/conf_delta/readings").orderBy("id").collect()

# COMMAND ----------

spark.createDataFrame([
    ("by_path", ",".join(f"{r.id}:{r.bpm}" for r in by_path)),
    ("operations", ",".join(operations)),
    ("first_version_rows", str(first_version)),
    ("as_of_rows", str(as_of)),
    ("detail_format", detail.format),
    ("detail_name", detail.name),
    ("detail_name_as_written", str(detail.name == "dev.conf_delta.customers")),  # no internal name
    ("api_detail_format", api_detail.format),
    ("api_history", ",".join(api_history)),
    ("changes", ",".join(r._change_type for r in changes)),
    ("zorder", ",".join(zorder)),
], "key STRING, value STRING").write.saveAsTable("facts")
