# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: gold
# MAGIC
# MAGIC `Gold`, as in the course's `06-gold`: `workout_bpm_summary` upserted with `MERGE INTO` from
# MAGIC `foreachBatch`. Per completed workout (a start and a stop of the same user, workout and
# MAGIC session), the wearer's heart-rate readings between the two: min, average, max and how many.
# MAGIC (`gym_summary` is a view over silver, as in the course: `setup` creates it.)
# MAGIC
# MAGIC One stream reads the change data feed of the three silver tables the summary is computed
# MAGIC from. Every micro-batch recomputes it from those tables as they are then and merges it into
# MAGIC the gold table: new rows inserted, changed rows updated, rows that no longer exist deleted.
# MAGIC The result does not depend on the order in which the silver streams committed (a reading
# MAGIC may land before or after its workout's stop, a workout before or after its wearer's
# MAGIC registration), and the MERGE is one Delta transaction: a reader sees the table before or
# MAGIC after a refresh, never half-way.

# COMMAND ----------

# MAGIC %run ./config

# COMMAND ----------

class Gold():
    SILVER = ("users", "heart_rate", "workouts")  # what workout_bpm_summary is computed from

    def __init__(self, schema=None):
        self.Conf = Config(schema)
        self.catalog = self.Conf.catalog
        self.db_name = self.Conf.db_name
        spark.sql(f"USE {self.catalog}.{self.db_name}")
        self.workout_bpm_summary_upserter = Upserter(f"""
            MERGE INTO {self.Conf.table('workout_bpm_summary')} a
            USING workout_bpm_summary_delta b
            ON a.user_id = b.user_id AND a.workout_id = b.workout_id AND a.session_id = b.session_id
            WHEN MATCHED AND (a.num_recordings <> b.num_recordings OR a.start_time <> b.start_time
                              OR a.end_time <> b.end_time OR a.min_bpm <> b.min_bpm
                              OR a.avg_bpm <> b.avg_bpm OR a.max_bpm <> b.max_bpm)
              THEN UPDATE SET *
            WHEN NOT MATCHED THEN INSERT *
            WHEN NOT MATCHED BY SOURCE THEN DELETE
            """, "workout_bpm_summary_delta")

    def workout_bpm_summary(self, session):
        from pyspark.sql import functions as F
        workouts = session.table(self.Conf.table("workouts"))
        key = ["user_id", "workout_id", "session_id"]
        starts = workouts.filter("action = 'start'").select(*key, F.col("time").alias("start_time"))
        stops = workouts.filter("action = 'stop'").select(*key, F.col("time").alias("end_time"))
        devices = session.table(self.Conf.table("users")).select("user_id", "device_id")
        readings = session.table(self.Conf.table("heart_rate")).select("device_id", "time", "heartrate")
        return (starts.join(stops, key)
                      .join(devices, "user_id")
                      .join(readings, "device_id")
                      .filter(F.col("time").between(F.col("start_time"), F.col("end_time")))
                      .groupBy(*key, "start_time", "end_time")
                      .agg(F.min("heartrate").alias("min_bpm"), F.mean("heartrate").alias("avg_bpm"),
                           F.max("heartrate").alias("max_bpm"), F.count("heartrate").alias("num_recordings")))

    def refresh(self, df_changes, batch_id):
        """The summary recomputed from the silver tables as they are now, merged into gold."""
        self.workout_bpm_summary_upserter.upsert(self.workout_bpm_summary(df_changes.sparkSession), batch_id)

    def upsert(self, once=True, processing_time="5 seconds"):
        import time
        from functools import reduce
        from pyspark.sql import functions as F
        start = time.time()
        print(f"\nExecuting gold layer upsert ...")
        df_changes = reduce(lambda left, right: left.unionByName(right), [
            spark.readStream.option("readChangeFeed", "true").table(self.Conf.table(name))
                 .select("_change_type")
            for name in self.SILVER])
        stream_writer = (df_changes.writeStream
                                   .foreachBatch(self.refresh)
                                   .option("checkpointLocation", self.Conf.checkpoint("gold"))
                                   .queryName("gold_upsert_stream"))
        spark.sparkContext.setLocalProperty("spark.scheduler.pool", "gold_p1")
        query = stream_writer.trigger(**self.Conf.trigger(once, processing_time)).start()
        if once:
            query.awaitTermination()
            print(f"Completed gold layer upsert {time.time() - start:.1f} seconds")
        return [query]
