from pyspark.sql import functions as F

SUFFIX = "!"


def _exclaim(text):
    return text + SUFFIX  # a module global: the Python worker gets it with the function


exclaim = F.udf(_exclaim, "string")


def upper_name(column):
    return exclaim(F.upper(column))
