# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: bronze
# MAGIC
# MAGIC One streaming query per source: read the new files in the landing folder with an
# MAGIC explicit schema and append them, as they are, to a bronze table, with the load time and
# MAGIC the file each row came from.
# MAGIC
# MAGIC | landing folder | file | bronze table |
# MAGIC |---|---|---|
# MAGIC | `registered_users/` | CSV | `registered_users_bz` |
# MAGIC | `gym_logins/` | CSV | `gym_logins_bz` |
# MAGIC | `kafka_multiplex/` | JSON lines (Kafka records: `bpm` and `workout` topics) | `kafka_multiplex_bz` |

# COMMAND ----------

REGISTERED_USERS = "user_id INT, device_id INT, mac_address STRING, registration_timestamp TIMESTAMP"
GYM_LOGINS = "mac_address STRING, gym INT, login TIMESTAMP, logout TIMESTAMP"
KAFKA_MULTIPLEX = ("key STRING, value STRING, topic STRING, `partition` INT, `offset` BIGINT, "
                   "`timestamp` BIGINT")


def landing_stream(source, file_format, ddl, **options):
    """New files of one landing folder, with the load time and the file name of each row."""
    return (spark.readStream
            .format(file_format)
            .schema(ddl)
            .options(**options)
            .load(f"{landing}/{source}")
            .withColumn("load_time", F.current_timestamp())
            .withColumn("source_file", F.col("_metadata.file_name")))


def start_bronze(mode):
    return [
        stream_to_table(landing_stream("registered_users", "csv", REGISTERED_USERS, header="true"),
                        "registered_users_bz", mode),
        stream_to_table(landing_stream("gym_logins", "csv", GYM_LOGINS, header="true"),
                        "gym_logins_bz", mode),
        stream_to_table(landing_stream("kafka_multiplex", "json", KAFKA_MULTIPLEX),
                        "kafka_multiplex_bz", mode),
    ]
