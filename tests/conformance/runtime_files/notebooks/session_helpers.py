"""A workspace module that reaches the notebook's session the ways Databricks code does."""
from databricks.sdk.runtime import *  # noqa: F401,F403 - spark, dbutils, sql, ... as on a cluster
from pyspark.sql import SparkSession


def where(view: str) -> dict:
    session = SparkSession.builder.getOrCreate()
    return {"schema": f"{session.catalog.currentCatalog()}.{session.catalog.currentDatabase()}",
            "view_rows": session.table(view).count(), "sql": sql(f"SELECT count(*) FROM {view}").first()[0],
            "same_spark": spark is session, "widget": dbutils.widgets.get("env")}
