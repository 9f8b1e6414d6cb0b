"""One pipeline update on the spark engine: the graph's flows as Structured Streaming and
Delta writes in the pipeline's catalog.schema, with expectations and event-log metrics.

- A streaming flow is a streaming write (``toTable``) with its checkpoint under the
  pipeline's storage (``<storage>/checkpoints/<flow>``): a triggered update runs it with
  ``availableNow`` (what is there, then done), a continuous one every half second until
  stopped. A batch flow (a materialized view) recomputes its table (overwrite) once per
  triggered update, and in a continuous update again whenever a stream wrote new rows.
- Flows run in dependency order, learnt by evaluating them: a flow whose DataFrame reads
  (through ``PipelineSpark``) a dataset not yet written in this update waits for it.
- Expectations are evaluated by localspace (dlt_quality.py); each micro-batch's counts
  become a ``flow_progress`` event (``details.flow_progress.metrics`` and ``data_quality``,
  as the event log schema documents them). APPLY CHANGES flows are dlt_cdc.py's MERGEs.
- Full refresh drops the tables and checkpoints first. Stop ends every query within seconds.
- Errors carry the user's exception, one line, never localspace's frames.
"""
from __future__ import annotations

import re
import shutil
import threading
import time
from typing import Optional

from ..paths import Paths
from .base import PipelineHandle, PipelineResult, PipelineSource, PipelineUpdateTask
from .dlt_graph import Dataset, FlowDef, Graph, PipelineDefinitionError, PipelineSpark, Resolver, dlt_module
from .dlt_sql import PipelineSqlError, ReadFiles, lift_read_files
from . import dlt_cdc, dlt_quality, dlt_source
from .runner import one_line
from .spark_pyapi import make_active
from .spark_session import user_facing

POLL = 0.3                       # seconds between looks at running streams (bounds stop latency)
CONTINUOUS_TRIGGER = "500 milliseconds"
MV_REFRESH_AFTER = 1.0           # continuous: at most one recompute of the views per second
_PYTHON_ERROR = re.compile(r"^\s*(?:pyspark\.errors\.\w+\.)?([A-Za-z_][\w.]*(?:Error|Exception|Exit)): (.*)$",
                           re.MULTILINE)
_VIOLATION = re.compile(r"\[EXPECTATION_VIOLATION\.VERIFY_FAILED\][^\n]*?'\.")


class Stopped(Exception):
    """The update was stopped."""


class FlowFailed(Exception):
    def __init__(self, flow: Optional[str], message: str):
        super().__init__(message)
        self.flow, self.message = flow, message


class SparkPipelineUpdate(PipelineHandle):
    def __init__(self, task: PipelineUpdateTask, session, paths: Paths, namespace: dict):
        self.task = task
        self.session = session
        self.paths = paths
        self._namespace = namespace          # dbutils & co. for the pipeline's code
        self._stop = threading.Event()
        self._done = threading.Event()
        self._result: Optional[PipelineResult] = None
        self._queries: dict[str, tuple[FlowDef, object]] = {}     # flow name -> (flow, StreamingQuery)
        self._seen: dict[str, int] = {}                           # flow name -> last batch id reported
        self._observations: dict[str, list] = {}                  # flow name -> its expectations
        self._views = 0
        # Databricks restarts a flow whose Auto Loader stream stopped for new columns; this
        # runner does not, so its streams keep the schema they started with (CloudFilesSource).
        session.conf.set("localspace.cloudFiles.inferredSchemaEvolutionMode", "none")
        self._thread = threading.Thread(target=self._main, daemon=True,
                                        name=f"localspace-pipeline-run-{task.update_id[:8]}")
        self._thread.start()

    # -- the interface -------------------------------------------------------------------------

    def result(self, timeout: float) -> Optional[PipelineResult]:
        self._done.wait(timeout)
        return self._result

    def stop(self) -> None:
        if self._done.is_set() or self._stop.is_set():
            return
        self._stop.set()
        threading.Thread(target=self._stop_queries, daemon=True, name=f"{self._thread.name}-stop").start()

    def _stop_queries(self) -> None:
        for _flow, query in list(self._queries.values()):
            try:
                query.stop()
            except Exception:  # noqa: BLE001 - already stopped or failed
                pass
        try:
            self.session.interruptAll()
        except Exception:  # noqa: BLE001 - the session is going away
            pass

    # -- the run thread ------------------------------------------------------------------------

    def _main(self) -> None:
        try:
            # The pipeline's session is this thread's, as a notebook run's is (spark_pyapi.py).
            make_active(self.session)
            graph, resolver = self._build()
            self._run(graph, resolver)
            result = PipelineResult("CANCELED" if self._stop.is_set() else "COMPLETED")
        except Stopped:
            result = PipelineResult("CANCELED")
        except FlowFailed as failure:
            if self._stop.is_set():
                result = PipelineResult("CANCELED")
            else:
                self._flow_failed(failure.flow, failure.message)
                result = PipelineResult("FAILED", failure.message)
        except (PipelineDefinitionError, PipelineSqlError) as err:
            result = PipelineResult("FAILED", str(err))
        except Exception as exc:  # noqa: BLE001 - whatever Spark says fails the update
            result = PipelineResult("CANCELED") if self._stop.is_set() else \
                PipelineResult("FAILED", user_facing(_user_error(exc)))
        self._stop_queries()
        self._result = result
        self._done.set()

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise Stopped()

    def _build(self) -> tuple[Graph, Resolver]:
        """Run the sources with the graph as the registry (INITIALIZING)."""
        from pyspark.pipelines.graph_element_registry import graph_element_registration_context
        graph = Graph()
        resolver = Resolver(graph, self.task.catalog, self.task.schema)
        for key, value in self.task.configuration.items():
            self._conf(key, value)
        spark = PipelineSpark(self.session, resolver)
        module = dlt_module(spark)
        with graph_element_registration_context(graph):
            for source in self.task.sources:
                self._check_stop()
                if source.language == "SQL":
                    for cell in dlt_source.cells(source):
                        graph.register_sql(cell, source.path)
                else:
                    self._exec_python(source, spark, module)
        for key, value in graph.settings:
            self._conf(key, value)
        graph.check()
        return graph, resolver

    def _conf(self, key: str, value: str) -> None:
        try:
            self.session.conf.set(key, value)
        except Exception as exc:  # noqa: BLE001 - a static Spark setting
            raise PipelineDefinitionError(f"Cannot set the configuration {key}: {one_line(exc)}") from None

    def _exec_python(self, source: PipelineSource, spark: PipelineSpark, module) -> None:
        namespace = {**self._namespace, "__name__": "__main__", "spark": spark, "dlt": module,
                     "__builtins__": dlt_source.builtins_for(module, self.paths, self._stop, source.path)}
        for number, cell in enumerate(dlt_source.cells(source), start=1):
            try:
                exec(compile(cell, f"<pipeline {source.path}, cell {number}>", "exec", dont_inherit=True),  # noqa: S102
                     namespace)
            except (PipelineDefinitionError, PipelineSqlError):
                raise
            except Exception as exc:  # noqa: BLE001 - the user's code: its error, one line
                raise FlowFailed(None, user_facing(_user_error(exc))) from None

    # -- running the graph -------------------------------------------------------------------

    def _table(self, name: str) -> str:
        return f"`{self.task.catalog}`.`{self.task.schema}`.`{name}`"

    def _checkpoint(self, flow: FlowDef) -> str:
        return f"{self.task.storage.rstrip('/')}/checkpoints/{flow.name}"

    def _run(self, graph: Graph, resolver: Resolver) -> None:
        tables = [d for d in graph.datasets.values() if d.kind != "view"]
        if self.task.full_refresh:
            self.task.set_state("RESETTING")
            for dataset in tables:
                self.session.sql(f"DROP TABLE IF EXISTS {self._table(dataset.name)}").collect()
            shutil.rmtree(self.paths.dbfs(f"{self.task.storage.rstrip('/')}/checkpoints"), ignore_errors=True)
        self._check_stop()
        self.task.set_state("SETTING_UP_TABLES")
        self.task.tables([f"{self.task.catalog}.{self.task.schema}.{d.name}" for d in tables])
        for flow in graph.flows:
            self._flow_event(flow, "QUEUED")
        for dataset in tables:
            if dataset.schema is not None and isinstance(dataset.schema, str):
                self.session.sql(f"CREATE TABLE IF NOT EXISTS {self._table(dataset.name)} ({dataset.schema}) "
                                 "USING delta").collect()
        self._check_stop()
        self.task.set_state("RUNNING")
        batch_flows = self._in_order(graph, resolver)
        if not self.task.continuous:
            for flow, _query in self._queries.values():
                self._flow_event(flow, "COMPLETED")
            return
        self._keep_running(graph, resolver, batch_flows)

    def _in_order(self, graph: Graph, resolver: Resolver) -> list[FlowDef]:
        """Run (triggered) or start (continuous) every flow once its inputs are written.
        Returns the batch flows, which a continuous update recomputes as data arrives."""
        pending, written, batch_flows = list(graph.flows), set(), []
        last_error: dict[str, Exception] = {}
        while pending:
            progressed = False
            for flow in list(pending):
                self._check_stop()
                unfinished = {f.target for f in pending if f is not flow}
                resolver.reads = set()
                try:
                    frame = self._frame(flow, graph, resolver)
                except (FlowFailed, PipelineDefinitionError):
                    raise
                except Exception as exc:  # noqa: BLE001 - maybe an input not written yet
                    if resolver.reads & unfinished:
                        last_error[flow.name] = exc
                        continue
                    raise FlowFailed(flow.name, user_facing(_user_error(exc))) from None
                if (resolver.reads - {flow.target}) & unfinished:
                    continue
                try:
                    batch = self._execute(flow, graph.datasets[flow.target], frame)
                except (FlowFailed, Stopped):
                    raise
                except Exception as exc:  # noqa: BLE001 - Spark refused the flow's write
                    raise FlowFailed(flow.name, user_facing(_user_error(exc))) from None
                if batch:
                    batch_flows.append(flow)
                pending.remove(flow)
                written.add(flow.target)
                progressed = True
            if not progressed:
                flow = pending[0]
                error = last_error.get(flow.name)
                detail = f": {user_facing(_user_error(error))}" if error else ""
                raise FlowFailed(flow.name, f"Flow '{flow.name}' cannot run: it reads datasets that are never "
                                            f"written before it ({', '.join(sorted(f.target for f in pending))})"
                                            f"{detail}")
        return batch_flows

    def _frame(self, flow: FlowDef, graph: Graph, resolver: Resolver):
        for key, value in flow.spark_conf.items():
            self.session.conf.set(key, value)
        if flow.cdc is not None:
            return self.session.readStream.table(resolver.name(flow.cdc.source))
        if flow.sql is not None:
            text = lift_read_files(resolver.sql(self._substitute(flow.sql)), lambda call: self._read_files(flow, call))
            return self.session.sql(text)
        try:
            frame = flow.func()
        except Exception as exc:  # noqa: BLE001 - a user function that raised: its error
            if _is_spark_error(exc):
                raise
            raise FlowFailed(flow.name, user_facing(_user_error(exc))) from None
        if not hasattr(frame, "isStreaming"):
            raise FlowFailed(flow.name, f"The function of flow '{flow.name}' returned {type(frame).__name__}, "
                                        "not a DataFrame.")
        return frame

    def _substitute(self, text: str) -> str:
        """``${key}`` in pipeline SQL is the pipeline's configuration value (Databricks: "Use
        parameters with pipelines"), replaced before the text is read, as Spark would later."""
        def value(match: re.Match) -> str:
            found = self.session.conf.get(match[1], None)
            return match[0] if found is None else found
        return re.sub(r"\$\{([\w.-]+)\}", value, text)

    def _read_files(self, flow: FlowDef, call: ReadFiles) -> str:
        """A view standing in for ``STREAM read_files(...)``: Auto Loader on the same folder,
        with read_files' defaults (typed JSON/CSV columns, CSV with a header)."""
        options = dict(call.options)
        file_format = options.pop("format", None)
        schema = options.pop("schema", None)
        if file_format is None:
            raise PipelineSqlError("STREAM read_files needs format => 'json' | 'csv' | 'parquet' | ... on localspace.")
        if call.read_files:
            options.setdefault("inferColumnTypes", "true")
            if file_format.lower() == "csv":
                options.setdefault("header", "true")
        reader = self.session.readStream.format("cloudFiles").option("cloudFiles.format", file_format)
        for key, value in options.items():
            reader = reader.option(f"cloudFiles.{key}" if key in _AUTO_LOADER_OPTIONS else key, value)
        if schema:
            reader = reader.schema(schema)
        self._views += 1
        name = f"__read_files_{flow.name}_{self._views}"
        reader.load(call.path).createOrReplaceTempView(name)
        return f"`{name}`"

    def _execute(self, flow: FlowDef, dataset: Dataset, frame) -> bool:
        """Run or start one flow; True when it is a batch flow (recomputed when data arrives)."""
        if dataset.kind == "view":
            self._expectations(flow, dataset, frame).createOrReplaceTempView(dataset.name)
            self._flow_event(flow, "COMPLETED" if not frame.isStreaming else "RUNNING")
            return False
        self._flow_event(flow, "STARTING")
        if frame.isStreaming:
            self._start_stream(flow, dataset, frame)
            return False
        self._recompute(flow, dataset, frame)
        return True

    def _expectations(self, flow: FlowDef, dataset: Dataset, frame, observe: bool = True):
        """The flow's frame with its expectations applied; streams count them per batch."""
        expectations = flow.expectations(dataset)
        self._observations[flow.name] = expectations
        return dlt_quality.apply(frame, flow.name, expectations, self._observation_name(flow) if observe else None)

    def _observation_name(self, flow: FlowDef) -> str:
        return f"localspace_dq_{flow.name}"

    def _start_stream(self, flow: FlowDef, dataset: Dataset, frame) -> None:
        frame = self._expectations(flow, dataset, frame)
        writer = (frame.writeStream.queryName(f"{self.task.pipeline_id[:8]}-{flow.name}")
                  .option("checkpointLocation", self._checkpoint(flow)))
        continuous = self.task.continuous and not flow.once
        writer = writer.trigger(processingTime=CONTINUOUS_TRIGGER) if continuous else writer.trigger(availableNow=True)
        if flow.cdc is not None:
            upsert = dlt_cdc.upserts(self.session, self._table(dataset.name), flow.cdc, frame,
                                     f"__changes_{flow.name}")
            query = writer.foreachBatch(upsert).start()
        else:
            writer = writer.format("delta").outputMode("append")
            if dataset.partition_cols:
                writer = writer.partitionBy(*dataset.partition_cols)
            query = writer.toTable(self._table(dataset.name))
        self._queries[flow.name] = (flow, query)
        self._seen[flow.name] = -1
        self._flow_event(flow, "RUNNING")
        if not continuous:
            self._await(flow, query)

    def _await(self, flow: FlowDef, query) -> None:
        while True:
            self._check_stop()
            try:
                ended = query.awaitTermination(POLL)
            except Exception as exc:  # noqa: BLE001 - the stream failed: the user's error
                self._report(flow, query)
                raise FlowFailed(flow.name, user_facing(_user_error(exc))) from None
            self._report(flow, query)
            if ended:
                return

    def _recompute(self, flow: FlowDef, dataset: Dataset, frame) -> None:
        """A batch flow: count its rows and expectations, then overwrite its table."""
        try:
            values = frame.agg(*dlt_quality.metrics(flow.expectations(dataset))).first().asDict()
            writer = self._expectations(flow, dataset, frame, observe=False).write.format("delta") \
                .mode("overwrite").option("overwriteSchema", "true")
            if dataset.partition_cols:
                writer = writer.partitionBy(*dataset.partition_cols)
            writer.saveAsTable(self._table(dataset.name))
        except Exception as exc:  # noqa: BLE001 - the user's query or expectation failed
            self._check_stop()
            raise FlowFailed(flow.name, user_facing(_user_error(exc))) from None
        self._flow_event(flow, "COMPLETED", num_output_rows=dlt_quality.output_rows(values), quality=values)

    def _keep_running(self, graph: Graph, resolver: Resolver, batch_flows: list[FlowDef]) -> None:
        """Continuous: report batches, surface failures, recompute views when data arrived."""
        last_refresh = time.monotonic()
        dirty = False
        while True:
            self._check_stop()
            time.sleep(POLL)
            for name, (flow, query) in list(self._queries.items()):
                dirty |= self._report(flow, query) > 0
                error = query.exception() if not query.isActive else None
                if error is not None:
                    raise FlowFailed(flow.name, user_facing(_user_error(error)))
            if dirty and batch_flows and time.monotonic() - last_refresh >= MV_REFRESH_AFTER:
                for flow in batch_flows:
                    resolver.reads = set()
                    self._recompute(flow, graph.datasets[flow.target], self._frame(flow, graph, resolver))
                dirty, last_refresh = False, time.monotonic()

    def _report(self, flow: FlowDef, query) -> int:
        """A flow_progress event per new micro-batch; returns the rows written since last time."""
        written = 0
        try:
            progress = list(query.recentProgress)
        except Exception:  # noqa: BLE001 - a stopped query's session went away
            return 0
        for batch in progress:
            # An idle trigger reports progress too, under the id of the batch still to come:
            # only a batch that read rows is one, else its real progress would look seen.
            if batch.numInputRows == 0 or batch.batchId <= self._seen.get(flow.name, -1):
                continue
            self._seen[flow.name] = batch.batchId
            observed = (batch.observedMetrics or {}).get(self._observation_name(flow))
            values = observed.asDict() if observed is not None else None
            rows = dlt_quality.output_rows(values) if values is not None else int(batch.numInputRows)
            written += rows
            self._flow_event(flow, "RUNNING", num_output_rows=rows, quality=values, batch_id=batch.batchId)
        return written

    # -- events --------------------------------------------------------------------------------

    def _flow_event(self, flow: FlowDef, status: str, num_output_rows: Optional[int] = None,
                    quality: Optional[dict] = None, batch_id: Optional[int] = None) -> None:
        details: dict = {"status": status}
        if num_output_rows is not None:
            details["metrics"] = {"num_output_rows": num_output_rows}
        expectations = self._observations.get(flow.name) or []
        if quality is not None and expectations:
            details["data_quality"] = dlt_quality.quality(quality, flow.target, expectations)
        verb = "has COMPLETED" if status == "COMPLETED" else f"is {status}"
        self.task.emit("flow_progress", f"Flow '{flow.name}' {verb}.", details={"flow_progress": details},
                       flow_name=flow.name, dataset_name=flow.target, flow_id=flow.name, batch_id=batch_id)

    def _flow_failed(self, flow: Optional[str], message: str) -> None:
        if flow:
            self.task.emit("flow_progress", f"Flow '{flow}' has FAILED.", level="ERROR",
                           details={"flow_progress": {"status": "FAILED"}},
                           error={"exceptions": [{"class_name": _class_name(message), "message": message}],
                                  "fatal": True},
                           flow_name=flow, dataset_name=flow)


_AUTO_LOADER_OPTIONS = {"inferColumnTypes", "schemaHints", "schemaLocation", "maxFilesPerTrigger",
                        "maxBytesPerTrigger", "includeExistingFiles", "useNotifications", "schemaEvolutionMode"}


def _class_name(message: str) -> str:
    head, sep, _rest = message.partition(": ")
    return head if sep and head.replace(".", "").replace("_", "").isalnum() else ""


def _is_spark_error(exc: BaseException) -> bool:
    from pyspark.errors import PySparkException
    return isinstance(exc, PySparkException) or type(exc).__name__ == "Py4JJavaError"


def _user_error(exc: BaseException) -> str:
    """What the user should read: their Python exception inside a Spark job (a UDF), a failed
    expectation, or Spark's own first line; never the stream's wrapper text."""
    text = str(exc)
    violation = _VIOLATION.search(text)
    if violation:
        return violation.group(0)
    if "PythonException" in text or "Traceback" in text:
        found = _PYTHON_ERROR.findall(text)
        if found:
            name, message = found[-1]
            return f"{name.rsplit('.', 1)[-1]}: {message.strip()}"
    line = one_line(exc)
    return re.sub(r"^\w+: \[STREAM_FAILED\] Query \[[^\]]*\] terminated with exception: ", "", line)
