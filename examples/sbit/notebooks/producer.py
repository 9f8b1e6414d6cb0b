# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: producer
# MAGIC
# MAGIC `Producer` copies one payload set (`set` widget: `payload-1`, `payload-2`) from `data_dir`
# MAGIC into the landing zone, as the source systems would, and checks it landed. For manual
# MAGIC runs: the streamtest plans upload the same files with `upload` steps instead.

# COMMAND ----------

# MAGIC %run ./config

# COMMAND ----------

class Producer():
    def __init__(self, schema=None):
        self.Conf = Config(schema)
        self.landing_zone = self.Conf.base_dir_data
        self.test_data_dir = self.Conf.test_data_dir

    def produce(self, set_name):
        if not self.test_data_dir:
            raise ValueError("set the data_dir widget to the folder holding history/, payload-1/, payload-2/")
        self.produced = []
        for source in self.Conf.sources:
            for item in dbutils.fs.ls(f"{self.test_data_dir}/{set_name}/{source}"):
                target = f"{self.landing_zone}/{source}/{item.name}"
                print(f"Producing {item.path}...", end='')
                dbutils.fs.cp(item.path, target)
                self.produced.append(target)
                print("Done")

    def validate(self, set_name):
        for target in self.produced:
            assert dbutils.fs.ls(target), f"{target} is missing"
        print(f"{set_name}: {len(self.produced)} files in {self.landing_zone}: Success")

# COMMAND ----------

dbutils.widgets.text("set", "payload-1", "Data set to produce")
PR = Producer()
PR.produce(dbutils.widgets.get("set"))
PR.validate(dbutils.widgets.get("set"))
