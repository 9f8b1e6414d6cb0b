# Databricks notebook source
# MAGIC %md What real notebooks rely on at run time: workspace files beside them, the notebook
# MAGIC context, widgets, dbutils.fs and %fs, %run with arguments, display() of a stream, sc.

# COMMAND ----------

import json
import os
import sys

dbutils.widgets.text("run_date", "")
dbutils.widgets.dropdown("env", "dev", ["dev", "prod"])
dbutils.widgets.combobox("region", "eu", ["eu", "us"])
dbutils.widgets.multiselect("layers", "bronze", ["bronze", "silver", "gold"])
dbutils.widgets.text("scratch", "gone")
dbutils.widgets.remove("scratch")
facts = {"widgets": [dbutils.widgets.get("env"), dbutils.widgets.get("region"), dbutils.widgets.get("layers")],
         "job_param_wins": dbutils.widgets.get("env") == "prod",
         "get_all_has_run_date": "run_date" in dbutils.widgets.getAll()}
try:
    dbutils.widgets.get("scratch")
except Exception as exc:  # removed: Databricks' InputWidgetNotDefined
    facts["removed_widget"] = type(exc).__name__

# COMMAND ----------

import helpers
from lib.transform import shout

sys.path.append(os.path.abspath("../src"))  # a repo-root pattern: a folder of packages
from pkg.util import double

facts["helpers"] = helpers.NAME
facts["settings"] = helpers.settings()["env"]
facts["relative_open"] = json.load(open("../conf/settings.json"))["tables"]
facts["cwd"] = os.getcwd()
facts["double"] = double(21)
facts["shout"] = [r.name for r in shout(spark.createDataFrame([("ann",)], "name STRING")).collect()]

# COMMAND ----------

# MAGIC %run ./child $name="from-run"

# COMMAND ----------

# MAGIC %run /Shared/conformance/runtime/notebooks/child $name=absolute

# COMMAND ----------

facts["child_names"] = child_names
ctx = dbutils.notebook.entry_point.getDbutils().notebook().getContext()
import requests
listing = requests.get(f"{ctx.apiUrl().get()}/api/2.0/workspace/list", params={"path": "/Shared/conformance/runtime"},
                       headers={"Authorization": f"Bearer {ctx.apiToken().get()}"})
facts["context"] = {"path": ctx.notebookPath().get(), "run_id": ctx.currentRunId().get().id(),
                    "job_id": ctx.tags().get("jobId").get(), "job_run_id": ctx.tags().apply("multitaskParentRunId"),
                    "api_status": listing.status_code, "json_path": json.loads(ctx.toJson())["extraContext"]["notebook_path"],
                    "cluster": spark.conf.get("spark.databricks.clusterUsageTags.clusterName"),
                    "runtime": spark.conf.get("spark.databricks.clusterUsageTags.sparkVersion"),
                    "workspace_url": spark.conf.get("spark.databricks.workspaceUrl"),
                    "org_ids_match": spark.conf.get("spark.databricks.clusterUsageTags.clusterOwnerOrgId")
                    == spark.conf.get("spark.databricks.clusterUsageTags.orgId"),
                    "get_argument": getArgument("run_date"),
                    # how code tells it runs on Databricks, and on which runtime
                    "runtime_env": [os.environ.get("DATABRICKS_RUNTIME_VERSION"), os.getenv("DATABRICKS_RUNTIME_VERSION"),
                                    "DATABRICKS_RUNTIME_VERSION" in os.environ]}
facts["refs"] = {k: dbutils.widgets.get(k) for k in ("run_date", "job_run", "task")}

# COMMAND ----------

root = "/Volumes/dev/conf_runtime/files"
spark.sql("CREATE VOLUME IF NOT EXISTS dev.conf_runtime.files")
dbutils.fs.mkdirs(f"{root}/in/day=1")
dbutils.fs.put(f"{root}/in/day=1/a.json", '{"id": 1}', True)
dbutils.fs.put(f"{root}/in/day=1/a.json", '{"id": 2, "name": "overwritten"}', overwrite=True)
dbutils.fs.cp(f"{root}/in", f"{root}/copy", recurse=True)
dbutils.fs.mv(f"{root}/copy/day=1/a.json", f"{root}/moved.json")
listing = dbutils.fs.ls(f"{root}/")
facts["fs"] = {"ls": sorted((f.name, f.isDir()) for f in listing),
               "dir_path": next(f.path for f in listing if f.name == "in/"),
               "sizes_and_times": all(f.size >= 0 and f.modificationTime > 0 for f in listing),
               "head": dbutils.fs.head(f"{root}/moved.json", 8),
               "rm": dbutils.fs.rm(f"{root}/copy", True),
               "mounts": "/Volumes" in [m.mountPoint for m in dbutils.fs.mounts()]}

# COMMAND ----------

# MAGIC %fs ls /Volumes/dev/conf_runtime/files/in

# COMMAND ----------

sc.setJobGroup("runtime-group", "a job group of the notebook's own")
spark.sparkContext.setLocalProperty("spark.scheduler.pool", "runtime")
facts["spark_context"] = {"parallelism": sc.defaultParallelism > 0,
                          "sql_context": sqlContext.sql("SELECT 41 + 1 AS x").first().x}

# COMMAND ----------

spark.sql("CREATE TABLE IF NOT EXISTS dev.conf_runtime.events (id INT)")
spark.sql("INSERT INTO dev.conf_runtime.events VALUES (1), (2), (3)")
display(spark.readStream.table("dev.conf_runtime.events"), streamName="events_live")
live = next(q for q in spark.streams.active if q.name == "events_live")
live.processAllAvailable()
facts["display_stream_rows"] = spark.table("events_live").count()
live.stop()

# COMMAND ----------

facts["twin"] = dbutils.notebook.run("../twin/twin", 120)
import helpers as helpers_again
facts["helpers_after_twin"] = helpers_again.NAME
facts["helpers_in_sys_modules"] = "helpers" in sys.modules

# COMMAND ----------

# The ways code outside the notebook's cells finds the session: as on a cluster, all of them
# give this notebook's (its current schema, conf and temp views), in a module it imports too.
from pyspark.sql import SparkSession
from databricks.sdk.runtime import dbutils as sdk_dbutils, spark as sdk_spark
import session_helpers

spark.sql("USE dev.conf_runtime")
spark.createDataFrame([(1,), (2,)], "n INT").createOrReplaceTempView("only_this_notebook")
built = SparkSession.builder.appName("a helper").config("spark.sql.shuffle.partitions", "3").getOrCreate()
facts["session"] = {"builder": built is spark, "builder_conf": spark.conf.get("spark.sql.shuffle.partitions"),
                    "active": SparkSession.getActiveSession() is spark and SparkSession.active() is spark,
                    "sdk": sdk_spark is spark and sdk_dbutils is dbutils,
                    "helper": session_helpers.where("only_this_notebook")}
spark.sql("USE main.default")

# COMMAND ----------

spark.createDataFrame([(k, json.dumps(v)) for k, v in facts.items()], "key STRING, value STRING") \
    .write.saveAsTable("dev.conf_runtime.facts")
