# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: configuration
# MAGIC
# MAGIC What every other notebook shares (`%run ./config`): the `Config` class with the names and
# MAGIC folders of the pipeline, as in the course's `01-config`, and the `Upserter` that silver's
# MAGIC and gold's `foreachBatch` MERGEs share. Widgets (job parameters):
# MAGIC
# MAGIC - `schema` (default `dev.sbit`): `catalog.schema` of the pipeline's tables, which must exist
# MAGIC   (a test run gets one of its own from streamtest's `scratch`, e.g. `dev.sbit_<run id>`).
# MAGIC - `landing`, `checkpoints`: the folders files land in and streams keep their checkpoints in;
# MAGIC   empty means the schema's volumes of those names (`/Volumes/<catalog>/<schema>/landing`, ...).
# MAGIC - `data_dir`: the folder holding the test data sets (`history/`, `payload-1/`, `payload-2/`),
# MAGIC   for the history loader and the producer, e.g. `file:/Workspace/Shared/sbit/data`.
# MAGIC
# MAGIC The course reads its base folders from two external locations; here they are two volumes
# MAGIC of the pipeline's own schema (`landing`, `checkpoints`), so the pipeline needs nothing but
# MAGIC a schema with those two volumes.

# COMMAND ----------

dbutils.widgets.text("schema", "dev.sbit", "Schema of the tables: catalog.schema")
dbutils.widgets.text("landing", "", "Landing folder (empty: the schema's landing volume)")
dbutils.widgets.text("checkpoints", "", "Checkpoint folder (empty: the schema's checkpoints volume)")
dbutils.widgets.text("data_dir", "", "Folder of the test data sets")


class Config():
    def __init__(self, schema=None):
        self.catalog, self.db_name = (schema or dbutils.widgets.get("schema")).split(".")
        volumes = f"/Volumes/{self.catalog}/{self.db_name}"
        self.base_dir_data = dbutils.widgets.get("landing").rstrip("/") or f"{volumes}/landing"
        self.base_dir_checkpoint = dbutils.widgets.get("checkpoints").rstrip("/") or f"{volumes}/checkpoints"
        self.test_data_dir = dbutils.widgets.get("data_dir").rstrip("/")
        # One landing folder per source system; every data set has the same three folders.
        self.sources = ("registered_users", "gym_logins", "kafka_multiplex")
        # Auto Loader takes at most this many new files into one micro-batch.
        self.maxFilesPerTrigger = 1000
        # Event times may arrive this late; every data set keeps within it (README.md).
        self.lateness = "30 minutes"

    def table(self, name):
        """Three-part name of one of the pipeline's tables."""
        return f"{self.catalog}.{self.db_name}.{name}"

    def checkpoint(self, name):
        """Each streaming query keeps its own checkpoint folder on the checkpoints volume."""
        return f"{self.base_dir_checkpoint}/{name}"

    def trigger(self, once, processing_time):
        """once: what is there now, then stop (batch); otherwise a micro-batch every interval."""
        return {"availableNow": True} if once else {"processingTime": processing_time}

# COMMAND ----------

class Upserter:
    def __init__(self, merge_query, temp_view_name):
        self.merge_query = merge_query
        self.temp_view_name = temp_view_name

    def upsert(self, df_micro_batch, batch_id):
        # The micro-batch's own session: the temp view and the MERGE must use the same one.
        df_micro_batch.createOrReplaceTempView(self.temp_view_name)
        df_micro_batch._jdf.sparkSession().sql(self.merge_query)
