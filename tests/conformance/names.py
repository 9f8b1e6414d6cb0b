# Databricks notebook source
# MAGIC %md Unity Catalog names from every road into Spark.

# COMMAND ----------

spark.sql("USE CATALOG dev")
spark.sql("USE SCHEMA conf_names")
facts = [("current", spark.sql("SELECT current_catalog() AS c, current_schema() AS s").first().asDict())]

# COMMAND ----------

spark.createDataFrame([(1, "a"), (2, "b")], "id INT, v STRING").write.saveAsTable("two_part_default")
spark.table("conf_names.two_part_default").writeTo("dev.conf_names.via_writeto").create()
spark.range(3).write.mode("overwrite").saveAsTable("conf_names.via_saveastable")
spark.table("dev.conf_names.via_saveastable").createOrReplaceTempView("numbers")
spark.sql("CREATE TABLE from_temp_view AS SELECT * FROM numbers WHERE id > 0")
# The road foreachBatch code takes: SQL straight to the JVM session.
spark.range(5)._jdf.sparkSession().sql("CREATE TABLE dev.conf_names.via_jvm AS SELECT 42 AS answer")

# COMMAND ----------

# Permanent views with Unity Catalog names, the gold layer's usual shape.
spark.sql("CREATE VIEW dev.conf_names.big_numbers AS SELECT id FROM via_saveastable WHERE id > 0")
spark.sql("CREATE OR REPLACE VIEW big_numbers AS SELECT id FROM dev.conf_names.via_saveastable WHERE id > 1")
spark.sql("CREATE VIEW IF NOT EXISTS conf_names.doomed AS SELECT 1 AS one")
spark.sql("DROP VIEW dev.conf_names.doomed")
facts.append(("views", [r.viewName for r in spark.sql("SHOW VIEWS IN dev.conf_names").collect() if not r.isTemporary]))
facts.append(("view_rows", [r.id for r in spark.table("dev.conf_names.big_numbers").collect()]))
facts.append(("view_ddl", spark.sql("SHOW CREATE TABLE big_numbers").first()[0].split(" (")[0]))
facts.append(("view_in_jvm", spark.range(1)._jdf.sparkSession().sql("SELECT count(*) FROM big_numbers").first().getLong(0)))

# COMMAND ----------

spark.sql("CREATE VOLUME IF NOT EXISTS raw")
spark.sql("CREATE VOLUME scratch")
spark.sql("DROP VOLUME scratch")
facts.append(("volumes", [r.volume_name for r in spark.sql("SHOW VOLUMES").collect()]))
facts.append(("tables", sorted(r.tableName for r in spark.sql("SHOW TABLES IN dev.conf_names").collect())))
facts.append(("schemas_have_default", "default" in [r[0] for r in spark.sql("SHOW SCHEMAS IN dev").collect()]))
facts.append(("catalogs_have_dev", "dev" in [r[0] for r in spark.sql("SHOW CATALOGS").collect()]))
facts.append(("table_exists", spark.catalog.tableExists("dev.conf_names.via_jvm")))

# COMMAND ----------

# A caught error, as a notebook logs or matches it: it names the table the way the code does.
from pyspark.errors import AnalysisException
caught = []
for statement in ("INSERT INTO dev.conf_names.via_writeto VALUES (3)", "SELECT nope FROM dev.conf_names.via_jvm"):
    try:
        spark.sql(statement).collect()
    except AnalysisException as e:
        caught.append([e.getCondition(), "dev.conf_names." in str(e), "dev.conf_names." in e.getMessage(),
                       "__" in str(e) + e.getMessage() or "spark_catalog" in str(e)])
facts.append(("caught", caught))

# COMMAND ----------

spark.sql("CREATE SCHEMA IF NOT EXISTS hive_metastore.conf_legacy")
spark.sql("CREATE OR REPLACE TABLE hive_metastore.conf_legacy.t AS SELECT 1 AS one")
facts.append(("hive_metastore", spark.table("hive_metastore.conf_legacy.t").count()))
spark.sql("DROP SCHEMA hive_metastore.conf_legacy CASCADE")

# COMMAND ----------

import json
spark.createDataFrame([(k, json.dumps(v)) for k, v in facts], "key STRING, value STRING").write.saveAsTable("facts")
