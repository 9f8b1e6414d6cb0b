# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: history loader
# MAGIC
# MAGIC `HistoryLoader` puts what the sources recorded before the pipeline existed
# MAGIC (`<data_dir>/history`) into the landing zone, so the first micro-batch of every bronze
# MAGIC stream holds the history, and checks the files are there. Run by `setup`; can be run
# MAGIC alone after it.

# COMMAND ----------

# MAGIC %run ./config

# COMMAND ----------

class HistoryLoader():
    def __init__(self, schema=None):
        self.Conf = Config(schema)
        self.landing_zone = self.Conf.base_dir_data
        self.test_data_dir = self.Conf.test_data_dir

    def load_history(self):
        import time
        start = time.time()
        if not self.test_data_dir:
            raise ValueError("set the data_dir widget to the folder holding history/, payload-1/, payload-2/")
        print(f"\nStarting historical data load ...")
        self.loaded = {}
        for source in self.Conf.sources:
            for item in dbutils.fs.ls(f"{self.test_data_dir}/history/{source}"):
                print(f"Loading {item.path}...", end='')
                dbutils.fs.cp(item.path, f"{self.landing_zone}/{source}/{item.name}")
                self.loaded[f"{source}/{item.name}"] = item.size
                print("Done")
        print(f"Historical data load completed in {time.time() - start:.1f} seconds")

    def validate(self):
        print(f"\nStarting historical data load validation...")
        for name, size in self.loaded.items():
            landed = dbutils.fs.ls(f"{self.landing_zone}/{name}")
            assert len(landed) == 1 and landed[0].size == size, f"{name} did not land whole: {landed}"
            print(f"Found {name} ({size} bytes): Success")
        assert len(self.loaded) == len(self.Conf.sources), f"history files: {sorted(self.loaded)}"

# COMMAND ----------

HL = HistoryLoader()
HL.load_history()
HL.validate()
