# Databricks notebook source
# MAGIC %md Settings Databricks notebooks set.

# COMMAND ----------

spark.conf.set("spark.databricks.delta.optimizeWrite.enabled", "true")
spark.conf.set("spark.databricks.delta.autoCompact.enabled", "true")
spark.conf.set("spark.databricks.io.cache.enabled", "true")
spark.sparkContext.setLocalProperty("spark.scheduler.pool", "bronze_pool")
spark.sql("CREATE TABLE dev.conf_settings.pooled AS SELECT id FROM range(4)")
spark.createDataFrame([("optimize_write", spark.conf.get("spark.databricks.delta.optimizeWrite.enabled")),
                       ("pool", spark.sparkContext.getLocalProperty("spark.scheduler.pool"))],
                      "key STRING, value STRING").write.saveAsTable("dev.conf_settings.facts")
