# Databricks notebook source
# MAGIC %md Events kept as JSON strings and read with the `:` operator, the way clickstream
# MAGIC pipelines do it (Databricks docs, "Query JSON strings").

# COMMAND ----------

import json
spark.sql("USE dev.conf_json_strings")
spark.sql("CREATE VOLUME IF NOT EXISTS cp")
events = [
    {"user_id": "u1", "Device": "iOS", "ecommerce": {"purchase_revenue_in_usd": 12.5, "items": 2},
     "items": [{"sku": "tea", "qty": 1}, {"sku": "jam", "qty": 3}], "coupon": None, "zip code": "0150"},
    {"user_id": "u2", "Device": "Android", "ecommerce": {"purchase_revenue_in_usd": 30, "items": 1},
     "items": [{"sku": "oat", "qty": 2}], "coupon": "SAVE", "zip code": "7010"},
]
(spark.createDataFrame([(i, json.dumps(e)) for i, e in enumerate(events)], "key INT, value STRING")
 .write.saveAsTable("events_raw"))

# COMMAND ----------

# MAGIC %sql
# MAGIC CREATE OR REPLACE TABLE purchases AS
# MAGIC SELECT key, value:user_id, value:device, value:ecommerce.purchase_revenue_in_usd::double AS revenue,
# MAGIC        value:items[0].sku AS first_sku, value:items[*].qty AS quantities, value:`Zip Code` AS zip,
# MAGIC        value:coupon IS NULL AS no_coupon
# MAGIC FROM events_raw
# MAGIC WHERE value:ecommerce.items::int >= 1

# COMMAND ----------

# MAGIC %sql
# MAGIC CREATE OR REPLACE VIEW big_spenders AS
# MAGIC SELECT value:user_id AS user_id FROM dev.conf_json_strings.events_raw
# MAGIC WHERE value:ecommerce.purchase_revenue_in_usd::double > 20

# COMMAND ----------

facts = [("columns", spark.table("purchases").columns)]
facts.append(("exact_case", spark.sql("SELECT value:['Device'], value:['device'] FROM events_raw WHERE key = 0").first()[:]))
facts.append(("nested_text", spark.sql("SELECT value:ecommerce FROM events_raw WHERE key = 1").first()[0]))
facts.append(("select_expr", [r[0] for r in spark.table("events_raw").selectExpr("value:items[*].sku AS skus").orderBy("skus").collect()]))
facts.append(("variant", spark.sql("SELECT parse_json(value):Device::string FROM events_raw WHERE key = 1").first()[0]))
stream = (spark.readStream.table("events_raw")
          .selectExpr("key", "value:user_id AS user_id", "value:ecommerce.items::int AS items"))
(stream.writeStream.option("checkpointLocation", "/Volumes/dev/conf_json_strings/cp/users")
 .trigger(availableNow=True).toTable("users").awaitTermination())
spark.createDataFrame([(k, json.dumps(v)) for k, v in facts], "key STRING, value STRING").write.saveAsTable("facts")
