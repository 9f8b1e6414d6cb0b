from pyspark.sql import functions as F


def upper_name(column):
    return F.upper(column)
