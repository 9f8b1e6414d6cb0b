# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: bronze
# MAGIC
# MAGIC `Bronze`, as in the course's `04-bronze`: one Auto Loader stream per landing folder, each
# MAGIC appending the new files' rows, as they are, to its bronze table, with the load time and
# MAGIC the file each row came from. The schema is inferred once from the files and kept in the
# MAGIC stream's schema location; CSV columns are strings unless a schema hint types them.
# MAGIC
# MAGIC | landing folder | file | bronze table |
# MAGIC |---|---|---|
# MAGIC | `registered_users/` | CSV | `registered_users_bz` |
# MAGIC | `gym_logins/` | CSV | `gym_logins_bz` |
# MAGIC | `kafka_multiplex/` | JSON lines (Kafka records: `bpm` and `workout` topics) | `kafka_multiplex_bz` |

# COMMAND ----------

# MAGIC %run ./config

# COMMAND ----------

class Bronze():
    def __init__(self, schema=None):
        self.Conf = Config(schema)
        self.landing_zone = self.Conf.base_dir_data
        self.catalog = self.Conf.catalog
        self.db_name = self.Conf.db_name
        spark.sql(f"USE {self.catalog}.{self.db_name}")

    def read_landing(self, source, file_format, **options):
        """New files in one landing folder (Auto Loader), with load time and source file."""
        from pyspark.sql import functions as F
        reader = (spark.readStream
                       .format("cloudFiles")
                       .option("cloudFiles.format", file_format)
                       .option("cloudFiles.schemaLocation", self.Conf.checkpoint(f"{source}_bz"))
                       .option("cloudFiles.maxFilesPerTrigger", self.Conf.maxFilesPerTrigger))
        for key, value in options.items():
            reader = reader.option(key, value)
        return (reader.load(f"{self.landing_zone}/{source}")
                      .withColumn("load_time", F.current_timestamp())
                      .withColumn("source_file", F.input_file_name()))

    def write_bronze(self, df, table_name, once, processing_time, pool):
        # Append: the bronze layer only ever inserts what the sources sent.
        stream_writer = (df.writeStream
                           .format("delta")
                           .option("checkpointLocation", self.Conf.checkpoint(table_name))
                           .outputMode("append")
                           .queryName(f"{table_name}_ingestion_stream"))
        spark.sparkContext.setLocalProperty("spark.scheduler.pool", pool)
        return (stream_writer.trigger(**self.Conf.trigger(once, processing_time))
                             .toTable(f"{self.catalog}.{self.db_name}.{table_name}"))

    def consume_user_registration(self, once=True, processing_time="5 seconds"):
        df_stream = (self.read_landing("registered_users", "csv", header="true",
                                       **{"cloudFiles.schemaHints": "user_id BIGINT, device_id BIGINT, "
                                                                    "registration_timestamp TIMESTAMP"})
                         .select("user_id", "device_id", "mac_address", "registration_timestamp",
                                 "load_time", "source_file"))
        return self.write_bronze(df_stream, "registered_users_bz", once, processing_time, "bronze_p2")

    def consume_gym_logins(self, once=True, processing_time="5 seconds"):
        df_stream = (self.read_landing("gym_logins", "csv", header="true",
                                       **{"cloudFiles.schemaHints": "gym BIGINT, login TIMESTAMP, logout TIMESTAMP"})
                         .select("mac_address", "gym", "login", "logout", "load_time", "source_file"))
        return self.write_bronze(df_stream, "gym_logins_bz", once, processing_time, "bronze_p2")

    def consume_kafka_multiplex(self, once=True, processing_time="5 seconds"):
        from pyspark.sql import functions as F
        # JSON numbers are typed by inference; `timestamp` is Kafka's, in milliseconds.
        df_stream = (self.read_landing("kafka_multiplex", "json", **{"cloudFiles.inferColumnTypes": "true"})
                         .select("key", "value", "topic", "partition", "offset", "timestamp",
                                 F.to_date(F.timestamp_millis("timestamp")).alias("date"),
                                 "load_time", "source_file"))
        return self.write_bronze(df_stream, "kafka_multiplex_bz", once, processing_time, "bronze_p1")

    def consume(self, once=True, processing_time="5 seconds"):
        import time
        start = time.time()
        print(f"\nStarting bronze layer consumption ...")
        queries = [self.consume_user_registration(once, processing_time),
                   self.consume_gym_logins(once, processing_time),
                   self.consume_kafka_multiplex(once, processing_time)]
        if once:
            for query in queries:
                query.awaitTermination()
            print(f"Completed bronze layer consumption {time.time() - start:.1f} seconds")
        return queries
