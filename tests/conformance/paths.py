# Databricks notebook source
# MAGIC %md Databricks paths in Spark readers, writers, SQL and Python.

# COMMAND ----------

spark.sql("CREATE VOLUME IF NOT EXISTS dev.conf_paths.files")
root = "/Volumes/dev/conf_paths/files"
dbutils.fs.mkdirs(f"{root}/in")
with open(f"{root}/in/a.json", "w") as f:
    f.write('{"id": 1, "name": "ann"}\n{"id": 2, "name": "bob"}\n')
dbutils.fs.put("dbfs:/tmp/conf_paths/b.csv", "id,name\n3,cid\n", True)

# COMMAND ----------

from pyspark.sql import functions as F

people = (spark.read.json(f"{root}/in")
          .select("id", "name", F.input_file_name().alias("file"), F.col("_metadata.file_path").alias("meta_path")))
people.write.mode("overwrite").json(f"{root}/out/people")
csv = spark.read.option("header", True).csv("/dbfs/tmp/conf_paths/b.csv")
literal = spark.sql(f"SELECT count(*) AS n FROM json.`{root}/out/people`").first().n
people.write.saveAsTable("dev.conf_paths.people")
# read_files, the SQL way to read files (Databricks SQL reference, "read_files").
spark.sql(f"CREATE TABLE dev.conf_paths.from_read_files AS SELECT * FROM read_files('{root}/in', format => 'json')")
detected = spark.sql(f"SELECT typeof(id) AS t FROM read_files('{root}/in/a.json')").first().t

# COMMAND ----------

import os
facts = {
    "file": people.first().file,
    "meta_path": people.first().meta_path,
    "csv_rows": csv.count(),
    "read_files_id_type": detected,
    "sql_literal_rows": literal,
    "ls": sorted(f.name for f in dbutils.fs.ls(f"{root}/out/people") if f.name.endswith(".json")) != [],
    "os_listdir_sees_spark_output": any(n.endswith(".json") for n in os.listdir(f"{root}/out/people")),
    "os_path": [os.path.isdir(f"{root}/in"), os.path.exists(f"{root}/missing")],
    "python_sees_spark_output": open(next(f.path for f in dbutils.fs.ls(f"{root}/out/people") if f.name.endswith(".json")).removeprefix("dbfs:")).read().count("ann") == 1,
}
# COMMAND ----------

# Libraries that open files themselves see the driver's mounts too; Spark reads a workspace
# file by its file: path (Databricks, "Work with workspace files").
import glob, pathlib, shutil
import pandas as pd
pd.DataFrame({"id": [1, 2], "city": ["Oslo", "Lima"]}).to_csv(f"{root}/cities.csv", index=False)
facts["pandas_round_trip"] = pd.read_csv(f"{root}/cities.csv").city.tolist()
shutil.copy(f"{root}/cities.csv", f"{root}/cities_copy.csv")
facts["glob"] = sorted(glob.glob(f"{root}/cities*.csv"))
facts["pathlib"] = pathlib.Path(f"{root}/cities_copy.csv").read_text().splitlines()[0]
facts["catalog_folders"] = "dev" in os.listdir("/Volumes")
with open("local_notes.csv", "w") as notes:  # the notebook's own folder, a workspace file
    notes.write("id,note\n1,hello\n")
facts["file_scheme_workspace"] = spark.read.option("header", True).csv(f"file:{os.getcwd()}/local_notes.csv").first().note
try:
    spark.range(1).write.json("/Volumes/dev/conf_paths/no_such_volume/out")
    facts["missing_volume"] = "written"
except Exception as e:  # noqa: BLE001
    facts["missing_volume"] = "VOLUME_NOT_FOUND" in str(e)
try:
    open("/Volumes/dev/conf_paths/no_such_volume/x.txt", "w")
except FileNotFoundError as e:
    facts["missing_volume_python"] = e.filename

# COMMAND ----------

import json
spark.createDataFrame([(k, json.dumps(v)) for k, v in facts.items()], "key STRING, value STRING").write.saveAsTable("dev.conf_paths.facts")
