"""The conformance corpus (tests/conformance/): Databricks-style notebooks run unchanged on
the spark engine as one-time runs through the REST API, each checked through SQL statements.

One emulator (one JVM) serves the module, as one workspace; each notebook has its schema.
"""
from __future__ import annotations

import base64
import datetime
import json
from pathlib import Path

import pytest
from databricks.sdk.service import compute, jobs
from databricks.sdk.service import workspace as ws_service

from conftest import TEST_TOKEN
from localspace.engine import spark_available
from localspace.server import LocalSpace
from localspace_helpers import client, import_notebook

pytestmark = [pytest.mark.spark,
              pytest.mark.skipif(not spark_available(), reason="needs pyspark and Java")]

CORPUS = Path(__file__).parent / "conformance"
WAREHOUSE = "localspace"


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    space = LocalSpace(root=tmp_path_factory.mktemp("conformance") / "root", engine="spark",
                       token=TEST_TOKEN, pending=0.1).start()
    try:
        yield client(space, TEST_TOKEN)
    finally:
        space.stop()


def sql(w, statement: str) -> list[list]:
    answer = w.statement_execution.execute_statement(statement=statement, warehouse_id=WAREHOUSE,
                                                     wait_timeout="50s")
    assert answer.status.state.value == "SUCCEEDED", answer.status.error
    return answer.result.data_array or [] if answer.result else []


def run_notebook(w, family: str, path: str = "", parameters: dict | None = None,
                 cluster: compute.ClusterSpec | None = None) -> jobs.Run:
    """Submit tests/conformance/<family>.py as a one-time run in schema dev.conf_<family>."""
    sql(w, "CREATE CATALOG IF NOT EXISTS dev")
    sql(w, f"CREATE SCHEMA IF NOT EXISTS dev.conf_{family}")
    path = path or f"/Shared/conformance/{family}"
    import_notebook(w, path, (CORPUS / f"{family}.py").read_text())
    waiter = w.jobs.submit(run_name=f"conformance {family}", tasks=[jobs.SubmitTask(
        task_key=family, notebook_task=jobs.NotebookTask(notebook_path=path, base_parameters=parameters),
        new_cluster=cluster)])
    return waiter.result(timeout=__import__("datetime").timedelta(minutes=4))


def facts(w, family: str) -> dict:
    return {k: json.loads(v) if v[:1] in "[{\"tf0123456789" else v
            for k, v in sql(w, f"SELECT key, value FROM dev.conf_{family}.facts")}


def succeeded(w, run: jobs.Run) -> None:
    output = w.jobs.get_run_output(run.tasks[0].run_id)
    assert run.state.result_state == jobs.RunResultState.SUCCESS, (output.error, output.error_trace[-1500:])


def test_delta_dml_history_time_travel_maintenance(w):
    succeeded(w, run_notebook(w, "delta"))
    assert sql(w, "SELECT id, name, city FROM dev.conf_delta.customers ORDER BY id") == [
        ["1", "ANN", "Oslo"], ["2", "bob", "Lima"], ["4", "DAN", "Kyiv"], ["5", "eve", "Oslo"]]
    assert sql(w, "SELECT city, n FROM dev.conf_delta.customers_by_city ORDER BY city") == [
        ["Kyiv", "1"], ["Lima", "1"], ["Oslo", "1"]]
    found = dict(sql(w, "SELECT key, value FROM dev.conf_delta.facts"))
    assert found["operations"] == "CREATE TABLE,WRITE,MERGE,UPDATE,DELETE"
    assert (found["first_version_rows"], found["as_of_rows"]) == ("3", "3")
    assert (found["detail_format"], found["detail_name"]) == ("delta", "dev.conf_delta.customers")
    assert found["detail_name_as_written"] == "True"
    assert (found["api_detail_format"], found["api_history"]) == ("delta", "VACUUM END")
    assert found["by_path"] == "1:70,2:90"
    assert sql(w, "SELECT id, bpm FROM delta.`dbfs:/tmp/conf_delta/readings` ORDER BY id") == [["1", "70"], ["2", "90"]]
    assert found["changes"] == "insert,insert,update_postimage,update_preimage"
    assert sql(w, "SELECT event_id, day, kind FROM dev.conf_delta.events ORDER BY event_id") == [
        ["1", "2026-01-02", "login"], ["2", "2026-01-03", "signout"]]
    history = sql(w, "DESCRIBE HISTORY dev.conf_delta.customers")
    assert {"OPTIMIZE", "MERGE"} <= {row[4] for row in history}
    assert found["zorder"] == '["timestamp","user"]'


def test_unity_catalog_names_from_every_road(w):
    succeeded(w, run_notebook(w, "names"))
    found = facts(w, "names")
    assert found["current"] == {"c": "dev", "s": "conf_names"}
    assert found["volumes"] == ["raw"]
    assert found["tables"] == ["big_numbers", "from_temp_view", "numbers", "two_part_default", "via_jvm",
                               "via_saveastable", "via_writeto"]
    assert found["views"] == ["big_numbers"]
    assert found["view_rows"] == [2] and found["view_in_jvm"] == 1
    assert found["view_ddl"] == "CREATE VIEW dev.conf_names.big_numbers"
    assert found["schemas_have_default"] is True and found["catalogs_have_dev"] is True
    assert found["table_exists"] is True and found["hive_metastore"] == 1
    # Delta's write check and the analyzer's plan text, as a notebook's except clause reads them.
    assert found["caught"] == [["DELTA_INSERT_COLUMN_ARITY_MISMATCH", True, True, False],
                               ["UNRESOLVED_COLUMN.WITH_SUGGESTION", True, False, False]]
    assert sql(w, "SELECT answer FROM dev.conf_names.via_jvm") == [["42"]]
    assert sql(w, "SELECT count(*) FROM dev.conf_names.from_temp_view") == [["2"]]
    assert sql(w, "SELECT id FROM dev.conf_names.big_numbers") == [["2"]]  # the view, from the warehouse


def test_databricks_paths_in_spark_and_python(w):
    succeeded(w, run_notebook(w, "paths"))
    found = facts(w, "paths")
    assert found["file"] == found["meta_path"] == "dbfs:/Volumes/dev/conf_paths/files/in/a.json"
    assert found["csv_rows"] == 1 and found["sql_literal_rows"] == 2
    assert found["ls"] is True and found["python_sees_spark_output"] is True
    assert found["os_listdir_sees_spark_output"] is True and found["os_path"] == [True, False]
    assert sql(w, "SELECT count(*) FROM dev.conf_paths.people") == [["2"]]
    assert sql(w, "SELECT id, name FROM dev.conf_paths.from_read_files ORDER BY id") == [["1", "ann"], ["2", "bob"]]
    assert found["read_files_id_type"] == "bigint"
    assert sql(w, "SELECT count(*) FROM read_files('/Volumes/dev/conf_paths/files/in')") == [["2"]]  # warehouse
    # pandas, shutil, glob and pathlib on a volume; Spark on file:/Workspace; no volume made by a write.
    root = "/Volumes/dev/conf_paths/files"
    assert found["pandas_round_trip"] == ["Oslo", "Lima"]
    assert found["glob"] == [f"{root}/cities.csv", f"{root}/cities_copy.csv"]
    assert found["pathlib"] == "id,city" and found["catalog_folders"] is True
    assert found["file_scheme_workspace"] == "hello"
    assert found["missing_volume"] is True
    assert found["missing_volume_python"] == "/Volumes/dev/conf_paths/no_such_volume/x.txt"
    assert [v[1] for v in sql(w, "SHOW VOLUMES IN dev.conf_paths")] == ["files"]


def test_streams_over_delta_tables(w):
    succeeded(w, run_notebook(w, "streaming"))
    # startingVersion 2: only the second insert reaches silver through the foreachBatch MERGE.
    assert sql(w, "SELECT id, amount FROM dev.conf_streaming.silver ORDER BY id") == [["1", "15"], ["3", "30"]]
    assert sql(w, "SELECT name, total FROM dev.conf_streaming.gold ORDER BY name") == [
        ["ann", "25"], ["bob", "20"], ["cid", "30"]]
    assert sql(w, "SELECT count(*) FROM dev.conf_streaming.changes WHERE _change_type = 'insert'") == [["4"]]


def test_auto_loader(w):
    succeeded(w, run_notebook(w, "autoloader"))
    assert facts(w, "autoloader")["empty_folder"] == "CF_EMPTY_DIR_FOR_SCHEMA_INFERENCE"
    strings = sql(w, "DESCRIBE dev.conf_autoloader.strings")
    assert [(r[0], r[1]) for r in strings] == [("amount", "string"), ("id", "string"), ("name", "string"),
                                               ("_rescued_data", "string")]
    assert {(r[0], r[1]) for r in sql(w, "DESCRIBE dev.conf_autoloader.hinted")} >= {("id", "bigint"), ("amount", "double")}
    assert {(r[0], r[1]) for r in sql(w, "DESCRIBE dev.conf_autoloader.typed")} >= {("id", "bigint"), ("amount", "double")}
    rows = sql(w, "SELECT id, _rescued_data FROM dev.conf_autoloader.strings ORDER BY id NULLS LAST")
    assert rows == [["1", None], ["2", None], [None, "{not json"]]
    found = facts(w, "autoloader")
    # includeExistingFiles=false: old.json was there at the first start; the restart kept that.
    assert sql(w, "SELECT id FROM dev.conf_autoloader.only_new") == [["2"]]
    # addNewColumns: the stream stopped once, the schema grew (_schemas/1), the restart read color.
    assert found["evolution"] == "UNKNOWN_FIELD_EXCEPTION.NEW_FIELDS_IN_FILE retry=true"
    assert found["schema_files"] == ["0", "1"]
    assert sql(w, "SELECT id, color FROM dev.conf_autoloader.evolved ORDER BY id") == [["1", None], ["2", "red"]]
    assert found["strict"] == "UNKNOWN_FIELD_EXCEPTION.NEW_FIELDS_IN_FILE retry=false"
    assert sql(w, "SELECT id, name, day, source_file, source_path FROM dev.conf_autoloader.csv_once ORDER BY id") == [
        ["1", "ann", "2026-01-01", "a.csv", "dbfs:/Volumes/dev/conf_autoloader/meta/csv/day=2026-01-01/a.csv"],
        ["2", "bob", "2026-01-02", "b.csv", "dbfs:/Volumes/dev/conf_autoloader/meta/csv/day=2026-01-02/b.csv"]]
    assert sql(w, "SELECT addr.zip, typeof(addr.zip), addr.city FROM dev.conf_autoloader.nested") == [
        ["123", "bigint", "oslo"]]


def test_copy_into(w):
    succeeded(w, run_notebook(w, "copy_into"))
    found = facts(w, "copy_into")
    row = {"num_affected_rows": 3, "num_inserted_rows": 3, "num_skipped_corrupt_files": 0}
    assert found["first"] == row
    assert found["again"] == {**row, "num_affected_rows": 1, "num_inserted_rows": 1}
    assert found["skipped"] == {**row, "num_affected_rows": 0, "num_inserted_rows": 0}
    assert found["forced"] == {**row, "num_affected_rows": 1, "num_inserted_rows": 1}
    # The table made without columns took the files' (mergeSchema), typed by inferSchema.
    assert [(r[0], r[1]) for r in sql(w, "DESCRIBE dev.conf_copy_into.people")] == [("id", "int"), ("name", "string")]
    assert sql(w, "SELECT id, name FROM dev.conf_copy_into.people ORDER BY id") == [
        ["1", "ann"], ["2", "bob"], ["3", "cid"], ["4", "dan"]]
    assert sql(w, "SELECT id, kind, source FROM dev.conf_copy_into.events") == [
        ["10", "CLICK", "e1.json"], ["10", "CLICK", "e1.json"]]
    # From the SQL warehouse too: every file is loaded already, Databricks' one-row answer.
    assert sql(w, "COPY INTO dev.conf_copy_into.people FROM '/Volumes/dev/conf_copy_into/files/in' "
                  "FILEFORMAT = CSV PATTERN = '*.csv' FORMAT_OPTIONS ('header' = 'true')") == [["0", "0", "0"]]


def test_databricks_settings(w):
    succeeded(w, run_notebook(w, "settings"))
    assert dict(sql(w, "SELECT key, value FROM dev.conf_settings.facts")) == {
        "optimize_write": "true", "pool": "bronze_pool"}
    assert sql(w, "SELECT count(*) FROM dev.conf_settings.pooled") == [["4"]]


def test_shapes_of_public_course_pipelines(w):
    succeeded(w, run_notebook(w, "course_shapes"))
    found = facts(w, "course_shapes")
    assert found["batch"] == {"c": "dev", "s": "conf_course_shapes"}  # the stream's session
    assert sql(w, "SELECT order_id FROM dev.conf_course_shapes.orders_silver ORDER BY order_id") == [
        ["o1"], ["o2"]]
    assert sql(w, "SELECT count(*) FROM dev.conf_course_shapes.orders_bronze") == [["3"]]
    assert (found["by_path"], found["first_version"], found["big"]) == (3, 2, 1)
    assert (found["pandas_rows"], found["pandas_on_spark"]) == (2, 3)


def test_a_clusters_runtime_sets_ansi_mode_and_charsets(w):
    """DBR 15.4 (ANSI off, JDK charset names) against serverless and a 15.4 cluster whose
    spark_conf turns ANSI on; the SQL warehouse is ANSI too (ANSI_MODE's system default)."""
    def on(label, cluster):
        succeeded(w, run_notebook(w, "runtime_defaults", parameters={"label": label}, cluster=cluster))
        return dict(sql(w, f"SELECT key, value FROM dev.conf_runtime_defaults.facts_{label}"))

    dbr15 = on("dbr15", compute.ClusterSpec(spark_version="15.4.x-scala2.12", num_workers=0))
    assert dbr15 == {"ansi": "false", "bad_cast": "None", "bad_timestamp": "None", "latin1": "'ZoÃ«'",
                     "day_without_zero": "INCONSISTENT_BEHAVIOR_CROSS_VERSION.PARSE_DATETIME_BY_NEW_PARSER",
                     "auto_loader_latin1": "['id', 'name', '_rescued_data']"}
    ansi = on("dbr15_ansi", compute.ClusterSpec(spark_version="15.4.x-scala2.12", num_workers=0,
                                                 spark_conf={"spark.sql.ansi.enabled": "true"}))
    assert (ansi["ansi"], ansi["bad_cast"], ansi["latin1"]) == ("true", "CAST_INVALID_INPUT", "'ZoÃ«'")
    serverless = on("serverless", None)
    assert serverless["ansi"] == "true" and serverless["bad_cast"] == "CAST_INVALID_INPUT"
    assert serverless["bad_timestamp"] == "CAST_INVALID_INPUT"
    assert serverless["day_without_zero"] == "CANNOT_PARSE_TIMESTAMP"
    # Auto Loader passes on Spark's refusal (it used to call every inference error an empty folder).
    assert serverless["latin1"] == serverless["auto_loader_latin1"] == "INVALID_PARAMETER_VALUE.CHARSET"
    answer = w.statement_execution.execute_statement(statement="SELECT cast('twelve' AS INT)",
                                                     warehouse_id=WAREHOUSE, wait_timeout="50s")
    assert answer.status.state.value == "FAILED" and "CAST_INVALID_INPUT" in answer.status.error.message


def deploy_tree(w, folder: Path, to: str) -> None:
    """Every file under ``folder`` to the workspace folder ``to``, as a deploy does: a ``.py``
    with the notebook header is a notebook (AUTO drops its extension), anything else a file."""
    for local in sorted(p for p in folder.rglob("*") if p.is_file()):
        target = f"{to}/{local.relative_to(folder).as_posix()}"
        w.workspace.mkdirs(target.rsplit("/", 1)[0])
        w.workspace.import_(target, content=base64.b64encode(local.read_bytes()).decode(),
                            format=ws_service.ImportFormat.AUTO, overwrite=True)


def test_notebook_runtime(w):
    deploy_tree(w, CORPUS / "runtime_files", "/Shared/conformance/runtime")
    run = run_notebook(w, "runtime", "/Shared/conformance/runtime/notebooks/runtime", {
        "env": "prod", "run_date": "{{job.start_time.iso_date}}", "job_run": "{{job.run_id}}",
        "task": "{{task.name}}"}, compute.ClusterSpec(spark_version="15.4.x-scala2.12", num_workers=0))
    succeeded(w, run)
    found = facts(w, "runtime")
    assert found["widgets"] == ["prod", "eu", "bronze"] and found["job_param_wins"] is True
    assert found["get_all_has_run_date"] is True and found["removed_widget"] == "InputWidgetNotDefined"
    assert (found["helpers"], found["settings"], found["relative_open"]) == ("runtime helpers", "conformance", ["facts"])
    assert found["cwd"] == "/Workspace/Shared/conformance/runtime/notebooks"
    assert (found["double"], found["shout"]) == (42, ["ANN!"])  # a Python UDF from a workspace module
    assert found["child_names"] == ["from-run", "absolute"]
    context = found["context"]
    assert context["path"] == context["json_path"] == "/Shared/conformance/runtime/notebooks/runtime"
    assert context["run_id"] == run.tasks[0].run_id and context["job_run_id"] == str(run.run_id)
    assert context["job_id"] == str(run.job_id) and context["api_status"] == 200
    assert context["cluster"] == f"job-{run.job_id}-run-{run.run_id}"
    assert context["runtime"] == "15.4.x-scala2.12" and context["org_ids_match"] is True
    assert context["runtime_env"] == ["15.4", "15.4", True]
    assert context["workspace_url"] == w.config.host.split("://", 1)[1]
    today = datetime.datetime.fromtimestamp(run.start_time / 1000, datetime.timezone.utc).date().isoformat()
    assert found["refs"] == {"run_date": today, "job_run": str(run.run_id), "task": "runtime"}
    assert context["get_argument"] == today
    fs = found["fs"]
    assert fs["ls"] == [["copy/", True], ["in/", True], ["moved.json", False]]
    assert fs["dir_path"] == "dbfs:/Volumes/dev/conf_runtime/files/in/"
    assert fs["sizes_and_times"] is True and fs["head"] == '{"id": 2' and fs["rm"] is True and fs["mounts"] is True
    assert found["spark_context"] == {"parallelism": True, "sql_context": 42}
    assert found["display_stream_rows"] == 3
    assert (found["twin"], found["helpers_after_twin"]) == ("twin helpers", "runtime helpers")
    assert found["helpers_in_sys_modules"] is False
    # SparkSession.builder.getOrCreate(), getActiveSession(), active() and databricks.sdk.runtime
    # give the notebook's own session, in the notebook and in a module it imports.
    assert found["session"] == {"builder": True, "builder_conf": "3", "active": True, "sdk": True,
                                "helper": {"schema": "dev.conf_runtime", "view_rows": 2, "sql": 2,
                                           "same_spark": True, "widget": "prod"}}
    output = w.jobs.get_run_output(run.tasks[0].run_id)
    assert "FileInfo(path='dbfs:/Volumes/dev/conf_runtime/files/in/day=1/'" in output.logs  # the %fs cell
    assert TEST_TOKEN not in output.logs


def test_what_is_not_emulated_says_so(w):
    run = run_notebook(w, "not_emulated")
    assert run.state.result_state == jobs.RunResultState.FAILED
    output = w.jobs.get_run_output(run.tasks[0].run_id)
    assert "localspace does not emulate external location" in output.error
    assert "What each engine does" in output.error
    assert 'File "<notebook /Shared/conformance/not_emulated, cell 3>", line 1' in output.error_trace


def test_catalog_api_and_information_schema(w):
    succeeded(w, run_notebook(w, "catalog_api"))
    found = facts(w, "catalog_api")
    assert found["table_exists"] == [True, True, False]
    assert found["database_exists"] == [True, False]
    assert found["list_tables"] == [["big_events", "dev", "conf_catalog_api", "VIEW"],
                                    ["events", "dev", "conf_catalog_api", "MANAGED"]]
    assert {"dev", "main", "hive_metastore"} <= set(found["catalogs"]) and "spark_catalog" not in found["catalogs"]
    assert found["get_table"] == ["dev", ["conf_catalog_api"]]
    assert found["columns"] == [["id", "bigint", False, None], ["kind", "string", True, "what happened"],
                                ["amount", "decimal(10,2)", True, None], ["at", "timestamp", True, None]]
    assert found["current"] == ["dev", "conf_catalog_api"]
    assert found["databases_here"] is True and found["two_part"] is True
    assert found["temp_view_dropped"] == [True, True, False]
    assert (found["cached"], found["cache_cleared"]) == (True, False)
    assert found["is_table_exists"] == 1 and found["is_schemata"] == 1 and found["is_from_jvm"] == 2
    assert found["is_tables"] == [["dev", "conf_catalog_api", "big_events", "VIEW", None],
                                  ["dev", "conf_catalog_api", "events", "MANAGED", "DELTA"]]
    assert found["is_columns"] == [["id", 1, "LONG", "bigint", "NO", None],
                                   ["kind", 2, "STRING", "string", "YES", "what happened"],
                                   ["amount", 3, "DECIMAL", "decimal(10,2)", "YES", None],
                                   ["at", 4, "TIMESTAMP", "timestamp", "YES", None]]
    assert found["is_volumes"] == [["landing", "MANAGED"]]
    # The warehouse answers information_schema in the Statement API's shapes.
    answer = w.statement_execution.execute_statement(
        statement="SELECT table_name, created, table_owner FROM dev.information_schema.tables "
                  "WHERE table_schema = 'conf_catalog_api' ORDER BY table_name",
        warehouse_id=WAREHOUSE, wait_timeout="50s")
    assert [c.type_name.value for c in answer.manifest.schema.columns] == ["STRING", "TIMESTAMP", "STRING"]
    assert [r[0] for r in answer.result.data_array] == ["big_events", "events", "facts"]
    assert {r[2] for r in answer.result.data_array} == {"localspace-user@example.com"}
    assert sql(w, "SELECT ordinal_position FROM system.information_schema.columns WHERE table_catalog = 'dev' "
                  "AND table_schema = 'conf_catalog_api' AND table_name = 'events' AND column_name = 'at'") == [["4"]]


def test_sql_dialect_qualify_like_legacy_tables(w):
    succeeded(w, run_notebook(w, "sql_dialect"))
    found = facts(w, "sql_dialect")
    assert sql(w, "SELECT device, bpm FROM dev.conf_sql_dialect.latest ORDER BY device") == [
        ["a", "64"], ["b", "82"], ["c", "70"]]
    assert found["ranked_columns"] == ["device", "bpm", "r"]  # the QUALIFY condition is not a column
    assert found["ranked"] == [["a", 60, 1], ["a", 61, 2], ["b", 80, 1], ["b", 82, 2], ["c", 70, 1]]
    assert found["busiest"] == [["a", 3]] and found["cte"] == 210
    assert found["view_columns"] == ["device", "reading_ts", "bpm"]
    assert sql(w, "SELECT device, bpm FROM dev.conf_sql_dialect.device_max ORDER BY device") == [
        ["a", "64"], ["b", "82"], ["c", "70"]]
    assert found["no_window"].startswith("QUALIFY needs a window function")
    assert found["like"] == ["struct<device:string,reading_ts:timestamp,bpm:int>", 0, "delta", 1]
    assert found["managed_location"] == 1
    assert found["at_syntax"] == [0, 6, 6, "me@v1"]  # version 0 is the CREATE, 1 the INSERT
    landing = "/Volumes/dev/conf_sql_dialect/landing/"
    assert found["list"] == [["path", "name", "size", "modification_time"],
                             [[landing + "archive/", "archive/", 0], [landing + "readings.json", "readings.json", 15]], 1]
    assert found["legacy"] == [["ward 1", 2], ["ward 2", 1]]
    assert found["legacy_described"] == ["hive_metastore", "legacy", "CSV"]
    # the view's QUALIFY, from the SQL warehouse
    assert sql(w, "SELECT device, bpm FROM dev.conf_sql_dialect.latest_view ORDER BY device") == [
        ["a", "64"], ["b", "82"], ["c", "70"]]
    assert sql(w, "SELECT device FROM dev.conf_sql_dialect.readings "
                  "QUALIFY row_number() OVER (PARTITION BY device ORDER BY bpm) = 1 ORDER BY device") == [
        ["a"], ["b"], ["c"]]


def test_sql_surface_ddl_dml_functions(w):
    succeeded(w, run_notebook(w, "sql_surface"))
    found = facts(w, "sql_surface")
    assert found["who"] == ["dev", "conf_sql_surface", "conf_sql_surface", "localspace-user@example.com"]
    assert found["schema_comment"] == "made with a comment"
    assert found["changes"] == ["delete", "insert", "insert"]
    assert found["check_violated"] is True
    # delta.targetFileSize and delta.parquet.compression.codec are Databricks-only (kept, not
    # acted on); a bad value and an unknown delta.* key are refused as on Databricks.
    assert found["props"] == ["true", "true", "name", "qty > 0", "32mb", "zstd"]
    assert "requirement failed: delta.targetFileSize needs a positive size" in found["refused_props"][0]
    assert found["refused_props"][1].startswith("[DELTA_UNKNOWN_CONFIGURATION]")
    assert found["analyzed"] == [0, 0]   # ANALYZE TABLE runs (computing nothing) and answers no rows
    assert found["show_columns"] == ["id", "item", "qty", "city"]
    assert found["describe"] == [["item", "string", "what"], ["city", "string", "where"]]
    create = found["show_create"]
    assert create.startswith("CREATE TABLE dev.conf_sql_surface.orders (\n  id INT,\n  item STRING COMMENT 'what',")
    assert "USING delta\nCLUSTER BY (id)\nCOMMENT 'orders placed'\nTBLPROPERTIES (" in create
    assert "'delta.enableChangeDataFeed' = 'true'" in create
    assert found["truncated"] == 0 and found["restored"] == 3
    assert found["functions"] == [10.0, 42, "OK"]
    assert found["function_in_view"] == ["JAM", "OAT", "TEA"] and found["function_exists"] is True
    assert found["analyze_view"].startswith("[UNSUPPORTED_FEATURE.ANALYZE_VIEW]")  # ANALYZE takes tables only
    assert found["describe_function"] == "Function: dev.conf_sql_surface.with_tax"
    assert sql(w, "SELECT id, qty, city FROM dev.conf_sql_surface.orders_copy ORDER BY id") == [
        ["1", "2", None], ["2", "1", None], ["3", "6", "Lima"]]
    assert sql(w, "SELECT count(*) FROM dev.conf_sql_surface.orders_v1") == [["2"]]
    assert sql(w, "SELECT count(*) FROM dev.conf_sql_surface.big_orders_shallow") == [["2"]]
    assert sql(w, "SELECT id FROM dev.conf_sql_surface.big_orders") == [["3"]]
    clone_props = dict(sql(w, "SHOW TBLPROPERTIES dev.conf_sql_surface.orders_copy"))
    assert clone_props["delta.enableChangeDataFeed"] == "true" and clone_props["delta.columnMapping.mode"] == "name"
    # The same statements from the SQL warehouse.
    assert sql(w, "SELECT dev.conf_sql_surface.with_tax(4)") == [["5.0"]]
    assert sql(w, "SELECT current_user()") == [["localspace-user@example.com"]]
    shown = sql(w, "SHOW CREATE TABLE dev.conf_sql_surface.orders_copy")[0][0]
    assert shown.startswith("CREATE TABLE dev.conf_sql_surface.orders_copy (") and "CLUSTER BY (id)" in shown
    sql(w, "CREATE OR REPLACE FUNCTION dev.conf_sql_surface.half(x DOUBLE) RETURNS DOUBLE RETURN x / 2")
    assert sql(w, "SELECT dev.conf_sql_surface.half(3)") == [["1.5"]]
    assert sql(w, "SELECT id, item FROM dev.conf_sql_surface.labelled ORDER BY id")[0] == ["1", "TEA"]


def test_governance_keys_and_maintenance_statements(w):
    succeeded(w, run_notebook(w, "governance"))
    found = facts(w, "governance")
    assert found["key_columns_not_null"] == [False, False]   # a primary key's columns are NOT NULL
    assert "DELTA_NOT_NULL_CONSTRAINT_VIOLATED" in found["null_key"]
    assert found["second_pk"].startswith("[MULTIPLE_PRIMARY_KEYS]")
    assert found["missing_parent"].startswith("[TABLE_OR_VIEW_NOT_FOUND]")
    assert "add the CHECK constraint positive with ALTER TABLE" in found["check_in_create"]
    assert "not supported for tables in the hive_metastore catalog" in found["hive_pk"]
    assert found["pk_on_nullable"].startswith("Cannot create the primary key `dim_store_pk` because its child column(s) `store_id` is nullable")
    assert found["set_not_null_with_nulls"].startswith("[DELTA_NOT_NULL_CONSTRAINT_VIOLATED]")
    assert "DELTA_NOT_NULL_CONSTRAINT_VIOLATED" in found["store_null_refused"]
    assert found["store_history"] == ["CREATE TABLE", "WRITE", "DELETE", "CHANGE COLUMN"]
    assert found["drop_missing_pk"] == ("Table dev.conf_governance.dim_store has no primary key; "
                                        "use DROP PRIMARY KEY IF EXISTS to drop it only if there is one.")
    assert found["drop_missing_constraint"].startswith(
        "[DELTA_CONSTRAINT_DOES_NOT_EXIST] Cannot drop nonexistent constraint no_such_constraint from table "
        "dev.conf_governance.dim_store")
    # SHOW GRANTS: the table's own grants and those its schema passes down; REVOKE took MODIFY away.
    assert found["grants"] == [["analysts", "SELECT", "DATABASE", "dev.conf_governance"],
                               ["analysts", "USE SCHEMA", "DATABASE", "dev.conf_governance"],
                               ["data-engineers", "SELECT", "TABLE", "dev.conf_governance.fact_sales"]]
    assert found["grants_of"] == ["USE SCHEMA", "SELECT"]
    assert found["grant_missing"].startswith("[TABLE_OR_VIEW_NOT_FOUND]")
    assert found["owner_missing"].startswith("[TABLE_OR_VIEW_NOT_FOUND]")
    assert found["fsck_dry_run"] == 0 and found["auto_clustering"] == []
    # Keys are informational: a sale of an unknown customer is kept.
    assert sql(w, "SELECT sale_id, customer_key FROM dev.conf_governance.fact_sales ORDER BY sale_id") == [
        ["1", "1"], ["2", "7"]]
    assert sql(w, "SELECT customer_key, total FROM dev.conf_governance.sales_by_customer ORDER BY customer_key") == [
        ["1", "9.50"], ["7", "3.00"]]
    # The warehouse takes the same statements.
    sql(w, "ALTER TABLE dev.conf_governance.fact_sales OWNER TO `analysts`")
    assert sql(w, "SHOW GRANTS `analysts` ON TABLE dev.conf_governance.fact_sales") == [
        ["analysts", "USE SCHEMA", "DATABASE", "dev.conf_governance"], ["analysts", "SELECT", "DATABASE", "dev.conf_governance"]]


def test_json_strings_read_with_the_colon_operator(w):
    succeeded(w, run_notebook(w, "json_strings"))
    found = facts(w, "json_strings")
    # Columns are named by the path's last field, as Databricks names them.
    assert found["columns"] == ["key", "user_id", "device", "revenue", "first_sku", "quantities",
                                "zip", "no_coupon"]
    assert sql(w, "SELECT * FROM dev.conf_json_strings.purchases ORDER BY key") == [
        ["0", "u1", "iOS", "12.5", "tea", "[1,3]", "0150", "true"],
        ["1", "u2", "Android", "30.0", "oat", "[2]", "7010", "false"]]
    assert found["exact_case"] == ["iOS", None]   # ['field'] matches case; .field does not
    assert json.loads(found["nested_text"]) == {"purchase_revenue_in_usd": 30, "items": 1}
    assert found["select_expr"] == ['["oat"]', '["tea","jam"]']
    assert found["variant"] == "Android"
    assert sql(w, "SELECT user_id FROM dev.conf_json_strings.big_spenders") == [["u2"]]
    assert sql(w, "SELECT user_id, items FROM dev.conf_json_strings.users ORDER BY key") == [["u1", "2"], ["u2", "1"]]
    # The warehouse reads them too; a non-string column is refused in one line.
    assert sql(w, "SELECT value:Device FROM dev.conf_json_strings.events_raw WHERE value:user_id = 'u2'") == [["Android"]]
    answer = w.statement_execution.execute_statement(
        statement="SELECT key:a FROM dev.conf_json_strings.events_raw", warehouse_id=WAREHOUSE, wait_timeout="50s")
    assert answer.status.state.value == "FAILED"
    assert "The : operator extracts a field from a JSON STRING or a VARIANT, but key is INT" in answer.status.error.message
