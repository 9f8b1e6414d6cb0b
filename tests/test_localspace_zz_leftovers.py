"""Nothing is left behind: stop() ends every thread and child process, even mid-run; and
after the whole localspace suite no non-daemon thread or child process remains.
(Named zz so pytest runs it after the other localspace test files.)"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from databricks.sdk.service import jobs

from conftest import TEST_TOKEN
from localspace.server import LocalSpace
from localspace_helpers import LOOP_FOREVER, client, import_notebook, life, wait_until


def child_processes() -> list[int]:
    me = str(os.getpid())
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            children.append(int(stat.parent.name))
    return children


def localspace_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("localspace")]


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


def describe(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"


def test_after_the_suite_nothing_non_daemon_is_left():
    """Localspace's own children: python engine notebook processes (``-m localspace...``)."""
    wait_until(lambda: not [p for p in child_processes() if "localspace" in describe(p)], timeout=5,
               what=f"localspace child processes to end: {[describe(p) for p in child_processes()]}")
    others = [t.name for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    assert others == []
    wait_until(lambda: not localspace_threads(), timeout=5, what="localspace threads to end")
