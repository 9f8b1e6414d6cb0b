"""The Databricks client layer's typed views, read from reply bodies shaped as the Jobs and
SQL Statement APIs document them (no HTTP: these are pure readings of JSON)."""
from __future__ import annotations

import pytest

from streamtest import failures
from streamtest.client import ApiError
from streamtest.databricks import paths
from streamtest.databricks.runs import parse_run
from streamtest.databricks.statements import parse_statement
from streamtest.databricks.workspace import NO_SERVERLESS, NoCompute, _no_compute, is_gone


def test_status_is_read_before_the_deprecated_state():
    run = parse_run({"run_id": 7, "job_id": 3, "run_page_url": "https://x/run/7",
                     "status": {"state": "TERMINATED", "termination_details": {
                         "code": "RUN_EXECUTION_ERROR", "type": "CLIENT_ERROR", "message": "Task run failed"}},
                     "state": {"life_cycle_state": "RUNNING"}})
    assert run.terminal and run.result == "FAILED" and not run.succeeded
    assert run.termination.startswith("CLIENT_ERROR RUN_EXECUTION_ERROR")


def test_state_alone_still_reads():
    run = parse_run({"run_id": 7, "state": {"life_cycle_state": "PENDING", "state_message": "Waiting for cluster"}},
                    host="https://h")
    assert run.waiting and run.line() == "PENDING: Waiting for cluster"
    assert run.url == "https://h/#job/None/run/7"


@pytest.mark.parametrize("code, result", [("SUCCESS", "SUCCESS"), ("USER_CANCELED", "CANCELED"),
                                          ("DRIVER_ERROR", "FAILED")])
def test_termination_codes_become_results(code, result):
    run = parse_run({"run_id": 1, "status": {"state": "TERMINATED", "termination_details": {"code": code}}})
    assert run.result == result


def test_status_waiting_is_not_started_and_unknown_states_are_not_terminal():
    assert parse_run({"run_id": 1, "status": {"state": "WAITING"}}).waiting
    assert not parse_run({"run_id": 1, "status": {"state": "SOMETHING_NEW"}}).terminal


def test_task_run_id_is_the_single_tasks_and_none_for_several():
    one = parse_run({"run_id": 1, "tasks": [{"run_id": 2, "task_key": "a"}]})
    many = parse_run({"run_id": 1, "tasks": [{"run_id": 2, "task_key": "a"}, {"run_id": 3, "task_key": "b"}]})
    assert one.task_run_id == 2 and many.task_run_id is None
    assert parse_run({"run_id": 1}).task_run_id == 1


def test_tasks_from_every_page_are_kept():
    run = parse_run({"run_id": 1, "tasks": [{"run_id": 2}]},
                    tasks=[{"run_id": 2, "task_key": "a"}, {"run_id": 3, "task_key": "b",
                                                            "state": {"result_state": "FAILED"}}])
    assert [t.task_key for t in run.failed_tasks()] == ["b"]


@pytest.mark.parametrize("message", ["Run 5 does not exist.", "Run: 700001 in job: 12 doesn't exist"])
def test_both_gone_messages_are_gone(message):
    assert is_gone(ApiError("INVALID_PARAMETER_VALUE", message, 400, "GET /api/2.2/jobs/runs/get"))


def test_another_400_is_not_gone():
    assert not is_gone(ApiError("INVALID_PARAMETER_VALUE", "Invalid run_id", 400, "GET x"))


def test_the_compute_400_is_recognised():
    error = ApiError("INVALID_PARAMETER_VALUE", NO_SERVERLESS.capitalize(), 400, "POST /api/2.2/jobs/create")
    found = _no_compute(error)
    assert isinstance(found, NoCompute) and found.with_fix("set compute.cluster_id").message == "set compute.cluster_id"
    other = ApiError("INVALID_PARAMETER_VALUE", "something else", 400, "POST x")
    assert _no_compute(other) is other


@pytest.mark.parametrize("code, message, permanent", [
    ("BAD_REQUEST", "[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'. SQLSTATE: 42601", True),
    ("BAD_REQUEST", 'near "SELEC": syntax error', True),
    ("BAD_REQUEST", "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column with name `x` cannot be resolved.", True),
    ("BAD_REQUEST", "no such column: nope", True),
    ("BAD_REQUEST", "[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve ...", True),
    ("BAD_REQUEST", "[CAST_INVALID_INPUT] The value 'a' of the type STRING cannot be cast", True),
    ("PERMISSION_DENIED", "User does not have SELECT on table", True),
    ("BAD_REQUEST", "[INSUFFICIENT_PERMISSIONS] Insufficient privileges", True),
    ("BAD_REQUEST", "[TABLE_OR_VIEW_NOT_FOUND] The table or view `main`.`s`.`t` cannot be found.", False),
    ("BAD_REQUEST", "[SCHEMA_NOT_FOUND] The schema `s` cannot be found.", False),
    ("INTERNAL_ERROR", "something broke", False),
])
def test_which_statement_errors_cannot_heal(code, message, permanent):
    statement = parse_statement({"statement_id": "s1", "status": {"state": "FAILED",
                                                                  "error": {"error_code": code, "message": message}}})
    assert statement.permanent is permanent


def test_statement_view_reads_manifest_and_first_chunk():
    statement = parse_statement({"statement_id": "s", "status": {"state": "SUCCEEDED"},
                                 "manifest": {"schema": {"columns": [{"name": "id"}, {"name": "n"}]},
                                              "total_row_count": 3},
                                 "result": {"data_array": [["1", "a"]], "next_chunk_index": 1}})
    assert statement.succeeded and statement.columns == ("id", "n") and statement.total_rows == 3
    assert statement.rows == [["1", "a"]] and statement.next_chunk == 1


TRACE = '''Traceback (most recent call last):
  File "/databricks/python/lib/python3.11/site-packages/py4j/java_gateway.py", line 1322, in __call__
    return_value = get_return_value(
  File "<notebook /Workspace/Shared/t/run, cell 2>", line 14, in <module>
    raise RuntimeError("poison pill in the landing folder")
  File "/databricks/spark/python/pyspark/errors/exceptions/captured.py", line 185, in deco
    raise converted from None
RuntimeError: poison pill in the landing folder
'''


def test_notebook_frames_keep_the_notebook_line_and_drop_internals():
    frames = failures.notebook_frames(TRACE)
    assert frames == ['File "<notebook /Workspace/Shared/t/run, cell 2>", line 14, in <module>',
                      '    raise RuntimeError("poison pill in the landing folder")']


@pytest.mark.parametrize("path, top", [("/Workspace/Shared", True), ("/Shared/", True), ("/Users", True),
                                       ("/Workspace/Shared/x", False), ("/Shared/x/y", False)])
def test_top_level_folders(path, top):
    assert paths.is_top_level(path) is top


def test_workspace_depth_ignores_the_workspace_prefix():
    assert paths.depth("/Workspace/Shared/x") == paths.depth("/Shared/x") == 2


def test_the_plan_checker_never_imports_the_http_layer():
    """``plan`` knows Databricks paths, not Databricks endpoints: loading it pulls in no client."""
    import subprocess
    import sys
    from pathlib import Path
    code = ("import sys; import streamtest.plan; "
            "print(sorted(m for m in sys.modules if m in ('requests', 'urllib3') or m.startswith(("
            "'streamtest.client', 'streamtest.databricks.workspace'))))")
    scripts = Path(__file__).resolve().parents[1] / "scripts"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": str(scripts), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_serverless_trigger_failure_carries_the_fix():
    run = parse_run({"run_id": 1, "state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED",
                                            "state_message": "[INFINITE_STREAMING_TRIGGER_NOT_SUPPORTED] ..."}})
    text = failures.failure_details(None, run)  # no failed tasks: nothing to fetch
    assert text.splitlines()[-1].startswith("hint: serverless compute runs only availableNow/once")


IPYTHON_TRACE = '''\x1b[0;31m---------------------------------------------------------------------------\x1b[0m
\x1b[0;31mValueError\x1b[0m                                Traceback (most recent call last)
File \x1b[0;32m<command-4426281734537416>, line 3\x1b[0m
\x1b[1;32m      1\x1b[0m x = 1
\x1b[1;32m      2\x1b[0m y = 2
\x1b[0;32m----> 3\x1b[0m \x1b[38;5;28;01mraise\x1b[39;00m \x1b[38;5;167;01mValueError\x1b[39;00m(\x1b[38;5;124m"\x1b[39m\x1b[38;5;124mbronze is empty\x1b[39m\x1b[38;5;124m"\x1b[39m)

\x1b[0;31mValueError\x1b[0m: bronze is empty
'''


def test_ipython_frames_keep_the_marked_line_without_colours():
    assert failures.notebook_frames(IPYTHON_TRACE) == [
        "File <command-4426281734537416>, line 3", '    ----> 3 raise ValueError("bronze is empty")']


def test_unity_catalog_views_read_schema_and_volume_infos():
    from streamtest.databricks.unity import parse_schema, parse_volume
    schema = parse_schema({"name": "sbit_1", "catalog_name": "dev", "full_name": "dev.sbit_1",
                           "comment": "streamtest run 1: ...", "owner": "me", "metastore_id": "m"})
    assert schema.full_name == "dev.sbit_1" and schema.comment == "streamtest run 1: ..."
    assert parse_schema({"name": "s", "catalog_name": "c"}).full_name == "c.s"  # no full_name in the reply
    volume = parse_volume({"catalog_name": "dev", "schema_name": "sbit_1", "name": "landing",
                           "volume_type": "MANAGED", "storage_location": "s3://b/x"})
    assert volume.full_name == "dev.sbit_1.landing" and volume.path == "/Volumes/dev/sbit_1/landing"


@pytest.mark.parametrize("name, ok", [("sbit_1", True), ("_x", True), ("Sbit", True), ("1abc", False),
                                      ("sbit-1", False), ("a.b", False), ("", False), ("x" * 256, False)])
def test_scratch_names_are_usable_unquoted(name, ok):
    assert bool(paths.UC_NAME.fullmatch(name)) is ok


# -- pipelines (https://docs.databricks.com/aws/dlt/monitor-event-log-schema) -----------------
def _progress(update_id: str, *items: dict) -> dict:
    return {"event_type": "flow_progress", "level": "METRICS", "origin": {"update_id": update_id},
            "details": {"flow_progress": {"status": "RUNNING", "data_quality": {"expectations": list(items)}}}}


def test_expectation_counts_sum_the_flow_progress_events_of_the_runs_updates():
    from streamtest.databricks.pipelines import expectation_counts, expectations_seen
    events = [
        _progress("u1", {"name": "valid_id", "dataset": "dev.s.users", "passed_records": 5, "failed_records": 0}),
        _progress("u1", {"name": "valid_id", "dataset": "users", "passed_records": 3, "failed_records": 1},
                  {"name": "valid_mac", "dataset": "users", "passed_records": 3, "failed_records": 0}),
        _progress("other", {"name": "valid_id", "dataset": "users", "passed_records": 100, "failed_records": 100}),
        {"event_type": "update_progress", "origin": {"update_id": "u1"}, "details": {}},
    ]
    counts = expectation_counts(events, "users", "valid_id", {"u1"})
    assert (counts.passed, counts.failed, counts.events) == (8, 1, 2)
    assert expectation_counts(events, "gym_logs", "valid_id", {"u1"}).events == 0
    assert expectations_seen(events, {"u1"}) == ["dev.s.users.valid_id", "users.valid_id", "users.valid_mac"]


def test_a_failed_update_says_the_event_logs_error():
    from streamtest.databricks.pipelines import error_message, parse_update
    update = parse_update({"update": {"pipeline_id": "p", "update_id": "u", "state": "FAILED"}}, "https://h")
    assert update.terminal and not update.succeeded and update.url == "https://h/pipelines/p/updates/u"
    events = [{"level": "ERROR", "message": "Update u is FAILED.", "origin": {"update_id": "u"},
               "error": {"exceptions": [{"class_name": "ValueError", "message": "bad row"}], "fatal": True}}]
    assert error_message(events, "u") == "Update u is FAILED.; ValueError: bad row"
