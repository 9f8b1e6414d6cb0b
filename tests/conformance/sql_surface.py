# Databricks notebook source
# MAGIC %md The DDL and DML statements real pipelines run against Delta tables in Unity Catalog.

# COMMAND ----------

# MAGIC %sql
# MAGIC CREATE SCHEMA IF NOT EXISTS dev.conf_sql_surface_more COMMENT 'made with a comment'

# COMMAND ----------

spark.sql("USE dev.conf_sql_surface")
facts = [("who", spark.sql("SELECT current_catalog(), current_schema(), current_database(), current_user()").first()[:])]
facts.append(("schema_comment", {r[0]: r[1] for r in spark.sql("DESCRIBE SCHEMA EXTENDED dev.conf_sql_surface_more").collect()}.get("Comment")))
spark.sql("""CREATE TABLE orders (id INT, item STRING, qty INT)
             TBLPROPERTIES (delta.autoOptimize.optimizeWrite = true, delta.autoOptimize.autoCompact = true,
                            delta.enableDeletionVectors = true, delta.columnMapping.mode = 'name',
                            delta.targetFileSize = '32mb', delta.tuneFileSizesForRewrites = true,
                            delta.parquet.compression.codec = 'zstd')""")
spark.sql("INSERT INTO orders VALUES (1, 'tea', 2), (2, 'jam', 1)")

# COMMAND ----------

spark.sql("ALTER TABLE orders SET TBLPROPERTIES (delta.enableChangeDataFeed = true)")   # version 2
spark.sql("ALTER TABLE orders ADD COLUMNS (city STRING COMMENT 'where')")
spark.sql("ALTER TABLE orders ALTER COLUMN item COMMENT 'what'")
spark.sql("ALTER TABLE orders ADD CONSTRAINT positive_qty CHECK (qty > 0)")
spark.sql("COMMENT ON TABLE orders IS 'orders placed'")
spark.sql("COMMENT ON SCHEMA dev.conf_sql_surface IS 'the SQL surface, commented'")
spark.sql("ALTER TABLE orders CLUSTER BY (id)")
spark.sql("INSERT INTO orders VALUES (3, 'oat', 5, 'Oslo')")
spark.sql("INSERT INTO orders REPLACE WHERE id = 3 SELECT 3, 'oat', 6, 'Lima'")
cdf_from = min(r.version for r in spark.sql("DESCRIBE HISTORY orders").collect() if r.operation == "SET TBLPROPERTIES")
facts.append(("changes", sorted(r._change_type for r in spark.sql(f"SELECT * FROM table_changes('dev.conf_sql_surface.orders', {cdf_from})").collect())))
try:
    spark.sql("INSERT INTO orders VALUES (4, 'bad', 0, 'Kyiv')")
    facts.append(("check_violated", False))
except Exception as e:  # noqa: BLE001
    facts.append(("check_violated", "DELTA_VIOLATE_CONSTRAINT_WITH_VALUES" in str(e)))
props = {r.key: r.value for r in spark.sql("SHOW TBLPROPERTIES orders").collect()}
facts.append(("props", [props.get(k) for k in ("delta.enableChangeDataFeed", "delta.autoOptimize.optimizeWrite",
                                               "delta.columnMapping.mode", "delta.constraints.positive_qty",
                                               "delta.targetFileSize", "delta.parquet.compression.codec")]))
unknown = []
for prop in ("delta.targetFileSize = 'big'", "delta.tuneFileSizesForRewrite = true"):  # a bad value; a typo
    try:
        spark.sql(f"ALTER TABLE orders SET TBLPROPERTIES ({prop})")
        unknown.append("accepted")
    except Exception as e:  # noqa: BLE001
        unknown.append(str(e)[:400])
facts.append(("refused_props", unknown))
analyzed = [spark.sql(f"ANALYZE TABLE {name} COMPUTE {what}").collect()
            for name, what in (("orders", "STATISTICS FOR ALL COLUMNS"), ("dev.conf_sql_surface.orders", "DELTA STATISTICS"))]
facts.append(("analyzed", [len(rows) for rows in analyzed]))
facts.append(("show_columns", [r[0] for r in spark.sql("SHOW COLUMNS IN dev.conf_sql_surface.orders").collect()]))
facts.append(("describe", [[r[0], r[1], r[2]] for r in spark.sql("DESCRIBE TABLE orders").collect() if r[0] in ("item", "city")]))
facts.append(("show_create", spark.sql("SHOW CREATE TABLE dev.conf_sql_surface.orders").first().createtab_stmt))

# COMMAND ----------

spark.sql("CREATE TABLE orders_copy DEEP CLONE orders")
spark.sql("CREATE TABLE orders_v1 CLONE dev.conf_sql_surface.orders VERSION AS OF 1")
spark.sql("CREATE TABLE big_orders AS SELECT * FROM orders WHERE qty > 1")
spark.sql("CREATE TABLE big_orders_shallow SHALLOW CLONE big_orders")
spark.sql("INSERT OVERWRITE big_orders SELECT * FROM orders WHERE qty > 5")
spark.sql("CREATE TABLE doomed AS SELECT * FROM orders")
spark.sql("TRUNCATE TABLE doomed")
facts.append(("truncated", spark.table("doomed").count()))
spark.sql("RESTORE TABLE doomed TO VERSION AS OF 0")
facts.append(("restored", spark.table("doomed").count()))

# COMMAND ----------

spark.sql("CREATE OR REPLACE FUNCTION dev.conf_sql_surface.with_tax(x DOUBLE) RETURNS DOUBLE RETURN x * 1.25")
spark.sql("CREATE OR REPLACE TEMPORARY FUNCTION twice(x INT) RETURNS INT RETURN x * 2")
spark.sql("CREATE FUNCTION IF NOT EXISTS label(x STRING) RETURNS STRING RETURN upper(x)")
facts.append(("functions", spark.sql("SELECT dev.conf_sql_surface.with_tax(8), twice(21), label('ok')").first()[:]))
spark.sql("CREATE OR REPLACE VIEW labelled AS SELECT id, dev.conf_sql_surface.label(item) AS item FROM orders")
facts.append(("function_in_view", sorted(r.item for r in spark.table("labelled").collect())))
try:
    spark.sql("ANALYZE TABLE labelled COMPUTE STATISTICS")
    facts.append(("analyze_view", "accepted"))
except Exception as e:  # noqa: BLE001
    facts.append(("analyze_view", str(e)[:200]))
facts.append(("function_exists", spark.catalog.functionExists("dev.conf_sql_surface.with_tax")))
facts.append(("describe_function", spark.sql("DESCRIBE FUNCTION dev.conf_sql_surface.with_tax").first()[0]))

# COMMAND ----------

import json
spark.createDataFrame([(k, json.dumps(v)) for k, v in facts], "key STRING, value STRING").write.saveAsTable("facts")
