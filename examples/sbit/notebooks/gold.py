# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: gold
# MAGIC
# MAGIC - `gym_summary`: per gym, the visits of registered members, how many members came, and
# MAGIC   their minutes in the gym.
# MAGIC - `workout_bpm_summary`: per completed workout (a start and a stop), the wearer's heart
# MAGIC   rate readings between the two: min, average, max and how many.
# MAGIC
# MAGIC One streaming query watches the four silver tables; each micro-batch (any silver table
# MAGIC changed) recomputes both aggregates from the silver tables and replaces the rows of the
# MAGIC gold tables (`foreachBatch`). That is deterministic, and works the same on parquet and
# MAGIC Delta. Readers never see a gold table half-written: on Delta the overwrite is one
# MAGIC transaction; parquet has none, so the new rows go to a folder of their own and the table
# MAGIC is then pointed at it (`ALTER TABLE ... SET LOCATION`, one catalog update).

# COMMAND ----------

from functools import reduce

GOLD_INPUTS = ("users", "gym_logs", "heart_rate", "workouts")
GOLD_TABLES = {
    "gym_summary": "gym INT, visits BIGINT, members BIGINT, minutes_in_gym BIGINT",
    "workout_bpm_summary": ("user_id INT, workout_id INT, session_id INT, start_time TIMESTAMP, "
                            "end_time TIMESTAMP, min_bpm DOUBLE, avg_bpm DOUBLE, max_bpm DOUBLE, "
                            "num_recordings BIGINT"),
}


# Parquet only: the rows of each refresh, in <GOLD_VERSIONS>/<table>/<batch id>.
GOLD_VERSIONS = f"{checkpoints}/gold_versions"


def typed(name, frame):
    """The gold table's columns, in its order and with its types (parquet files carry theirs)."""
    fields = [field.split(" ", 1) for field in GOLD_TABLES[name].split(", ")]
    return frame.selectExpr(*(f"CAST({column} AS {kind}) AS {column}" for column, kind in fields))


def gym_summary(session):
    members = session.table(table("users")).select("mac_address", "user_id")
    return (session.table(table("gym_logs"))
            .join(members, "mac_address")
            .groupBy("gym")
            .agg(F.count("*").alias("visits"),
                 F.countDistinct("user_id").alias("members"),
                 F.sum(F.expr("timestampdiff(MINUTE, login, logout)")).alias("minutes_in_gym")))


def workout_bpm_summary(session):
    workouts = session.table(table("workouts"))
    session_key = ["user_id", "workout_id", "session_id"]
    starts = workouts.where("action = 'start'").select(*session_key, F.col("time").alias("start_time"))
    stops = workouts.where("action = 'stop'").select(*session_key, F.col("time").alias("end_time"))
    devices = session.table(table("users")).select("user_id", "device_id")
    readings = session.table(table("heart_rate")).select(
        "device_id", F.col("time").alias("reading_time"), "heartrate")
    return (starts.join(stops, session_key)
            .join(devices, "user_id")
            .join(readings, "device_id")
            .where(F.col("reading_time").between(F.col("start_time"), F.col("end_time")))
            .groupBy(*session_key, "start_time", "end_time")
            .agg(F.min("heartrate").alias("min_bpm"),
                 F.avg("heartrate").alias("avg_bpm"),
                 F.max("heartrate").alias("max_bpm"),
                 F.count("*").alias("num_recordings")))


def publish(session, name, rows, batch_id):
    """Replace the rows of gold table `name`; a reader sees the old rows or the new, never none."""
    if table_format == "delta":
        rows.write.insertInto(table(name), overwrite=True)  # one Delta transaction
        return
    # Parquet: an overwrite deletes the files, then writes. Write the rows elsewhere first, then
    # point the table at them; keep the previous folder for readers still scanning it.
    folder = f"{GOLD_VERSIONS}/{name}/{batch_id:012d}"
    rows.write.mode("overwrite").parquet(folder)
    session.sql(f"ALTER TABLE {table(name)} SET LOCATION '{folder}'")
    for old in sorted(item.path for item in dbutils.fs.ls(f"{GOLD_VERSIONS}/{name}"))[:-2]:
        dbutils.fs.rm(old, True)


def refresh_gold(changes, batch_id):
    """Recompute both gold tables from the silver tables as they are now."""
    session = changes.sparkSession
    for name in GOLD_INPUTS:
        # parquet tables' file lists are cached per session: see the rows silver just added
        session.sql(f"REFRESH TABLE {table(name)}")
    # Compute both from the same silver rows first (eagerly, into one small partition each),
    # then publish: the two gold tables agree with each other, and publishing only writes.
    results = {name: typed(name, build(session)).coalesce(1).localCheckpoint()
               for name, build in (("gym_summary", gym_summary), ("workout_bpm_summary", workout_bpm_summary))}
    for name, rows in results.items():
        publish(session, name, rows, batch_id)


def start_gold(mode):
    for name, ddl in GOLD_TABLES.items():
        spark.sql(f"CREATE TABLE IF NOT EXISTS {table(name)} ({ddl}) USING {table_format}")
    changes = reduce(lambda left, right: left.union(right),
                     [spark.readStream.table(table(name)).select(F.lit(name).alias("changed"))
                      for name in GOLD_INPUTS])
    return [changes.writeStream
            .queryName("gold")
            .foreachBatch(refresh_gold)
            .option("checkpointLocation", checkpoint("gold"))
            .trigger(**trigger_for(mode))
            .start()]
