"""A pipeline's dataflow graph, declared through Apache Spark's own pipelines API.

Pipeline code calls ``pyspark.pipelines`` (``@dp.table``, ``@dp.materialized_view``,
``@dp.temporary_view``, ``@dp.append_flow``, ``dp.create_streaming_table``), which hands
each definition to the active ``GraphElementRegistry``. ``Graph`` is that registry, in this
process: Spark's ``spark-pipelines`` CLI registers the same objects over Spark Connect
instead, and its executor has no continuous mode and no expectations (see README), so the
executor is localspace's own (spark_pipeline.py).

``dlt_module`` is what ``import dlt`` (and ``from pyspark import pipelines``) gives a
pipeline notebook: Spark's functions plus Databricks' ``expect*``, ``view``, ``read`` and
``read_stream``. ``PipelineSpark`` is the ``spark`` such code sees: the real session, with
names of the graph's datasets (``x``, ``LIVE.x``) resolved to the pipeline's catalog.schema
and every read recorded, which is how the executor learns which flow depends on which.
"""
from __future__ import annotations

import re
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from pyspark import pipelines as dp
from pyspark.pipelines import output as outputs
from pyspark.pipelines.graph_element_registry import GraphElementRegistry

from .dlt_sql import Cdc, Expectation, PipelineSqlError, parse, statements

EXPECTATIONS = "_localspace_expectations"    # attribute a query function's expectations live in
NOT_EMULATED = 'see README "What each engine does"'


class PipelineDefinitionError(ValueError):
    """The graph cannot be built (a duplicate, a flow into nothing); one line for the user."""


@dataclass
class Dataset:
    name: str                        # as declared, lower-cased (Unity Catalog folds names)
    kind: str                        # table | streaming_table | materialized_view | view
    comment: Optional[str] = None
    schema: object = None            # StructType or DDL string
    partition_cols: Optional[list[str]] = None
    table_properties: dict = field(default_factory=dict)
    expectations: list[Expectation] = field(default_factory=list)   # create_streaming_table / SQL constraints


@dataclass
class FlowDef:
    name: str
    target: str
    func: Optional[Callable] = None  # Python flows: returns a DataFrame
    sql: Optional[str] = None        # SQL flows: the query
    once: bool = False
    spark_conf: dict = field(default_factory=dict)
    cdc: Optional[Cdc] = None        # APPLY CHANGES / AUTO CDC: upserts from cdc.source

    def expectations(self, dataset: Dataset) -> list[Expectation]:
        return [*dataset.expectations, *getattr(self.func, EXPECTATIONS, [])]


class Graph(GraphElementRegistry):
    def __init__(self):
        self.datasets: dict[str, Dataset] = {}
        self.flows: list[FlowDef] = []
        self.settings: list[tuple[str, str]] = []   # SQL SET statements, in order

    def _add_dataset(self, dataset: Dataset) -> None:
        if dataset.name in self.datasets:
            raise PipelineDefinitionError(f"Dataset '{dataset.name}' is defined more than once in the pipeline.")
        self.datasets[dataset.name] = dataset

    def _add_flow(self, flow: FlowDef) -> None:
        if any(f.name == flow.name for f in self.flows):
            raise PipelineDefinitionError(f"Flow '{flow.name}' is defined more than once in the pipeline.")
        self.flows.append(flow)

    # -- GraphElementRegistry ------------------------------------------------------------------

    def register_output(self, output) -> None:
        if isinstance(output, outputs.Sink):
            raise PipelineDefinitionError(f"localspace does not emulate pipeline sinks ({NOT_EMULATED}).")
        kind = ("view" if isinstance(output, outputs.TemporaryView)
                else "materialized_view" if isinstance(output, outputs.MaterializedView) else "table")
        self._add_dataset(Dataset(output.name.lower(), kind, comment=output.comment,
                                  schema=getattr(output, "schema", None),
                                  partition_cols=getattr(output, "partition_cols", None),
                                  table_properties=dict(getattr(output, "table_properties", None) or {})))

    def register_flow(self, flow) -> None:
        self._add_flow(FlowDef(flow.name.lower(), flow.target.lower(), func=flow.func,
                               spark_conf=dict(flow.spark_conf or {})))

    def register_sql(self, sql_text: str, file_path: Path) -> None:
        for statement in statements(sql_text):
            try:
                definition = parse(statement)
            except PipelineSqlError as err:
                raise PipelineDefinitionError(f"{file_path}: {err}") from None
            name = definition.name.lower()
            if definition.kind == "set":
                self.settings.append((definition.name, definition.value))
            elif definition.kind == "flow":
                self._add_flow(FlowDef(name, definition.target.lower(), sql=definition.query, once=definition.once,
                                       cdc=definition.cdc))
            else:
                self._add_dataset(Dataset(name, definition.kind, comment=definition.comment,
                                          schema=definition.columns, expectations=definition.expectations))
                if definition.query is not None:
                    self._add_flow(FlowDef(name, name, sql=definition.query))

    # -- the whole graph -----------------------------------------------------------------------

    def check(self) -> None:
        """Every flow writes into a declared dataset; every table has a flow."""
        for flow in self.flows:
            if flow.target not in self.datasets:
                raise PipelineDefinitionError(f"Flow '{flow.name}' writes to '{flow.target}', which the pipeline "
                                              "does not define (declare it with create_streaming_table).")
        for dataset in self.datasets.values():
            if not any(f.target == dataset.name for f in self.flows):
                raise PipelineDefinitionError(f"Dataset '{dataset.name}' has no flow writing to it.")
        if not self.flows:
            raise PipelineDefinitionError("The pipeline's source code defines no tables or views.")


# -- the code's view of the pipeline -------------------------------------------------------------

class Resolver:
    """Names of graph datasets, as user code writes them, to what Spark should read; and the
    record of which graph datasets the flow being evaluated reads."""

    def __init__(self, graph: Graph, catalog: str, schema: str):
        self.graph = graph
        self.catalog, self.schema = catalog, schema
        self.reads: set[str] = set()

    def name(self, name: str) -> str:
        parts = [p.strip("`") for p in name.split(".")]
        if len(parts) == 2 and parts[0].lower() == "live":
            parts = parts[1:]
        if len(parts) == 3 and (parts[0].lower(), parts[1].lower()) == (self.catalog, self.schema):
            parts = parts[2:]
        if len(parts) != 1 or parts[0].lower() not in self.graph.datasets:
            return name
        short = parts[0].lower()
        self.reads.add(short)
        if self.graph.datasets[short].kind == "view":
            return f"`{short}`"
        return f"`{self.catalog}`.`{self.schema}`.`{short}`"

    def sql(self, text: str) -> str:
        """``LIVE.x`` in SQL text becomes the dataset's name; graph names it mentions are reads."""
        text = re.sub(r"\bLIVE\s*\.\s*(`?)(\w+)\1", lambda m: self.name(m[2]), text, flags=re.IGNORECASE)
        code = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "''", text)   # not in string literals
        for word in set(re.findall(r"\w+", code)):
            if word.lower() in self.graph.datasets:
                self.reads.add(word.lower())
        return text


class _Reader:
    """A DataFrameReader / DataStreamReader whose ``table`` resolves graph names."""

    def __init__(self, reader, resolver: Resolver):
        self._reader, self._resolver = reader, resolver

    def table(self, name: str):
        return self._reader.table(self._resolver.name(name))

    def __getattr__(self, attr):
        value = getattr(self._reader, attr)
        if not callable(value):
            return value

        def chained(*args, **kwargs):
            result = value(*args, **kwargs)
            return _Reader(result, self._resolver) if type(result) is type(self._reader) else result
        return chained


class PipelineSpark:
    """The ``spark`` of pipeline code: the session itself for everything but reading tables."""

    def __init__(self, session, resolver: Resolver):
        self._session, self._resolver = session, resolver

    def table(self, name: str):
        return self._session.table(self._resolver.name(name))

    def sql(self, text: str, *args, **kwargs):
        return self._session.sql(self._resolver.sql(text), *args, **kwargs)

    @property
    def read(self):
        return _Reader(self._session.read, self._resolver)

    @property
    def readStream(self):  # noqa: N802 - pyspark's name
        return _Reader(self._session.readStream, self._resolver)

    def __getattr__(self, attr):
        return getattr(self._session, attr)


def _not_emulated(what: str):
    def refuse(*args, **kwargs):
        raise PipelineDefinitionError(f"localspace does not emulate {what} ({NOT_EMULATED}).")
    return refuse


def _expect(action: str, many: bool):
    """@dlt.expect(name, cond) and friends; @dlt.expect_all({name: cond}) and friends."""
    def decorator_factory(*args):
        pairs = list(args[0].items()) if many else [(args[0], args[1])]

        def decorator(func):
            found = func.__dict__.setdefault(EXPECTATIONS, [])
            found.extend(Expectation(name, condition, action) for name, condition in pairs)
            return func
        return decorator
    return decorator_factory


def dlt_module(spark: PipelineSpark) -> types.ModuleType:
    """``dlt`` (and Databricks' ``pyspark.pipelines``): Spark's declarations, Databricks' extras."""
    module = types.ModuleType("dlt")
    module.__dict__.update({name: getattr(dp, name) for name in dp.__all__})

    def _keep(declare):
        """Spark's decorators return None; Databricks' code stacks @expect on what they return."""
        def decorator(query_function=None, **options):
            unsupported = sorted(set(options) - {"name", "comment", "spark_conf", "table_properties",
                                                 "partition_cols", "cluster_by", "schema", "temporary", "path"})
            if unsupported:
                raise PipelineDefinitionError(f"localspace does not emulate {', '.join(unsupported)} on pipeline "
                                              f"datasets ({NOT_EMULATED}).")
            options = {k: v for k, v in options.items() if k not in ("temporary", "path")}

            def outer(func):
                declare(**options)(func)
                return func
            return outer(query_function) if query_function is not None else outer
        return decorator

    def view(query_function=None, *, name=None, comment=None, spark_conf=None):
        def outer(func):
            dp.temporary_view(name=name, comment=comment, spark_conf=spark_conf)(func)
            return func
        return outer(query_function) if query_function is not None else outer

    def create_streaming_table(name, *, comment=None, spark_conf=None, table_properties=None, partition_cols=None,
                               cluster_by=None, schema=None, expect_all=None, expect_all_or_drop=None,
                               expect_all_or_fail=None, **unsupported):
        if unsupported:
            raise PipelineDefinitionError(f"localspace does not emulate {', '.join(sorted(unsupported))} on "
                                          f"create_streaming_table ({NOT_EMULATED}).")
        dp.create_streaming_table(name, comment=comment, table_properties=table_properties,
                                  partition_cols=partition_cols, cluster_by=cluster_by, schema=schema)
        graph = spark._resolver.graph
        for pairs, action in ((expect_all, "warn"), (expect_all_or_drop, "drop"), (expect_all_or_fail, "fail")):
            graph.datasets[name.lower()].expectations.extend(
                Expectation(n, c, action) for n, c in (pairs or {}).items())

    def append_flow(*, target, name=None, spark_conf=None, comment=None, once=False):
        def outer(func):
            dp.append_flow(target=target, name=name, spark_conf=spark_conf)(func)
            if once:
                spark._resolver.graph.flows[-1].once = True
            return func
        return outer

    def create_auto_cdc_flow(target, source, keys, sequence_by, *, ignore_null_updates=False, apply_as_deletes=None,
                             apply_as_truncates=None, column_list=None, except_column_list=None,
                             stored_as_scd_type=1, track_history_column_list=None,
                             track_history_except_column_list=None, name=None, once=False):
        if str(stored_as_scd_type) != "1" or ignore_null_updates or apply_as_truncates is not None \
                or track_history_column_list or track_history_except_column_list:
            raise PipelineDefinitionError("localspace does not emulate SCD type 2, ignore_null_updates or "
                                          f"apply_as_truncates in APPLY CHANGES ({NOT_EMULATED}).")
        spark._resolver.graph._add_flow(FlowDef(
            (name or f"{target}_cdc").lower(), target.lower(), once=once, cdc=Cdc(
                source, list(keys), sequence_by, apply_as_deletes, list(except_column_list or []),
                list(column_list) if column_list else None)))

    module.__dict__.update({
        "create_auto_cdc_flow": create_auto_cdc_flow, "apply_changes": create_auto_cdc_flow,
        "table": _keep(dp.table), "materialized_view": _keep(dp.materialized_view), "view": view,
        "temporary_view": view, "create_streaming_table": create_streaming_table,
        "create_streaming_live_table": create_streaming_table, "create_target_table": create_streaming_table,
        "append_flow": append_flow,
        "read": lambda name: spark.read.table(name), "read_stream": lambda name: spark.readStream.table(name),
        "expect": _expect("warn", False), "expect_or_drop": _expect("drop", False),
        "expect_or_fail": _expect("fail", False), "expect_all": _expect("warn", True),
        "expect_all_or_drop": _expect("drop", True), "expect_all_or_fail": _expect("fail", True),
        "apply_changes_from_snapshot": _not_emulated("APPLY CHANGES / AUTO CDC flows"),
        "create_auto_cdc_from_snapshot_flow": _not_emulated("APPLY CHANGES / AUTO CDC flows"),
        "create_sink": _not_emulated("pipeline sinks"),
    })
    return module
