# Databricks notebook source
# MAGIC %md What a cluster's Databricks Runtime decides for a notebook: before 17.0, ANSI mode is
# MAGIC off (a bad cast or timestamp is NULL), readers take the JDK's charset names
# MAGIC (`latin1`) and a date the pre-3.0 parser reads differently is an error; on 17.0+ and serverless, ANSI mode is on. The `label` widget names the facts table.

# COMMAND ----------

dbutils.widgets.text("label", "")
label = dbutils.widgets.get("label")
folder = f"/Volumes/dev/conf_runtime_defaults/files/{label}"
spark.sql("CREATE VOLUME IF NOT EXISTS dev.conf_runtime_defaults.files")
dbutils.fs.put(f"{folder}/names.csv", "id,name\n1,Zoë\n", True)

def outcome(action):
    """The value an action gives, or the error condition it raises."""
    try:
        return repr(action())
    except Exception as error:
        return str(error).split("]")[0].lstrip("[")

facts = {
    "ansi": spark.conf.get("spark.sql.ansi.enabled"),
    "bad_cast": outcome(lambda: spark.sql("SELECT cast('twelve' AS INT) AS n").first().n),
    "bad_timestamp": outcome(lambda: spark.sql("SELECT to_timestamp('not a time') AS t").first().t),
    "day_without_zero": outcome(lambda: spark.sql("SELECT to_date('2016-12-1', 'yyyy-MM-dd') AS d").first().d),
    "latin1": outcome(lambda: spark.read.option("header", True).option("encoding", "latin1")
                      .csv(folder).first().name),
}

def auto_loader_latin1():
    """Auto Loader infers from the same file with the same charset (Spark's error if refused)."""
    frame = (spark.readStream.format("cloudFiles").option("cloudFiles.format", "csv")
             .option("cloudFiles.schemaLocation", f"{folder}_schema").option("header", True)
             .option("encoding", "latin1").load(folder))
    return frame.columns

facts["auto_loader_latin1"] = outcome(auto_loader_latin1)
spark.createDataFrame(list(facts.items()), "key STRING, value STRING") \
    .write.mode("overwrite").saveAsTable(f"dev.conf_runtime_defaults.facts_{label}")
