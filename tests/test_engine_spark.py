"""The spark engine through the Engine interface: names, paths, streams, cancel, leftovers.

One engine (one JVM) serves the whole module; each test works in its own schema.
"""
from __future__ import annotations

import json
import time

import pytest

from engine_support import Workspace, notebook, run_threads
from localspace.engine import make_engine, spark_available
from localspace.engine.base import NotebookTask, SqlError
from localspace.paths import Paths
from waiting import wait_until

pytestmark = [pytest.mark.spark,
              pytest.mark.skipif(not spark_available(), reason="needs pyspark and Java")]

_run_ids = iter(range(1000, 100000))


@pytest.fixture(scope="module")
def ws():
    return Workspace()


@pytest.fixture(scope="module")
def engine(tmp_path_factory, ws):
    engine = make_engine("spark", Paths(tmp_path_factory.mktemp("spark") / "root"), ws.read,
                         {"ci": {"token": "s3cr3t"}})
    engine.execute_sql("CREATE CATALOG IF NOT EXISTS dev")
    yield engine
    engine.close()
    wait_until(lambda: not run_threads(), 10, "run threads to end")


def start(engine, path, parameters=None):
    return engine.start_notebook(NotebookTask(next(_run_ids), path, parameters or {}))


def finish(handle, timeout=120):
    result = handle.result(timeout)
    assert result is not None, "notebook did not finish"
    return result


def count(engine, table):
    return int(engine.execute_sql(f"SELECT count(*) FROM {table}").rows[0][0])


def test_three_part_names_shared_between_notebooks_and_sql(engine, ws):
    engine.execute_sql("CREATE CATALOG IF NOT EXISTS dev")
    engine.execute_sql("CREATE SCHEMA IF NOT EXISTS dev.names")
    ws.add("/Shared/s/names", notebook(
        "spark.createDataFrame([(1, 'ann'), (2, 'bob')], 'id LONG, name STRING')"
        ".write.mode('overwrite').saveAsTable('dev.names.users')",
        "# MAGIC %sql\n# MAGIC USE CATALOG dev;\n# MAGIC USE SCHEMA names;\n"
        "# MAGIC CREATE TABLE logins AS SELECT id FROM users WHERE id > 1",
        "assert spark.catalog.tableExists('dev.names.logins')\n"
        "dbutils.notebook.exit(spark.table('names.logins').count())"))
    result = finish(start(engine, "/Shared/s/names"))
    assert (result.result_state, result.exit_value, result.error) == ("SUCCESS", "1", None)
    answer = engine.execute_sql("SELECT id, name FROM users ORDER BY id", catalog="dev", schema="names")
    assert [(c.name, c.type_name) for c in answer.columns] == [("id", "LONG"), ("name", "STRING")]
    assert answer.rows == [["1", "ann"], ["2", "bob"]]
    engine.execute_sql("INSERT INTO dev.names.logins VALUES (7)")
    assert count(engine, "dev.names.logins") == 2
    assert ["names"] in engine.execute_sql("SHOW SCHEMAS IN dev").rows
    engine.execute_sql("DROP SCHEMA dev.names CASCADE")
    with pytest.raises(SqlError, match=r"TABLE_OR_VIEW_NOT_FOUND.*`dev`.`names`.`users`"):
        engine.execute_sql("SELECT * FROM dev.names.users")


def test_delta_is_the_default_table_format_and_others_say_so(engine, ws):
    engine.execute_sql("CREATE SCHEMA IF NOT EXISTS dev.formats")
    engine.execute_sql("CREATE TABLE dev.formats.plain (id INT)")
    detail = engine.execute_sql("DESCRIBE DETAIL dev.formats.plain")
    assert detail.rows[0][0] == "delta"
    assert "dev.formats.plain" in detail.rows[0]  # the name users wrote, not Spark's database
    with pytest.raises(SqlError, match="^localspace does not emulate parquet tables in Unity Catalog"):
        engine.execute_sql("CREATE TABLE dev.formats.p (id INT) USING parquet")
    engine.execute_sql("DROP SCHEMA dev.formats CASCADE")


def test_java_errors_carry_sparks_message_not_py4js(engine, ws):
    """A read that fails in the JVM is a Py4JJavaError ("An error occurred while calling
    o123.collectToPython."); statements and runs report the Java side's error instead."""
    engine.execute_sql("CREATE SCHEMA IF NOT EXISTS dev.broken")
    engine.execute_sql("CREATE TABLE dev.broken.t (id INT)")
    engine.execute_sql("INSERT INTO dev.broken.t VALUES (1)")
    location = engine.execute_sql("DESCRIBE DETAIL dev.broken.t").rows[0][4]
    (part,) = engine.paths.local(location).glob("part-*.parquet")
    part.write_bytes(b"not parquet at all")
    with pytest.raises(SqlError, match=r"^\[FAILED_READ_FILE\.NO_HINT\] Encountered error while reading") as raised:
        engine.execute_sql("SELECT * FROM dev.broken.t")
    assert "An error occurred while calling" not in str(raised.value)
    assert str(engine.paths.root) not in str(raised.value)  # Databricks paths, never local ones
    ws.add("/Shared/s/broken", notebook("spark.table('dev.broken.t').collect()"))
    result = finish(start(engine, "/Shared/s/broken"))
    assert result.result_state == "FAILED"
    assert result.error.startswith("SparkException: [FAILED_READ_FILE.NO_HINT] Encountered error"), result.error
    assert 'File "<notebook /Shared/s/broken, cell 1>", line 1' in result.error_trace
    engine.execute_sql("DROP SCHEMA dev.broken CASCADE")


def test_table_versions_are_the_delta_commits_that_changed_rows(engine, ws):
    """Every commit that changed a table's rows, named cat.schema.table however it was written."""
    engine.execute_sql("CREATE SCHEMA IF NOT EXISTS dev.versions")
    before = time.time() - 1  # Delta's commit times have millisecond precision
    engine.execute_sql("CREATE TABLE dev.versions.t (id INT)")  # no rows yet
    engine.execute_sql("INSERT INTO dev.versions.t VALUES (1)")
    engine.execute_sql("SELECT count(*) FROM dev.versions.t")
    ws.add("/Shared/s/versions", notebook(
        "spark.sql('USE CATALOG dev')\nspark.sql('USE SCHEMA versions')",
        "rows = spark.createDataFrame([(2,)], 'id INT')\n"
        "rows.write.insertInto('t')\n"
        "rows.writeTo('dev.versions.t').append()\n"
        "rows.writeTo('versions.u').create()\n"
        "spark.sql('DELETE FROM t WHERE id = 1')\n"
        "dbutils.notebook.exit(spark.table('dev.versions.t').count())"))
    result = finish(start(engine, "/Shared/s/versions"))
    assert (result.result_state, result.exit_value) == ("SUCCESS", "2"), result.error
    after = time.time() + 1
    versions = engine.table_versions()
    assert len(versions["dev.versions.t"]) == 4  # INSERT, insertInto, append, DELETE
    assert len(versions["dev.versions.u"]) == 1
    assert all(before <= at <= after for at in versions["dev.versions.t"] + versions["dev.versions.u"])
    engine.execute_sql("DROP SCHEMA dev.versions CASCADE")


def test_stream_runs_until_canceled_and_sees_new_files(engine, ws):
    engine.execute_sql("CREATE SCHEMA IF NOT EXISTS dev.stream")
    engine.execute_sql("CREATE VOLUME IF NOT EXISTS dev.stream.landing")
    landing = engine.paths.local("/Volumes/dev/stream/landing")
    (landing / "0.json").write_text(json.dumps({"id": 0}) + "\n")
    ws.add("/Shared/s/stream", notebook(
        "(spark.readStream.format('cloudFiles').option('cloudFiles.format', 'json')\n"
        " .option('cloudFiles.schemaLocation', 'dbfs:/schemas/bronze').schema('id LONG')\n"
        " .load('/Volumes/dev/stream/landing')\n"
        " .writeStream.queryName('bronze').option('checkpointLocation', 'dbfs:/checkpoints/stream/bronze')\n"
        " .trigger(processingTime='100 milliseconds').toTable('dev.stream.bronze'))"))
    handle = start(engine, "/Shared/s/stream")
    wait_until(lambda: _table_has(engine, "dev.stream.bronze", 1), 90, "the first file in bronze")
    assert handle.result(0) is None  # an active stream keeps the run going
    landed, landed_at = time.monotonic(), time.time()
    (landing / "1.json").write_text(json.dumps({"id": 1}) + "\n")
    wait_until(lambda: _table_has(engine, "dev.stream.bronze", 2), 30, "the second file in bronze")
    print(f"stream round trip (file -> table visible to SQL): {time.monotonic() - landed:.2f}s")
    assert (engine.paths.dbfs_root / "checkpoints/stream/bronze/offsets").is_dir()
    # Each micro-batch that wrote rows is a Delta commit of the table, and a batch the
    # listener heard (its progress event comes a moment after the batch).
    versions = engine.table_versions()["dev.stream.bronze"]
    assert len(versions) == 2 and versions[-1] > landed_at - 1
    batches = wait_until(lambda: len(b := engine.stream_batches().get("bronze", [])) >= 2 and b,
                         10, "the second batch in the listener's record")
    assert all(began <= writing <= committed for began, writing, committed in batches)
    canceled = time.monotonic()
    handle.cancel()
    result = finish(handle, timeout=5)
    assert result.result_state == "CANCELED"
    assert time.monotonic() - canceled < 5
    assert handle.session.streams.active == []


def _table_has(engine, table, rows):
    try:
        return count(engine, table) >= rows
    except SqlError:
        return False  # the stream has not created the table yet


def test_failing_stream_fails_the_run_with_sparks_message(engine, ws):
    ws.add("/Shared/s/failing", notebook(
        "def boom(batch, batch_id):\n    raise ValueError('bad batch ' + str(batch_id))",
        "spark.readStream.format('rate').option('rowsPerSecond', 5).load()"
        ".writeStream.foreachBatch(boom).start()"))
    result = finish(start(engine, "/Shared/s/failing"))
    assert result.result_state == "FAILED"
    assert result.error.startswith("StreamingQueryException:")
    # The function's own exception, not Py4J's "Return Message: Traceback (most recent call last):"
    assert result.error.endswith("Reason: ValueError: bad batch 0"), result.error
    assert "bad batch 0" in result.error_trace
    assert 'in boom' in result.error_trace and "localspace" not in result.error_trace  # no own frames


def test_a_stream_that_fails_while_the_code_runs_fails_the_run(engine, ws):
    # The code starts a stream and goes on without awaiting it; the stream fails first.
    ws.add("/Shared/s/fails_early", notebook(
        "import time\n"
        "def boom(batch, batch_id):\n    raise ValueError('early ' + str(batch_id))",
        "query = spark.readStream.format('rate').load().writeStream.foreachBatch(boom).start()\n"
        "while query.isActive:\n    time.sleep(0.1)",
        "spark.range(3).collect()  # more work after the failure, then the end"))
    result = finish(start(engine, "/Shared/s/fails_early"))
    assert result.result_state == "FAILED"
    assert result.error.startswith("StreamingQueryException:") and result.error.endswith("ValueError: early 0")


def test_delta_table_for_name_completes_partial_names_with_the_current_catalog(engine, ws):
    ws.add("/Shared/s/partial", notebook(
        "import json\nfrom delta.tables import DeltaTable\n"
        "spark.sql('USE CATALOG dev')\n"
        "spark.sql('CREATE SCHEMA IF NOT EXISTS partial')\n"
        "spark.sql('CREATE TABLE partial.t (id INT)')\n"
        "spark.sql('INSERT INTO partial.t VALUES (1), (2)')\n"
        "two = DeltaTable.forName(spark, 'partial.t').toDF().count()\n"
        "spark.sql('USE SCHEMA partial')\n"
        "DeltaTable.forName(spark, 't').delete('id = 1')\n"
        "dbutils.notebook.exit(json.dumps([two, spark.table('dev.partial.t').count()]))"))
    result = finish(start(engine, "/Shared/s/partial"))
    assert result.result_state == "SUCCESS", result.error_trace
    assert json.loads(result.exit_value) == [2, 1]


def test_a_table_cannot_be_defined_on_files_in_a_volume(engine):
    engine.execute_sql("CREATE SCHEMA IF NOT EXISTS dev.located")
    engine.execute_sql("CREATE VOLUME IF NOT EXISTS dev.located.files")
    for location in ("/Volumes/dev/located/files/t", "dbfs:/Volumes/dev/located/files/t"):
        with pytest.raises(SqlError) as refused:
            engine.execute_sql(f"CREATE TABLE dev.located.t (id INT) LOCATION '{location}'")
        assert "is in a volume" in str(refused.value) and "leave out LOCATION" in str(refused.value)
    assert engine.execute_sql("SHOW TABLES IN dev.located").rows == []


def test_sql_cells_see_widget_values_as_parameter_markers_and_legacy_text(engine, ws):
    ws.add("/Shared/s/widgets", notebook(
        "dbutils.widgets.text('loc', 'dflt')\ndbutils.widgets.text('n', '1')",
        "# MAGIC %sql\n# MAGIC SELECT '${loc}' AS legacy, :loc AS marker, '12:30' AS clock,\n"
        "# MAGIC        CAST(:n AS INT) + 1 AS next",
        "import json\ndbutils.notebook.exit(json.dumps(list(_sqldf.first())))"))
    result = finish(start(engine, "/Shared/s/widgets", {"loc": "given"}))
    assert result.result_state == "SUCCESS", result.error_trace
    assert json.loads(result.exit_value) == ["given", "given", "12:30", 2]


def test_sql_cells_declare_and_remove_widgets(engine, ws):
    """A SQL notebook's own widgets (CREATE WIDGET ... DEFAULT ... [CHOICES query], REMOVE
    WIDGET): a job parameter wins over the default, as with dbutils.widgets."""
    ws.add("/Shared/s/sql_widgets", notebook(
        "# MAGIC %sql\n# MAGIC -- the schema to read\n# MAGIC CREATE WIDGET TEXT region DEFAULT 'north';\n"
        "# MAGIC CREATE WIDGET DROPDOWN size DEFAULT \"s\" CHOICES SELECT * FROM (VALUES ('s'), ('m'));\n"
        "# MAGIC CREATE WIDGET TEXT scratch DEFAULT '';\n# MAGIC REMOVE WIDGET scratch;\n"
        "# MAGIC SELECT :region AS region, '${size}' AS size",
        "import json\ndbutils.notebook.exit(json.dumps(list(_sqldf.first()) + [sorted(dbutils.widgets.getAll())]))"))
    result = finish(start(engine, "/Shared/s/sql_widgets", {"size": "m"}))
    assert result.result_state == "SUCCESS", result.error_trace
    assert json.loads(result.exit_value) == ["north", "m", ["region", "size"]]
    ws.add("/Shared/s/sql_widget_bad", notebook(
        "# MAGIC %sql\n# MAGIC CREATE WIDGET DROPDOWN size DEFAULT 'xl' CHOICES SELECT 's'"))
    refused = finish(start(engine, "/Shared/s/sql_widget_bad"))
    assert refused.result_state == "FAILED" and "is not one of its choices" in refused.error


def test_auto_loader_with_a_schema_adds_the_rescued_column_it_is_asked_for(engine, ws):
    engine.execute_sql("CREATE SCHEMA IF NOT EXISTS dev.rescue")
    engine.execute_sql("CREATE VOLUME IF NOT EXISTS dev.rescue.landing")
    landing = engine.paths.local("/Volumes/dev/rescue/landing/csv")
    landing.mkdir(parents=True, exist_ok=True)
    (landing / "0.csv").write_text("id,amount\n1,2.5\n2,oops\n")
    ws.add("/Shared/s/rescue", notebook(
        "import json\n"
        "(spark.readStream.format('cloudFiles').option('cloudFiles.format', 'csv').option('header', 'true')\n"
        " .option('rescuedDataColumn', '_rescued').schema('id INT, amount DOUBLE')\n"
        " .load('/Volumes/dev/rescue/landing/csv').writeStream\n"
        " .option('checkpointLocation', '/Volumes/dev/rescue/landing/_cp').trigger(availableNow=True)\n"
        " .toTable('dev.rescue.bronze').awaitTermination())",
        "rows = spark.sql('SELECT id, _rescued IS NULL FROM dev.rescue.bronze ORDER BY id').collect()\n"
        "dbutils.notebook.exit(json.dumps([list(r) for r in rows]))"))
    result = finish(start(engine, "/Shared/s/rescue"))
    assert result.result_state == "SUCCESS", result.error_trace
    assert json.loads(result.exit_value) == [[1, True], [2, False]]


def test_copy_into_reads_past_comments_and_double_quoted_paths(engine):
    engine.execute_sql("CREATE SCHEMA IF NOT EXISTS dev.copying")
    engine.execute_sql("CREATE VOLUME IF NOT EXISTS dev.copying.landing")
    landing = engine.paths.local("/Volumes/dev/copying/landing/in")
    landing.mkdir(parents=True, exist_ok=True)
    (landing / "0.json").write_text('{"id": 1}\n{"id": 2}\n')
    engine.execute_sql("CREATE TABLE dev.copying.t (id BIGINT)")
    engine.execute_sql(
        "COPY INTO dev.copying.t -- the table\n"
        "FROM (SELECT id::bigint AS id FROM \"/Volumes/dev/copying/landing/in/\") /* double quotes */\n"
        "FILEFORMAT = JSON\n"
        "COPY_OPTIONS ('force' = 'true') -- 'true' loads every file again\n"
        "/* COPY_OPTIONS ('mergeSchema' = 'true') */")
    assert engine.execute_sql("SELECT count(*) FROM dev.copying.t").rows == [["2"]]


def test_a_foreach_batch_function_finds_the_notebooks_session(engine, ws):
    engine.execute_sql("CREATE SCHEMA IF NOT EXISTS dev.batches")
    ws.add("/Shared/s/batches", notebook(
        "from pyspark.sql import SparkSession\n"
        "spark.sql('USE dev.batches')\n"
        "spark.sql('CREATE TABLE IF NOT EXISTS source (id INT)')\n"
        "spark.sql('INSERT INTO source VALUES (1), (2)')\n"
        "def sink(batch, batch_id):\n"
        "    found = SparkSession.builder.getOrCreate()\n"
        "    found.createDataFrame([(found.catalog.currentDatabase(), found is spark, batch.count())],\n"
        "                          'db STRING, same BOOLEAN, n LONG').write.mode('append').saveAsTable('seen')",
        "query = spark.readStream.table('source').writeStream.foreachBatch(sink)"
        ".trigger(availableNow=True).start()\nquery.awaitTermination()",
        "dbutils.notebook.exit(json.dumps([list(r) for r in spark.table('seen').collect()]))".replace(
            "json.dumps", "__import__('json').dumps")))
    result = finish(start(engine, "/Shared/s/batches"))
    assert result.result_state == "SUCCESS", result.error_trace
    assert json.loads(result.exit_value) == [["batches", True, 2]]


def test_databricks_datasets_say_they_are_not_emulated_until_a_test_puts_files_there(engine, ws):
    ws.add("/Shared/s/samples", notebook(
        "n = spark.read.json('/databricks-datasets/iot/iot_devices.json').count()\n"
        "dbutils.notebook.exit(str(n))"))
    result = finish(start(engine, "/Shared/s/samples"))
    assert result.error == (
        "FileNotFoundException: localspace does not emulate /databricks-datasets, Databricks' sample "
        "data (see README \"What each engine does\"): dbfs:/databricks-datasets/iot/iot_devices.json is "
        "not there; upload the files the notebook reads to dbfs:/databricks-datasets/... first (a plan's "
        "upload step)")
    engine.paths.dbfs_root.joinpath("databricks-datasets/iot").mkdir(parents=True)
    engine.paths.dbfs_root.joinpath("databricks-datasets/iot/iot_devices.json").write_text('{"id": 1}\n')
    assert finish(start(engine, "/Shared/s/samples")).exit_value == "1"


@pytest.mark.parametrize("body", ["import time\ntime.sleep(3600)",
                                  "from time import sleep\nsleep(3600)",
                                  "while True:\n    pass",
                                  "spark.range(10**13).filter('id % 1000003 = 17').count()"])
def test_cancel_ends_the_run_within_two_seconds(engine, ws, tmp_path, body):
    marker = tmp_path / "started"
    ws.add("/Shared/s/busy", notebook(f"open({str(marker)!r}, 'w').close()", body))
    handle = start(engine, "/Shared/s/busy")
    wait_until(marker.exists, 30, "the notebook to start")
    assert handle.result(0) is None
    canceled = time.monotonic()
    handle.cancel()
    result = handle.result(2)
    assert result is not None and result.result_state == "CANCELED", body
    assert time.monotonic() - canceled < 2


def test_widgets_exit_errors_and_logs(engine, ws):
    ws.add("/Shared/s/lib", notebook("def check(x):\n    return 10 // x"))
    ws.add("/Shared/s/main", notebook(
        "# MAGIC %run ./lib",
        "dbutils.widgets.text('n', '5')\nn = int(dbutils.widgets.get('n'))\n"
        "print('token length', len(dbutils.secrets.get('ci', 'token')))\n"
        "display(spark.range(2))",
        "dbutils.notebook.exit(check(n))"))
    result = finish(start(engine, "/Shared/s/main", {"n": "2"}))
    assert (result.result_state, result.exit_value) == ("SUCCESS", "5")
    assert "token length 6" in result.logs and "|id |" in result.logs
    failed = finish(start(engine, "/Shared/s/main", {"n": "0"}))
    assert failed.error == "ZeroDivisionError: integer division or modulo by zero"
    assert 'File "<notebook /Shared/s/lib, cell 1>", line 2, in check' in failed.error_trace


def test_serverless_runs_only_streams_that_end_and_clusters_bring_their_spark_conf(engine, ws):
    """Serverless compute runs Trigger.AvailableNow/Once only (Databricks, "Serverless compute
    limitations"); a job cluster's spark_conf reaches the run's session."""
    stream = ("spark.readStream.format('rate').load().writeStream.format('memory').queryName('{name}')"
              ".option('checkpointLocation', 'dbfs:/checkpoints/serverless/{name}'){trigger}.start()"
              ".awaitTermination(60)")
    ws.add("/Shared/s/endless", notebook(stream.format(name="endless", trigger=""), "print('after the refused stream')"))
    ws.add("/Shared/s/finite", notebook(stream.format(name="finite", trigger=".trigger(availableNow=True)")))
    endless = finish(engine.start_notebook(NotebookTask(next(_run_ids), "/Shared/s/endless", serverless=True)))
    assert endless.result_state == "FAILED"
    assert "[INFINITE_STREAMING_TRIGGER_NOT_SUPPORTED] Trigger type ProcessingTime" in endless.error
    assert "after the refused stream" not in endless.logs  # no cell runs after the refusal
    finite = finish(engine.start_notebook(NotebookTask(next(_run_ids), "/Shared/s/finite", serverless=True)))
    assert finite.result_state == "SUCCESS", finite.error
    ws.add("/Shared/s/conf", notebook("dbutils.notebook.exit(spark.conf.get('spark.sql.shuffle.partitions'))"))
    configured = finish(engine.start_notebook(NotebookTask(
        next(_run_ids), "/Shared/s/conf", spark_conf={"spark.sql.shuffle.partitions": "7",
                                                      "spark.executor.memory": "2g"})))
    assert (configured.result_state, configured.exit_value) == ("SUCCESS", "7"), configured.error


def test_task_values_reach_later_tasks_of_the_same_run(engine, ws):
    ws.add("/Shared/s/sets", notebook("dbutils.jobs.taskValues.set('rows', spark.range(3).count())"))
    ws.add("/Shared/s/gets", notebook("dbutils.notebook.exit(dbutils.jobs.taskValues.get('first', 'rows') + 1)"))
    run_values: dict = {}  # what the jobs room keeps for one job run
    first = finish(engine.start_notebook(NotebookTask(next(_run_ids), "/Shared/s/sets", task_key="first",
                                                      task_values=run_values)))
    assert first.result_state == "SUCCESS", first.error
    second = finish(engine.start_notebook(NotebookTask(next(_run_ids), "/Shared/s/gets", task_key="second",
                                                       task_values=run_values)))
    assert (second.result_state, second.exit_value, run_values) == ("SUCCESS", "4", {"first": {"rows": 3}})


def test_notebook_run_returns_the_exit_value_and_raises_on_failure_or_timeout(engine, ws):
    # Databricks docs, "Run a Databricks notebook from another notebook" (dbutils.notebook.run).
    ws.add("/Shared/s/flow/child", notebook(
        "dbutils.widgets.text('n', '0')\nn = int(dbutils.widgets.get('n'))\nassert n >= 0, 'n must not be negative'",
        "import time\nif n == 99:\n    time.sleep(600)",
        "dbutils.notebook.exit(str(n * 2))"))
    ws.add("/Shared/s/flow/parent", notebook(
        "import json\nfound = {'value': dbutils.notebook.run('./child', 60, {'n': 21})}",
        "try:\n    dbutils.notebook.run('child', 0, {'n': -1})\nexcept Exception as error:\n"
        "    found['failed'] = type(error).__name__ + ': ' + str(error).splitlines()[0]",
        "try:\n    dbutils.notebook.run('/Shared/s/flow/child', 1, {'n': 99})\nexcept Exception as error:\n"
        "    found['timed_out'] = str(error)",
        "dbutils.notebook.exit(json.dumps(found))"))
    result = finish(start(engine, "/Shared/s/flow/parent"))
    assert result.result_state == "SUCCESS", result.error_trace
    assert json.loads(result.exit_value) == {
        "value": "42",
        "failed": "WorkflowException: Notebook /Shared/s/flow/child failed: AssertionError: n must not be negative",
        "timed_out": "Notebook /Shared/s/flow/child timed out after 1 seconds"}


def test_the_jvm_maps_the_class_archive_that_make_jars_wrote(engine):
    """`make jars` (run before `make test`) leaves an archive for this JDK and these jars; the
    engine's JVM is started with it and shares classes (class_sharing.py)."""
    from localspace.engine import class_sharing
    from localspace.engine.jvm import engine_jars
    archive = class_sharing.archive_path(engine_jars(fetch=False))
    assert archive.exists(), f"no class archive at {archive}: run `make jars`"
    jvm = engine.spark._jvm
    arguments = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    assert f"-XX:SharedArchiveFile={archive}" in arguments
    assert "sharing" in jvm.java.lang.System.getProperty("java.vm.info")
