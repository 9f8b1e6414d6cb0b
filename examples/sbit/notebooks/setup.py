# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: setup
# MAGIC
# MAGIC `SetupHelper`, in the shape of the course's `02-setup`: creates the catalog, the schema, the
# MAGIC two volumes (`landing`, `checkpoints`) with a landing folder per source, and every table
# MAGIC of the pipeline (Delta, the default format: no `USING`), then checks they are all there.
# MAGIC
# MAGIC `action=cleanup` (default) first removes the landing and checkpoint folders and drops the
# MAGIC schema with everything in it, so every test starts from nothing; `action=create` only
# MAGIC creates what is missing. Both then load the history (`history-loader`).
# MAGIC
# MAGIC Run this before anything is uploaded into the volumes: they do not exist before it.

# COMMAND ----------

# MAGIC %run ./config

# COMMAND ----------

class SetupHelper():
    def __init__(self, env=None):
        self.Conf = Config(env)
        self.catalog = self.Conf.catalog
        self.db_name = self.Conf.db_name
        self.landing_zone = self.Conf.base_dir_data
        self.checkpoint_base = self.Conf.base_dir_checkpoint
        self.initialized = False

    def create_db(self):
        print(f"Creating the schema {self.catalog}.{self.db_name} and its volumes...", end='')
        spark.sql(f"CREATE CATALOG IF NOT EXISTS {self.catalog}")
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {self.catalog}.{self.db_name}")
        spark.sql(f"USE CATALOG {self.catalog}")
        spark.sql(f"USE SCHEMA {self.db_name}")
        for volume in ("landing", "checkpoints"):
            spark.sql(f"CREATE VOLUME IF NOT EXISTS {self.catalog}.{self.db_name}.{volume}")
        for source in self.Conf.sources:
            dbutils.fs.mkdirs(f"{self.landing_zone}/{source}")
        self.initialized = True
        print("Done")

    def create_table(self, name, columns, extra=""):
        if not self.initialized:
            raise ReferenceError("Application schema is not defined. Cannot create table in default schema.")
        print(f"Creating {name} table...", end='')
        spark.sql(f"CREATE TABLE IF NOT EXISTS {self.catalog}.{self.db_name}.{name}({columns}) {extra}")
        print("Done")

    def create_bronze_tables(self):
        self.create_table("registered_users_bz", """
            user_id BIGINT, device_id BIGINT, mac_address STRING, registration_timestamp TIMESTAMP,
            load_time TIMESTAMP, source_file STRING""")
        self.create_table("gym_logins_bz", """
            mac_address STRING, gym BIGINT, login TIMESTAMP, logout TIMESTAMP,
            load_time TIMESTAMP, source_file STRING""")
        # Kafka's records as they came, one partition per topic; `date`: the day the broker
        # stamped the record.
        self.create_table("kafka_multiplex_bz", """
            key STRING, value STRING, topic STRING, partition BIGINT, offset BIGINT, timestamp BIGINT,
            date DATE, load_time TIMESTAMP, source_file STRING""", "PARTITIONED BY (topic)")

    def create_silver_tables(self):
        # Gold reads every change of the silver tables, updates included: change data feed on.
        cdf = "TBLPROPERTIES (delta.enableChangeDataFeed = true)"
        self.create_table("users", """
            user_id BIGINT, device_id BIGINT, mac_address STRING, registration_timestamp TIMESTAMP""", cdf)
        self.create_table("gym_logs", """
            mac_address STRING, gym BIGINT, login TIMESTAMP, logout TIMESTAMP""", cdf)
        self.create_table("heart_rate", """
            device_id BIGINT, time TIMESTAMP, heartrate DOUBLE""", cdf)
        self.create_table("workouts", """
            user_id BIGINT, workout_id BIGINT, session_id BIGINT, action STRING, time TIMESTAMP""", cdf)

    def create_gold_tables(self):
        self.create_table("workout_bpm_summary", """
            user_id BIGINT, workout_id BIGINT, session_id BIGINT, start_time TIMESTAMP, end_time TIMESTAMP,
            min_bpm DOUBLE, avg_bpm DOUBLE, max_bpm DOUBLE, num_recordings BIGINT""")
        self.create_table("gym_summary", """
            gym BIGINT, visits BIGINT, members BIGINT, minutes_in_gym BIGINT""")

    def setup(self):
        import time
        start = time.time()
        print(f"\nStarting setup ...")
        self.create_db()
        self.create_bronze_tables()
        self.create_silver_tables()
        self.create_gold_tables()
        print(f"Setup completed in {time.time() - start:.1f} seconds")

    def assert_table(self, table_name):
        assert spark.sql(f"SHOW TABLES IN {self.catalog}.{self.db_name}") \
                    .filter(f"isTemporary == false and tableName == '{table_name}'") \
                    .count() == 1, f"The table {table_name} is missing"
        print(f"Found {table_name} table in {self.catalog}.{self.db_name}: Success")

    def validate(self):
        import time
        start = time.time()
        print(f"\nStarting setup validation ...")
        assert self.schema_exists(), f"The schema '{self.catalog}.{self.db_name}' is missing"
        print(f"Found schema {self.catalog}.{self.db_name}: Success")
        volumes = {row[1] for row in spark.sql(f"SHOW VOLUMES IN {self.catalog}.{self.db_name}").collect()}
        assert {"landing", "checkpoints"} <= volumes, f"Volumes missing: found {sorted(volumes)}"
        for table_name in ("registered_users_bz", "gym_logins_bz", "kafka_multiplex_bz",
                           "users", "gym_logs", "heart_rate", "workouts",
                           "workout_bpm_summary", "gym_summary"):
            self.assert_table(table_name)
        print(f"Setup validation completed in {time.time() - start:.1f} seconds")

    def schema_exists(self):
        return (spark.sql(f"SHOW CATALOGS LIKE '{self.catalog}'").count() == 1 and
                spark.sql(f"SHOW SCHEMAS IN {self.catalog} LIKE '{self.db_name}'").count() == 1)

    def remove_folder(self, path):
        """Delete a folder and its contents; a folder (or volume) that is not there is clean."""
        print(f"Deleting {path}...", end='')
        try:
            dbutils.fs.rm(path, True)
        except Exception as error:  # first run: the volume itself does not exist yet
            text = str(error).lower()
            if "not exist" not in text and "notfound" not in text and "not found" not in text:
                raise
        print("Done")

    def cleanup(self):
        self.remove_folder(self.landing_zone)
        self.remove_folder(self.checkpoint_base)
        if self.schema_exists():
            print(f"Dropping the schema {self.catalog}.{self.db_name}...", end='')
            spark.sql(f"DROP SCHEMA {self.catalog}.{self.db_name} CASCADE")
            print("Done")

# COMMAND ----------

dbutils.widgets.dropdown("action", "cleanup", ["cleanup", "create"], "cleanup: start from nothing")
SH = SetupHelper()
if dbutils.widgets.get("action") == "cleanup":
    SH.cleanup()
SH.setup()
SH.validate()

# COMMAND ----------

# MAGIC %run ./history-loader
