"""Nothing is left behind: stop() ends every thread and child process, even mid-run. (That
nothing is left after the whole suite is a session-end check: tests/session_checks.py.)"""
from __future__ import annotations

from databricks.sdk.service import jobs

from conftest import TEST_TOKEN
from localspace.server import LocalSpace
from localspace_helpers import LOOP_FOREVER, client, import_notebook, life, wait_until
from session_checks import child_processes, localspace_threads


def test_stop_mid_run_leaves_no_thread_or_process(tmp_path):
    before = set(child_processes())     # e.g. a JVM another suite's shared SparkSession keeps
    server = LocalSpace(root=tmp_path / "ls", engine="python", token=TEST_TOKEN, pending=0.1).start()
    w = client(server, TEST_TOKEN)
    import_notebook(w, "/Shared/z/loop", LOOP_FOREVER)
    task = [jobs.SubmitTask(task_key="l", notebook_task=jobs.NotebookTask(notebook_path="/Shared/z/loop"))]
    run_ids = [w.jobs.submit(run_name=f"loop{i}", tasks=task).run_id for i in range(3)]
    wait_until(lambda: all(life(w, r) == "RUNNING" for r in run_ids), what="runs RUNNING")
    assert set(child_processes()) - before
    w.statement_execution.execute_statement(statement="SELECT 1", warehouse_id="localspace", wait_timeout="0s")
    server.stop()
    assert server.leftovers()["active_runs"] == 0 and server.leftovers()["active_statements"] == 0
    wait_until(lambda: not set(child_processes()) - before, timeout=5, what="child processes to end")
    wait_until(lambda: not localspace_threads(), timeout=5, what="localspace threads to end")
