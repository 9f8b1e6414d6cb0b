# Databricks notebook source
# MAGIC %md A feature localspace does not provide says so in one line.

# COMMAND ----------

spark.sql("DESCRIBE EXTERNAL LOCATION landing_zone").show()
