"""Pipelines run on the spark engine, driven through the official SDK: a Python pipeline
(``import dlt`` and Spark's ``pyspark.pipelines``, triggered) and a SQL pipeline
(continuous), with expectations that fail, checked
by the tables' counts through the SQL statements API and the counts in the event log.
One engine for the module (its cold start is the slow part)."""
from __future__ import annotations

import base64
import io
import textwrap

import pytest
from databricks.sdk.errors import ResourceConflict
from databricks.sdk.service import pipelines as P
from databricks.sdk.service import workspace as ws_service

from conftest import TEST_TOKEN
from localspace.engine import spark_available
from localspace.server import LocalSpace
from localspace_helpers import client, make_volume, wait_until

pytestmark = pytest.mark.skipif(not spark_available(), reason="the spark engine needs pyspark, delta-spark and Java")

LANDING = "/Volumes/main/default/landing"
PYTHON_PIPELINE = """\
    # Databricks notebook source
    import dlt
    from pyspark.sql import functions as F

    # COMMAND ----------

    @dlt.table(comment="users as they land")
    def bronze_users():
        return (spark.readStream.format("cloudFiles").option("cloudFiles.format", "json")
                .schema("id INT, name STRING").load(spark.conf.get("landing")))

    @dlt.table
    @dlt.expect_or_drop("valid_id", "id IS NOT NULL")
    @dlt.expect("short_name", "length(name) <= 4")
    def silver_users():
        return dlt.read_stream("bronze_users").withColumn("name_length", F.length("name"))

    @dlt.table
    def gold_user_count():
        return spark.read.table("LIVE.silver_users").groupBy().count()
    """
SPARK_API_PIPELINE = """\
    # Databricks notebook source
    from pyspark import pipelines as dp

    dp.create_streaming_table("user_names")

    @dp.append_flow(target="user_names")
    def names_from_silver():
        return spark.readStream.table("silver_users").select("name")
    """
CDC_PIPELINE = """\
    CREATE OR REFRESH STREAMING TABLE user_latest;

    APPLY CHANGES INTO LIVE.user_latest FROM STREAM(LIVE.silver_users) KEYS (id) SEQUENCE BY name_length
    COLUMNS * EXCEPT (name_length) STORED AS SCD TYPE 1;
    """
SQL_PIPELINE = """\
    CREATE OR REFRESH STREAMING TABLE raw_orders
    AS SELECT * FROM STREAM read_files('${landing}/orders', format => 'json',
                                       schema => 'id INT, amount DOUBLE');

    CREATE OR REFRESH STREAMING TABLE orders (
      CONSTRAINT valid_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,
      CONSTRAINT positive EXPECT (amount > 0)
    ) AS SELECT id, amount FROM STREAM(LIVE.raw_orders);

    CREATE OR REFRESH MATERIALIZED VIEW order_totals AS SELECT count(*) AS n FROM orders;
    """
TERMINAL = {P.UpdateInfoState.COMPLETED, P.UpdateInfoState.FAILED, P.UpdateInfoState.CANCELED}


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    server = LocalSpace(root=tmp_path_factory.mktemp("pipelines") / "root", engine="spark", token=TEST_TOKEN)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def w(space):
    w = client(space, TEST_TOKEN)
    make_volume(w, "main.default.landing")
    w.workspace.mkdirs("/Shared/dlt")
    return w


def put_notebook(w, path: str, text: str, language=ws_service.Language.PYTHON) -> None:
    w.workspace.import_(path, content=base64.b64encode(textwrap.dedent(text).encode()).decode(), overwrite=True,
                        format=ws_service.ImportFormat.SOURCE, language=language)


def land(w, path: str, *lines: str) -> None:
    w.files.upload(f"{LANDING}/{path}", io.BytesIO(("\n".join(lines) + "\n").encode()), overwrite=True)


def count(w, table: str):
    """Rows in main.default.<table> through the SQL warehouse, or None while it is missing."""
    reply = w.statement_execution.execute_statement(statement=f"SELECT count(*) FROM main.default.{table}",
                                                    warehouse_id="localspace", wait_timeout="30s")
    return int(reply.result.data_array[0][0]) if reply.status.state.value == "SUCCEEDED" else None


def finished(w, pipeline_id: str, update_id: str, timeout: float = 180) -> P.UpdateInfo:
    return wait_until(lambda: (lambda u: u if u.state in TERMINAL else None)(
        w.pipelines.get_update(pipeline_id, update_id).update), timeout, f"update {update_id} to end")


def update_states(space, pipeline_id: str, update_id: str) -> list[str]:
    return [e["details"]["update_progress"]["state"] for e in space.pipelines.get(pipeline_id).events.events()
            if e["event_type"] == "update_progress" and e["origin"].get("update_id") == update_id]


def expectation_counts(w, pipeline_id: str, update_id: str) -> dict[tuple[str, str], tuple[int, int]]:
    """{(dataset, expectation): (passed, failed)} summed over the update's flow_progress events."""
    totals: dict[tuple[str, str], tuple[int, int]] = {}
    for event in w.api_client.do("GET", f"/api/2.0/pipelines/{pipeline_id}/events",
                                 query={"max_results": 250})["events"]:
        quality = event["details"].get("flow_progress", {}).get("data_quality")
        if event["origin"].get("update_id") != update_id or not quality:
            continue
        for found in quality["expectations"]:
            passed, failed = totals.get((found["dataset"], found["name"]), (0, 0))
            totals[(found["dataset"], found["name"])] = (passed + found["passed_records"],
                                                         failed + found["failed_records"])
    return totals


def test_a_triggered_python_pipeline_processes_what_is_there_and_completes(space, w):
    land(w, "users/1.json", '{"id": 1, "name": "ann"}', '{"id": null, "name": "bob"}', '{"id": 3, "name": "carolyn"}')
    put_notebook(w, "/Shared/dlt/users", PYTHON_PIPELINE)
    put_notebook(w, "/Shared/dlt/names", SPARK_API_PIPELINE)
    w.workspace.upload("/Shared/dlt/user_latest.sql", io.BytesIO(textwrap.dedent(CDC_PIPELINE).encode()),
                       format=ws_service.ImportFormat.AUTO, overwrite=True)
    pipeline_id = w.pipelines.create(
        name="users", catalog="main", schema="default", serverless=True,
        libraries=[P.PipelineLibrary(notebook=P.NotebookLibrary(path="/Shared/dlt/names")),  # reads the other's
                   P.PipelineLibrary(notebook=P.NotebookLibrary(path="/Shared/dlt/users")),
                   P.PipelineLibrary(file=P.FileLibrary(path="/Shared/dlt/user_latest.sql"))],
        configuration={"landing": f"{LANDING}/users"}).pipeline_id
    first = w.pipelines.start_update(pipeline_id).update_id
    assert finished(w, pipeline_id, first).state == P.UpdateInfoState.COMPLETED
    assert update_states(space, pipeline_id, first) == [
        "QUEUED", "CREATED", "WAITING_FOR_RESOURCES", "INITIALIZING", "SETTING_UP_TABLES", "RUNNING", "COMPLETED"]
    assert (count(w, "bronze_users"), count(w, "silver_users"), count(w, "user_names"), count(w, "user_latest")) \
        == (3, 2, 2, 2)
    assert w.statement_execution.execute_statement(
        statement="SELECT * FROM main.default.gold_user_count", warehouse_id="localspace").result.data_array == [["2"]]
    assert expectation_counts(w, pipeline_id, first) == {("silver_users", "valid_id"): (2, 1),
                                                         ("silver_users", "short_name"): (2, 1)}
    assert w.pipelines.get(pipeline_id).state == P.PipelineState.IDLE

    land(w, "users/2.json", '{"id": 4, "name": "dan"}', '{"id": 1, "name": "annie"}')
    again = w.pipelines.start_update(pipeline_id, full_refresh=True).update_id
    assert finished(w, pipeline_id, again).state == P.UpdateInfoState.COMPLETED
    assert "RESETTING" in update_states(space, pipeline_id, again)
    assert (count(w, "bronze_users"), count(w, "silver_users"), count(w, "user_names")) == (5, 4, 4)  # not doubled
    assert w.statement_execution.execute_statement(  # APPLY CHANGES: the latest change of each key
        statement="SELECT id, name FROM main.default.user_latest ORDER BY id", warehouse_id="localspace"
    ).result.data_array == [["1", "annie"], ["3", "carolyn"], ["4", "dan"]]

    w.pipelines.delete(pipeline_id)
    assert count(w, "silver_users") is None  # the pipeline's tables went with it
    assert space.leftovers()["pipelines"] == 0


def test_a_continuous_sql_pipeline_keeps_processing_until_stopped(space, w):
    land(w, "orders/1.json", '{"id": 1, "amount": 5}', '{"id": null, "amount": 1}', '{"id": 2, "amount": -1}')
    w.workspace.mkdirs("/Shared/dlt/sql")
    w.workspace.upload("/Shared/dlt/sql/orders.sql", io.BytesIO(textwrap.dedent(SQL_PIPELINE).encode()),
                       format=ws_service.ImportFormat.AUTO, overwrite=True)
    pipeline_id = w.pipelines.create(
        name="orders", catalog="main", schema="default", continuous=True,
        libraries=[P.PipelineLibrary(glob=P.PathPattern(include="/Shared/dlt/sql/**"))],
        # Idle triggers report progress at once (Spark's default waits 10 s): the view must
        # still follow the batch that comes after one.
        configuration={"landing": LANDING, "spark.sql.streaming.noDataProgressEventInterval": "50ms"}).pipeline_id
    update_id = w.pipelines.start_update(pipeline_id).update_id
    wait_until(lambda: w.pipelines.get(pipeline_id).state == P.PipelineState.RUNNING, 60, "the pipeline to run")
    with pytest.raises(ResourceConflict):
        w.pipelines.start_update(pipeline_id)
    wait_until(lambda: count(w, "orders") == 2, 120, "the first file in orders")
    land(w, "orders/2.json", '{"id": 3, "amount": 7}')
    wait_until(lambda: count(w, "orders") == 3, 120, "the new file in orders")
    wait_until(lambda: count(w, "order_totals") == 1 and w.statement_execution.execute_statement(
        statement="SELECT n FROM main.default.order_totals", warehouse_id="localspace").result.data_array == [["3"]],
        120, "the materialized view to follow")
    assert w.pipelines.get_update(pipeline_id, update_id).update.state == P.UpdateInfoState.RUNNING

    w.pipelines.stop(pipeline_id)
    stopped = finished(w, pipeline_id, update_id, timeout=20)   # "stop ends it within seconds"
    assert stopped.state == P.UpdateInfoState.CANCELED
    assert w.pipelines.get(pipeline_id).state == P.PipelineState.IDLE
    assert expectation_counts(w, pipeline_id, update_id) == {("orders", "valid_id"): (3, 1),
                                                             ("orders", "positive"): (3, 1)}
    w.pipelines.delete(pipeline_id)


@pytest.mark.parametrize("code, message", [
    ("""\
     @dlt.table
     @dlt.expect_or_fail("positive", "amount > 0")
     def strict_orders():
         return spark.read.format("json").schema("id INT, amount DOUBLE").load("/Volumes/main/default/landing/bad")
     """, "[EXPECTATION_VIOLATION.VERIFY_FAILED] Flow 'strict_orders' failed to meet the expectation. "
          "Violated expectations: 'positive'."),
    ("""\
     def customer(key):
         raise ValueError(f"no such customer: {key}")

     @dlt.table
     def broken():
         return customer(42)
     """, "ValueError: no such customer: 42"),
])
def test_a_failing_update_carries_the_users_error(space, w, code, message):
    land(w, "bad/1.json", '{"id": 1, "amount": -5}')
    put_notebook(w, "/Shared/dlt/failing", "# Databricks notebook source\nimport dlt\n" + textwrap.dedent(code))
    pipeline_id = w.pipelines.create(name="failing", allow_duplicate_names=True, libraries=[
        P.PipelineLibrary(notebook=P.NotebookLibrary(path="/Shared/dlt/failing"))]).pipeline_id
    update_id = w.pipelines.start_update(pipeline_id).update_id
    assert finished(w, pipeline_id, update_id).state == P.UpdateInfoState.FAILED
    errors = list(w.pipelines.list_pipeline_events(pipeline_id, filter="level='ERROR'"))
    assert message in {e.error.exceptions[0].message for e in errors}
    assert not any("localspace" in e.error.exceptions[0].message for e in errors)
    got = w.pipelines.get(pipeline_id)
    assert (got.state, got.health, got.cause) == (P.PipelineState.IDLE, P.GetPipelineResponseHealth.UNHEALTHY, message)
    w.pipelines.delete(pipeline_id)
