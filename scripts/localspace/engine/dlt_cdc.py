"""APPLY CHANGES / AUTO CDC flows (SCD type 1) as Delta does them: a MERGE per micro-batch.

Databricks' ``create_auto_cdc_flow`` (formerly ``apply_changes``) keeps one row per key, the
latest change by ``sequence_by``; a change where ``apply_as_deletes`` holds deletes the row,
one older than the row already there is ignored (Databricks docs, "The AUTO CDC APIs").
"""
from __future__ import annotations

from .dlt_sql import Cdc


def _column(value):
    """A Column from a Column or SQL text (APPLY CHANGES' sequence_by, apply_as_deletes)."""
    from pyspark.sql import functions as F
    return F.expr(value) if isinstance(value, str) else value


def upserts(session, target: str, cdc: Cdc, frame, view: str):
    """Create ``target`` (the changes' columns) if it is missing; return the foreachBatch
    function that merges each micro-batch's latest change per key into it."""
    from pyspark.sql import functions as F
    columns = [c for c in (cdc.columns or frame.columns) if c not in cdc.except_columns and c != "_rescued_data"]
    session.createDataFrame([], frame.select(*columns).schema).write.format("delta").mode("ignore") \
        .saveAsTable(target)
    sequence = _column(cdc.sequence_by)
    deletes = _column(cdc.delete_when) if cdc.delete_when is not None else F.lit(False)
    sequence_name = sequence._jc.toString().strip("`")
    quote = lambda name: f"`{name}`"  # noqa: E731
    on = " AND ".join(f"t.{quote(k)} <=> s.{quote(k)}" for k in cdc.keys)
    newer = f" AND s.__sequence >= t.{quote(sequence_name)}" if sequence_name in columns else ""
    assign = ", ".join(f"t.{quote(c)} = s.{quote(c)}" for c in columns)
    insert = f"({', '.join(map(quote, columns))}) VALUES ({', '.join('s.' + quote(c) for c in columns)})"

    def upsert(batch, _batch_id):
        from pyspark.sql import Window
        latest = (batch.withColumn("__sequence", sequence).withColumn("__delete", deletes)
                  .withColumn("__n", F.row_number().over(Window.partitionBy(*cdc.keys)
                                                         .orderBy(F.col("__sequence").desc())))
                  .where("__n = 1"))
        latest.createOrReplaceTempView(view)
        latest.sparkSession.sql(
            f"MERGE INTO {target} t USING {view} s ON {on} "
            f"WHEN MATCHED AND s.__delete{newer} THEN DELETE "
            f"WHEN MATCHED{newer} THEN UPDATE SET {assign} "
            f"WHEN NOT MATCHED AND NOT s.__delete THEN INSERT {insert}").collect()
    return upsert
