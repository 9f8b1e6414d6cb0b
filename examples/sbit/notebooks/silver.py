# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: silver
# MAGIC
# MAGIC One streaming query per table, each reading its bronze table as a stream:
# MAGIC
# MAGIC - `users`: one row per `user_id` (a re-sent registration is dropped).
# MAGIC - `gym_logs`: logins whose logout is after the login, once per (mac, gym, login).
# MAGIC - `heart_rate`: the `bpm` topic's readings with a heart rate above 0, once per (device, time).
# MAGIC - `workouts`: the `workout` topic's start/stop events, once per event.
# MAGIC
# MAGIC Duplicates are dropped with `dropDuplicates` under a watermark (`LATENESS`), which works on
# MAGIC any table format; no MERGE, no change data feed.

# COMMAND ----------

BPM = "device_id INT, time TIMESTAMP, heartrate DOUBLE"
WORKOUT = "user_id INT, workout_id INT, session_id INT, action STRING, time TIMESTAMP"


def kafka_topic(topic, ddl):
    """The decoded `value` of one topic's records in the multiplexed bronze table."""
    return (spark.readStream.table(table("kafka_multiplex_bz"))
            .where(F.col("topic") == topic)
            .select(F.from_json("value", ddl).alias("v"))
            .select("v.*"))


def users():
    return (spark.readStream.table(table("registered_users_bz"))
            .dropDuplicates(["user_id"])
            .select("user_id", "device_id", "mac_address", "registration_timestamp"))


def gym_logs():
    return (spark.readStream.table(table("gym_logins_bz"))
            .where("logout > login")
            .withWatermark("login", LATENESS)
            .dropDuplicates(["mac_address", "gym", "login"])
            .select("mac_address", "gym", "login", "logout"))


def heart_rate():
    return (kafka_topic("bpm", BPM)
            .where("heartrate > 0")
            .withWatermark("time", LATENESS)
            .dropDuplicates(["device_id", "time"]))


def workouts():
    return (kafka_topic("workout", WORKOUT)
            .where(F.col("action").isin("start", "stop"))
            .withWatermark("time", LATENESS)
            .dropDuplicates(["user_id", "workout_id", "session_id", "action", "time"]))


def start_silver(mode):
    return [stream_to_table(users(), "users", mode),
            stream_to_table(gym_logs(), "gym_logs", mode),
            stream_to_table(heart_rate(), "heart_rate", mode),
            stream_to_table(workouts(), "workouts", mode)]
