# Databricks notebook source
# MAGIC %md A feature localspace does not provide says so in one line.

# COMMAND ----------

for attempt in (lambda: spark.sql("COPY INTO dev.conf_not_emulated.t FROM '/Volumes/x' FILEFORMAT = JSON VALIDATE 10 ROWS"),
                lambda: spark.readStream.format("kafka").option("subscribe", "events").load()):
    try:
        attempt()
    except Exception as error:  # each says what localspace does not emulate
        assert "localspace does not emulate" in str(error), error
    else:
        raise AssertionError("a feature localspace does not emulate passed silently")

# COMMAND ----------

spark.sql("DESCRIBE EXTERNAL LOCATION landing_zone").show()
