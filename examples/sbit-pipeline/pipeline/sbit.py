# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT as a Lakeflow Declarative Pipeline: bronze, silver, one gold table
# MAGIC
# MAGIC The members and gym-visit slice of the SBIT pipeline (`examples/sbit`), declared instead
# MAGIC of run: Auto Loader streams each landing folder into a bronze streaming table, silver
# MAGIC de-duplicates them under expectations, and gold is a materialized view the pipeline keeps
# MAGIC up to date. The landing folder comes from the pipeline's `configuration` (`landing`).
# MAGIC
# MAGIC - `valid_id` drops a registration without a `user_id` (`expect_or_drop`).
# MAGIC - `valid_logout` keeps a visit whose logout is before its login, and counts it (`expect`).

# COMMAND ----------

import dlt
from pyspark.sql import functions as F

landing = spark.conf.get("landing")


def landed(folder, hints):
    """One landing folder as an Auto Loader stream, with where and when each row came."""
    return (spark.readStream.format("cloudFiles")
            .option("cloudFiles.format", "csv")
            .option("header", "true")
            .option("cloudFiles.schemaHints", hints)
            .load(f"{landing}/{folder}")
            .withColumn("load_time", F.current_timestamp())
            .withColumn("source_file", F.col("_metadata.file_path")))

# COMMAND ----------

@dlt.table(comment="Registrations as they landed (bronze)")
def registered_users_bz():
    return landed("registered_users", "user_id BIGINT, device_id BIGINT, registration_timestamp TIMESTAMP")


@dlt.table(comment="Gym badge-ins as they landed (bronze)")
def gym_logins_bz():
    return landed("gym_logins", "gym BIGINT, login TIMESTAMP, logout TIMESTAMP")

# COMMAND ----------

@dlt.table(comment="One row per registered member (silver)")
@dlt.expect_or_drop("valid_id", "user_id IS NOT NULL")
def users():
    return (dlt.read_stream("registered_users_bz")
            .select("user_id", "device_id", "mac_address", "registration_timestamp")
            .dropDuplicates(["user_id"]))


@dlt.table(comment="One row per gym visit (silver)")
@dlt.expect("valid_logout", "logout >= login")
def gym_logs():
    return (dlt.read_stream("gym_logins_bz")
            .select("mac_address", "gym", "login", "logout")
            .dropDuplicates(["mac_address", "gym", "login"]))

# COMMAND ----------

@dlt.table(comment="Per gym: visits of registered members and how many members came (gold)")
def gym_summary():
    members = dlt.read("users").select("mac_address", "user_id")
    return (dlt.read("gym_logs").join(members, "mac_address")
            .groupBy("gym")
            .agg(F.count("*").alias("visits"), F.countDistinct("user_id").alias("members")))
