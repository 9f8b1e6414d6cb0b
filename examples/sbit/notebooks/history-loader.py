# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: history loader
# MAGIC
# MAGIC Puts what the sources recorded before the pipeline existed (`<data_dir>/history`) into
# MAGIC the landing zone, so the first micro-batch of every bronze stream holds the history.
# MAGIC Run by `setup`; can be run alone after it.

# COMMAND ----------

# MAGIC %run ./config

# COMMAND ----------

copy_set("history")
