# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: silver
# MAGIC
# MAGIC `Silver`, as in the course's `05-silver`: one stream per table, each reading its bronze
# MAGIC table, de-duplicating under a watermark, and upserting every micro-batch with `MERGE INTO`
# MAGIC (`foreachBatch` + `Upserter`), so that a record delivered twice lands once:
# MAGIC
# MAGIC - `users`: one row per `user_id` (a re-sent registration is not inserted again).
# MAGIC - `gym_logs`: one row per (mac, gym, login), only when the logout is after the login; a
# MAGIC   later logout for the same visit updates the row.
# MAGIC - `heart_rate`: the `bpm` topic's readings with a heart rate above 0, once per (device, time).
# MAGIC - `workouts`: the `workout` topic's start/stop events, once per (user, workout, session, action).

# COMMAND ----------

# MAGIC %run ./config

# COMMAND ----------

class Silver():
    def __init__(self, schema=None):
        self.Conf = Config(schema)
        self.catalog = self.Conf.catalog
        self.db_name = self.Conf.db_name
        spark.sql(f"USE {self.catalog}.{self.db_name}")

    def read_bronze(self, table_name, startingVersion=None):
        # Bronze is insert-only; ignoreDeletes lets a retention job delete old bronze rows
        # without stopping these streams. A startingVersion (to replay bronze from a given
        # table version) applies to a new checkpoint only; by default a new stream starts
        # with the table as it is, then its changes.
        reader = spark.readStream.option("ignoreDeletes", True)
        if startingVersion is not None:
            reader = reader.option("startingVersion", startingVersion)
        return reader.table(f"{self.catalog}.{self.db_name}.{table_name}")

    def kafka_topic(self, topic, schema, startingVersion=None):
        """The decoded `value` of one topic's records in the multiplexed bronze table."""
        from pyspark.sql import functions as F
        return (self.read_bronze("kafka_multiplex_bz", startingVersion)
                    .filter(F.col("topic") == topic)
                    .select(F.from_json(F.col("value").cast("string"), schema).alias("v"))
                    .select("v.*"))

    def write_upserts(self, df, upserter, name, once, processing_time, pool):
        stream_writer = (df.writeStream
                           .foreachBatch(upserter.upsert)
                           .outputMode("update")
                           .option("checkpointLocation", self.Conf.checkpoint(name))
                           .queryName(f"{name}_upsert_stream"))
        spark.sparkContext.setLocalProperty("spark.scheduler.pool", pool)
        return stream_writer.trigger(**self.Conf.trigger(once, processing_time)).start()

    def upsert_users(self, once=True, processing_time="5 seconds", startingVersion=None):
        # Idempotent: a user registers once; a registration sent again is ignored.
        query = f"""
            MERGE INTO {self.catalog}.{self.db_name}.users a
            USING users_delta b
            ON a.user_id = b.user_id
            WHEN NOT MATCHED THEN INSERT *
            """
        df_delta = (self.read_bronze("registered_users_bz", startingVersion)
                        .select("user_id", "device_id", "mac_address", "registration_timestamp")
                        .withWatermark("registration_timestamp", self.Conf.lateness)
                        .dropDuplicates(["user_id", "device_id"]))
        return self.write_upserts(df_delta, Upserter(query, "users_delta"), "users",
                                  once, processing_time, "silver_p2")

    def upsert_gym_logs(self, once=True, processing_time="5 seconds", startingVersion=None):
        # Idempotent: insert a visit once, if its logout is after its login; a later logout of
        # the same visit (same mac, gym and login) moves the logout.
        query = f"""
            MERGE INTO {self.catalog}.{self.db_name}.gym_logs a
            USING gym_logs_delta b
            ON a.mac_address = b.mac_address AND a.gym = b.gym AND a.login = b.login
            WHEN MATCHED AND b.logout > a.login AND b.logout > a.logout
              THEN UPDATE SET logout = b.logout
            WHEN NOT MATCHED AND b.logout > b.login THEN INSERT *
            """
        df_delta = (self.read_bronze("gym_logins_bz", startingVersion)
                        .select("mac_address", "gym", "login", "logout")
                        .withWatermark("login", self.Conf.lateness)
                        .dropDuplicates(["mac_address", "gym", "login"]))
        return self.write_upserts(df_delta, Upserter(query, "gym_logs_delta"), "gym_logs",
                                  once, processing_time, "silver_p3")

    def upsert_heart_rate(self, once=True, processing_time="5 seconds", startingVersion=None):
        # Idempotent: one reading per device and time; a reading of 0 or less is a sensor glitch.
        query = f"""
            MERGE INTO {self.catalog}.{self.db_name}.heart_rate a
            USING heart_rate_delta b
            ON a.device_id = b.device_id AND a.time = b.time
            WHEN NOT MATCHED AND b.heartrate > 0 THEN INSERT *
            """
        df_delta = (self.kafka_topic("bpm", "device_id LONG, time TIMESTAMP, heartrate DOUBLE", startingVersion)
                        .withWatermark("time", self.Conf.lateness)
                        .dropDuplicates(["device_id", "time"]))
        return self.write_upserts(df_delta, Upserter(query, "heart_rate_delta"), "heart_rate",
                                  once, processing_time, "silver_p2")

    def upsert_workouts(self, once=True, processing_time="5 seconds", startingVersion=None):
        # Idempotent: a workout session starts once and stops once; redelivered events are ignored.
        query = f"""
            MERGE INTO {self.catalog}.{self.db_name}.workouts a
            USING workouts_delta b
            ON a.user_id = b.user_id AND a.workout_id = b.workout_id
               AND a.session_id = b.session_id AND a.action = b.action
            WHEN NOT MATCHED THEN INSERT *
            """
        schema = "user_id LONG, workout_id LONG, session_id LONG, action STRING, time TIMESTAMP"
        df_delta = (self.kafka_topic("workout", schema, startingVersion)
                        .filter("action IN ('start', 'stop')")
                        .withWatermark("time", self.Conf.lateness)
                        .dropDuplicates(["user_id", "workout_id", "session_id", "action", "time"]))
        return self.write_upserts(df_delta, Upserter(query, "workouts_delta"), "workouts",
                                  once, processing_time, "silver_p3")

    def upsert(self, once=True, processing_time="5 seconds"):
        import time
        start = time.time()
        print(f"\nExecuting silver layer upsert ...")
        queries = [self.upsert_users(once, processing_time),
                   self.upsert_gym_logs(once, processing_time),
                   self.upsert_heart_rate(once, processing_time),
                   self.upsert_workouts(once, processing_time)]
        if once:
            for query in queries:
                query.awaitTermination()
            print(f"Completed silver layer upsert {time.time() - start:.1f} seconds")
        return queries
