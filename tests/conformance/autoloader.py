# Databricks notebook source
# MAGIC %md Auto Loader into a bronze table.

# COMMAND ----------

spark.sql("CREATE VOLUME IF NOT EXISTS dev.conf_autoloader.meta")
landing = "/Volumes/dev/conf_autoloader/meta/landing"   # not there yet: Auto Loader waits
schemas = "/Volumes/dev/conf_autoloader/meta/schemas"

def bronze(name, hints=None, typed=False):
    reader = (spark.readStream.format("cloudFiles")
              .option("cloudFiles.format", "json")
              .option("cloudFiles.schemaLocation", f"{schemas}/{name}")
              .option("cloudFiles.maxFilesPerTrigger", 1))
    if hints:
        reader = reader.option("cloudFiles.schemaHints", hints)
    if typed:
        reader = reader.option("cloudFiles.inferColumnTypes", "true")
    return (reader.load(landing)
            .writeStream.option("checkpointLocation", f"/Volumes/dev/conf_autoloader/meta/cp/{name}")
            .trigger(availableNow=True).toTable(f"dev.conf_autoloader.{name}"))

# COMMAND ----------

try:
    bronze("early").awaitTermination()
    empty = "started"
except Exception as error:  # no files yet, no schema: Databricks refuses to infer
    empty = str(error).split("]")[0].lstrip("[")

dbutils.fs.put(f"{landing}/1.json", '{"id": 1, "amount": 10.5, "name": "ann"}\n', True)
dbutils.fs.put(f"{landing}/2.json", '{"id": 2, "amount": 7, "name": "bob"}\n{not json\n', True)

bronze("strings").awaitTermination()
bronze("hinted", hints="id BIGINT, amount DOUBLE").awaitTermination()
bronze("typed", typed=True).awaitTermination()

import json
facts = {"empty_folder": empty}
spark.createDataFrame([(k, json.dumps(v)) for k, v in facts.items()], "key STRING, value STRING").write.saveAsTable("dev.conf_autoloader.facts")
