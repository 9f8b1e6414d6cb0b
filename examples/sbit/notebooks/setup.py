# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: setup
# MAGIC
# MAGIC `SetupHelper`, in the shape of the course's `02-setup`: in the schema `config`'s `schema`
# MAGIC widget names, which must exist already with its volumes (a streamtest run makes a schema
# MAGIC of its own with `scratch:`, and drops it at the end), creates a landing folder per source
# MAGIC and every table of the pipeline (Delta, the default format: no `USING`), then checks they
# MAGIC are all there.
# MAGIC
# MAGIC `action=create` (default) only creates what is missing; `action=cleanup` first drops the
# MAGIC pipeline's tables and empties the landing and checkpoint folders, to start a schema that
# MAGIC was used before from nothing. Both then load the history (`history-loader`).

# COMMAND ----------

# MAGIC %run ./config

# COMMAND ----------

class SetupHelper():
    TABLES = ("registered_users_bz", "gym_logins_bz", "kafka_multiplex_bz", "users", "gym_logs",
              "heart_rate", "workouts", "workout_bpm_summary")
    VIEWS = ("gym_summary",)

    def __init__(self, schema=None):
        self.Conf = Config(schema)
        self.catalog = self.Conf.catalog
        self.db_name = self.Conf.db_name
        self.landing_zone = self.Conf.base_dir_data
        self.checkpoint_base = self.Conf.base_dir_checkpoint
        self.initialized = False

    def use_db(self):
        print(f"Using the schema {self.catalog}.{self.db_name}...", end='')
        assert self.schema_exists(), (f"The schema {self.catalog}.{self.db_name} does not exist: create it "
                                      "and its volumes first (streamtest's scratch: does)")
        spark.sql(f"USE CATALOG {self.catalog}")
        spark.sql(f"USE SCHEMA {self.db_name}")
        for source in self.Conf.sources:
            dbutils.fs.mkdirs(f"{self.landing_zone}/{source}")
        self.initialized = True
        print("Done")

    def create_table(self, name, columns, extra=""):
        if not self.initialized:
            raise ReferenceError("Application schema is not defined. Cannot create table in default schema.")
        print(f"Creating {name} table...", end='')
        spark.sql(f"CREATE TABLE IF NOT EXISTS {self.Conf.table(name)}({columns}) {extra}")
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
        # Gold's stream reads every change of users, heart_rate and workouts, updates included:
        # change data feed on.
        cdf = "TBLPROPERTIES (delta.enableChangeDataFeed = true)"
        self.create_table("users", """
            user_id BIGINT, device_id BIGINT, mac_address STRING, registration_timestamp TIMESTAMP""", cdf)
        self.create_table("gym_logs", """
            mac_address STRING, gym BIGINT, login TIMESTAMP, logout TIMESTAMP""")
        self.create_table("heart_rate", """
            device_id BIGINT, time TIMESTAMP, heartrate DOUBLE""", cdf)
        self.create_table("workouts", """
            user_id BIGINT, workout_id BIGINT, session_id BIGINT, action STRING, time TIMESTAMP""", cdf)

    def create_gold_tables(self):
        self.create_table("workout_bpm_summary", """
            user_id BIGINT, workout_id BIGINT, session_id BIGINT, start_time TIMESTAMP, end_time TIMESTAMP,
            min_bpm DOUBLE, avg_bpm DOUBLE, max_bpm DOUBLE, num_recordings BIGINT""")

    def create_gym_summary(self):
        # A gold view, as the course's gym_summary: per gym, the visits of registered members
        # (gym logs joined with users on the MAC address, so unregistered phones do not count),
        # how many members came, and their minutes in the gym. Always what silver holds now.
        print(f"Creating gym_summary gold view...", end='')
        spark.sql(f"""CREATE OR REPLACE VIEW {self.Conf.table("gym_summary")} AS
            SELECT l.gym, count(*) AS visits, count(DISTINCT u.user_id) AS members,
                   sum(timestampdiff(MINUTE, l.login, l.logout)) AS minutes_in_gym
            FROM {self.Conf.table("gym_logs")} l
            JOIN {self.Conf.table("users")} u ON l.mac_address = u.mac_address
            GROUP BY l.gym""")
        print("Done")

    def setup(self):
        import time
        start = time.time()
        print(f"\nStarting setup ...")
        self.use_db()
        self.create_bronze_tables()
        self.create_silver_tables()
        self.create_gold_tables()
        self.create_gym_summary()
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
        landed = {item.name.rstrip("/") for item in dbutils.fs.ls(self.landing_zone)}
        missing = set(self.Conf.sources) - landed
        assert not missing, f"Landing folders missing in {self.landing_zone}: {sorted(missing)}"
        print(f"Found the landing folders in {self.landing_zone}: Success")
        for table_name in self.TABLES + self.VIEWS:
            self.assert_table(table_name)
        print(f"Setup validation completed in {time.time() - start:.1f} seconds")

    def schema_exists(self):
        return (spark.sql(f"SHOW CATALOGS LIKE '{self.catalog}'").count() == 1 and
                spark.sql(f"SHOW SCHEMAS IN {self.catalog} LIKE '{self.db_name}'").count() == 1)

    def empty_folder(self, path):
        """Delete what a folder holds (not the folder: it may be a volume's root)."""
        print(f"Emptying {path}...", end='')
        for item in dbutils.fs.ls(path):
            dbutils.fs.rm(item.path, True)
        print("Done")

    def cleanup(self):
        for view_name in self.VIEWS:
            print(f"Dropping the view {view_name}...", end='')
            spark.sql(f"DROP VIEW IF EXISTS {self.Conf.table(view_name)}")
            print("Done")
        for table_name in self.TABLES:
            print(f"Dropping the table {table_name}...", end='')
            spark.sql(f"DROP TABLE IF EXISTS {self.Conf.table(table_name)}")
            print("Done")
        self.empty_folder(self.landing_zone)
        self.empty_folder(self.checkpoint_base)

# COMMAND ----------

dbutils.widgets.dropdown("action", "create", ["create", "cleanup"], "cleanup: start from nothing")
SH = SetupHelper()
if dbutils.widgets.get("action") == "cleanup":
    SH.cleanup()
SH.setup()
SH.validate()

# COMMAND ----------

# MAGIC %run ./history-loader
