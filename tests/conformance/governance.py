# Databricks notebook source
# MAGIC %md
# MAGIC The governance and key statements a star-schema setup notebook runs in Unity Catalog:
# MAGIC informational primary and foreign keys, `SET NOT NULL`, owners, tags, grants, and the
# MAGIC maintenance statements (`FSCK`, bloom filter indexes, `CLUSTER BY AUTO`) that never
# MAGIC change what a query reads.

# COMMAND ----------

# MAGIC %sql
# MAGIC USE CATALOG dev;
# MAGIC USE SCHEMA conf_governance;
# MAGIC CREATE TABLE IF NOT EXISTS dim_customer (
# MAGIC   customer_key BIGINT GENERATED ALWAYS AS IDENTITY,
# MAGIC   customer_id STRING,
# MAGIC   name STRING,
# MAGIC   CONSTRAINT dim_customer_pk PRIMARY KEY (customer_key)
# MAGIC ) CLUSTER BY AUTO COMMENT 'customers, one row per version';
# MAGIC CREATE TABLE IF NOT EXISTS dim_date (date_key INT NOT NULL PRIMARY KEY, day DATE);
# MAGIC CREATE TABLE IF NOT EXISTS fact_sales (
# MAGIC   sale_id BIGINT,
# MAGIC   customer_key BIGINT,
# MAGIC   date_key INT,
# MAGIC   amount DECIMAL(10, 2),
# MAGIC   CONSTRAINT fact_sales_customer_fk FOREIGN KEY (customer_key) REFERENCES dim_customer,
# MAGIC   CONSTRAINT fact_sales_date_fk FOREIGN KEY (date_key) REFERENCES dim_date (date_key) NOT ENFORCED RELY
# MAGIC );

# COMMAND ----------

facts = []

def refusal(statement):
    try:
        spark.sql(statement).collect()
        return "accepted"
    except Exception as e:  # noqa: BLE001
        return str(e).strip()[:600]

spark.sql("INSERT INTO dim_customer (customer_id, name) VALUES ('c1', 'Ann'), ('c2', 'Bob')")
spark.sql("INSERT INTO dim_date VALUES (20240101, DATE'2024-01-01')")
spark.sql("INSERT INTO fact_sales VALUES (1, 1, 20240101, 9.50), (2, 7, 20240101, 3.00)")  # keys are not enforced
facts.append(("key_columns_not_null", [f.nullable for f in spark.table("dim_customer").schema.fields[:1]]
                                      + [f.nullable for f in spark.table("dim_date").schema.fields[:1]]))
facts.append(("null_key", refusal("INSERT INTO dim_date VALUES (NULL, DATE'2024-01-02')")))
facts.append(("second_pk", refusal("ALTER TABLE dim_date ADD CONSTRAINT another_pk PRIMARY KEY (date_key)")))
facts.append(("missing_parent", refusal(
    "CREATE TABLE orphan (id BIGINT, CONSTRAINT orphan_fk FOREIGN KEY (id) REFERENCES no_such_table (id))")))
facts.append(("check_in_create", refusal("CREATE TABLE checked (id BIGINT, CONSTRAINT positive CHECK (id > 0))")))
facts.append(("hive_pk", refusal("CREATE TABLE hive_metastore.default.conf_governance_pk (id BIGINT, PRIMARY KEY (id))")))

# COMMAND ----------

# A key added later: the column is made NOT NULL first (rows are checked), then the key.
spark.sql("CREATE TABLE IF NOT EXISTS dim_store (store_id INT, city STRING)")
spark.sql("INSERT INTO dim_store VALUES (1, 'Oslo'), (NULL, 'Lima')")
facts.append(("pk_on_nullable", refusal("ALTER TABLE dim_store ADD CONSTRAINT dim_store_pk PRIMARY KEY (store_id)")))
facts.append(("set_not_null_with_nulls", refusal("ALTER TABLE dim_store ALTER COLUMN store_id SET NOT NULL")))
spark.sql("DELETE FROM dim_store WHERE store_id IS NULL")
spark.sql("ALTER TABLE dim_store ALTER COLUMN store_id SET NOT NULL")
spark.sql("ALTER TABLE dim_store ADD CONSTRAINT dim_store_pk PRIMARY KEY (store_id)")
facts.append(("store_null_refused", refusal("INSERT INTO dim_store VALUES (NULL, 'Kyiv')")))
facts.append(("store_history", [r.operation for r in spark.sql("DESCRIBE HISTORY dim_store").orderBy("version").collect()]))
spark.sql("ALTER TABLE dim_store DROP CONSTRAINT dim_store_pk")
spark.sql("ALTER TABLE dim_store DROP PRIMARY KEY IF EXISTS")
facts.append(("drop_missing_pk", refusal("ALTER TABLE dim_store DROP PRIMARY KEY")))
facts.append(("drop_missing_constraint", refusal("ALTER TABLE dim_store DROP CONSTRAINT no_such_constraint")))
spark.sql("ALTER TABLE fact_sales DROP FOREIGN KEY IF EXISTS (date_key)")

# COMMAND ----------

spark.sql("ALTER TABLE dim_customer OWNER TO `data-engineers`")
spark.sql("ALTER SCHEMA dev.conf_governance OWNER TO `data-engineers`")
spark.sql("ALTER TABLE dim_customer SET TAGS ('domain' = 'sales', 'pii')")
spark.sql("ALTER TABLE dim_customer ALTER COLUMN name SET TAGS ('pii' = 'name')")
spark.sql("ALTER TABLE dim_customer UNSET TAGS ('domain')")
spark.sql("SET TAG ON TABLE fact_sales tier = gold")
spark.sql("GRANT USE SCHEMA, SELECT ON SCHEMA dev.conf_governance TO `analysts`")
spark.sql("GRANT SELECT, MODIFY ON TABLE fact_sales TO `data-engineers`")
spark.sql("REVOKE MODIFY ON TABLE fact_sales FROM `data-engineers`")
spark.sql("GRANT SELECT ON ANY FILE TO `data-engineers`")
facts.append(("grants", sorted(r[:] for r in spark.sql("SHOW GRANTS ON TABLE dev.conf_governance.fact_sales").collect())))
facts.append(("grants_of", [r.actionType for r in spark.sql("SHOW GRANTS `analysts` ON SCHEMA conf_governance").collect()]))
facts.append(("grant_missing", refusal("GRANT SELECT ON TABLE no_such_table TO `analysts`")))
facts.append(("owner_missing", refusal("ALTER TABLE no_such_table OWNER TO `analysts`")))

# COMMAND ----------

spark.sql("CREATE BLOOMFILTER INDEX ON TABLE fact_sales FOR COLUMNS (sale_id OPTIONS (fpp = 0.1, numItems = 1000))")
spark.sql("FSCK REPAIR TABLE fact_sales")
facts.append(("fsck_dry_run", spark.sql("FSCK REPAIR TABLE fact_sales DRY RUN").count()))
spark.sql("ALTER TABLE fact_sales CLUSTER BY AUTO")
spark.sql("CREATE OR REPLACE TABLE sales_by_customer CLUSTER BY AUTO AS "
          "SELECT customer_key, sum(amount) AS total FROM fact_sales GROUP BY customer_key")
facts.append(("auto_clustering", spark.sql("DESCRIBE DETAIL dim_customer").first().clusteringColumns))

# COMMAND ----------

import json
spark.createDataFrame([(k, json.dumps(v)) for k, v in facts], "key STRING, value STRING").write.saveAsTable("facts")
