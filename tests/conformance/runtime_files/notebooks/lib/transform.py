from pyspark.sql import functions as F

from .names import upper_name


def shout(frame):
    return frame.withColumn("name", upper_name(F.col("name")))
