"""Expectations, evaluated: the counts a flow's rows give each one, and what DROP ROW and
FAIL UPDATE do to them.

Spark's own pipelines have no expectations; Databricks' (``@dlt.expect*``, SQL ``CONSTRAINT
... EXPECT``) are evaluated here on the flow's DataFrame: one aggregate (``observe`` on a
stream, read from each batch's progress; an ``agg`` before a batch write) counts the rows,
each expectation's passing and failing rows and the rows a DROP ROW removes; DROP ROW is a
filter and FAIL UPDATE a ``raise_error`` in the batch, with Databricks' message.
"""
from __future__ import annotations

from typing import Optional

from .dlt_sql import Expectation


def violation(flow: str, expectation: str) -> str:
    return (f"[EXPECTATION_VIOLATION.VERIFY_FAILED] Flow '{flow}' failed to meet the expectation. "
            f"Violated expectations: '{expectation}'.")


def apply(frame, flow: str, expectations: list[Expectation], observation: Optional[str]):
    """``frame`` with the expectations applied, counted under ``observation`` when given."""
    from pyspark.sql import functions as F
    if observation:
        frame = frame.observe(observation, *metrics(expectations))
    for expectation in expectations:
        if expectation.action == "fail":
            frame = frame.filter(F.when(passes(expectation), F.lit(True)).otherwise(
                F.raise_error(F.lit(violation(flow, expectation.name))).cast("boolean")))
    drops = [passes(e) for e in expectations if e.action == "drop"]
    return frame.filter(_all(drops)) if drops else frame


def quality(values: dict, dataset: str, expectations: list[Expectation]) -> dict:
    """The event log's ``data_quality`` from counted ``values`` (see ``metrics``)."""
    return {"dropped_records": int(values.get("dropped") or 0),
            "expectations": [{"name": e.name, "dataset": dataset, "passed_records": int(values.get(f"p{i}") or 0),
                              "failed_records": int(values.get(f"f{i}") or 0)}
                             for i, e in enumerate(expectations)]}


def output_rows(values: dict) -> int:
    """Rows a flow wrote: those it read, less those DROP ROW removed."""
    return int(values.get("rows") or 0) - int(values.get("dropped") or 0)


def passes(expectation: Expectation):
    """A row meets an expectation when its condition is true (NULL counts as a violation)."""
    from pyspark.sql import functions as F
    return F.coalesce(F.expr(expectation.condition).cast("boolean"), F.lit(False))


def metrics(expectations: list[Expectation]) -> list:
    """rows, p<i>/f<i> (rows passing/failing expectation i), dropped (rows a DROP ROW removes)."""
    from pyspark.sql import functions as F
    out = [F.count(F.lit(1)).alias("rows")]
    for index, expectation in enumerate(expectations):
        ok = passes(expectation)
        out.append(F.sum(F.when(ok, 1).otherwise(0)).alias(f"p{index}"))
        out.append(F.sum(F.when(ok, 0).otherwise(1)).alias(f"f{index}"))
    keep = _all([passes(e) for e in expectations if e.action == "drop"])
    out.append(F.sum(F.when(keep, 0).otherwise(1)).alias("dropped"))
    return out


def _all(conditions: list):
    from pyspark.sql import functions as F
    keep = F.lit(True)
    for condition in conditions:
        keep = keep & condition
    return keep
