"""Methods Databricks Runtime's pyspark has and open-source pyspark lacks.

A Databricks notebook calls them on pyspark's own classes, so there is no configuration that
could supply them: each is added to the class once, when the engine starts, only where
pyspark does not define it already, and only as what Databricks documents it to be (an alias
of an open-source method). Nothing open-source pyspark has is replaced.
"""
from __future__ import annotations


def add_databricks_methods() -> None:
    from pyspark.sql.streaming import DataStreamWriter

    # "table (DataStreamWriter): Alias for toTable()" (Databricks PySpark reference,
    # https://docs.databricks.com/aws/en/pyspark/reference/classes/datastreamwriter/table);
    # the Databricks courses' bronze streams end in `.writeStream ... .table("bronze")`.
    if not hasattr(DataStreamWriter, "table"):
        def table(self, tableName: str):
            return self.toTable(tableName)
        table.__doc__ = "Alias for toTable() (Databricks Runtime)."
        DataStreamWriter.table = table
