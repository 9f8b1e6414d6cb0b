# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: producer
# MAGIC
# MAGIC Copies one payload set (`set` widget: `payload-1`, `payload-2`) from `data_dir` into
# MAGIC the landing zone, as the source systems would. For manual runs: the streamtest plans
# MAGIC upload the same files with `upload` steps instead.

# COMMAND ----------

# MAGIC %run ./config

# COMMAND ----------

dbutils.widgets.text("set", "payload-1")
copy_set(dbutils.widgets.get("set"))
