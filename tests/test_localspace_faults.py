"""Fault rules: each fault is seen to happen, and the SDK is seen to retry through it."""
from __future__ import annotations

import socket
import struct

import pytest
import yaml
from databricks.sdk.errors import InternalError
from databricks.sdk.service import jobs

from conftest import TEST_TOKEN
from localspace.faults import FaultConfigError, FaultPlan
from localspace.server import LocalSpace
from localspace_helpers import EXIT_WITH, LOOP_FOREVER, client, import_notebook, life, one_task, wait_until


@pytest.fixture
def start(tmp_path):
    servers = []

    def make(rules):
        server = LocalSpace(root=tmp_path / f"ls{len(servers)}", engine="python", token=TEST_TOKEN,
                            pending=0.2, faults=rules).start()
        servers.append(server)
        return server, client(server, TEST_TOKEN)
    yield make
    for server in servers:
        server.stop()


def statuses(server, path):
    return [status for method, p, status in server.request_log if p == path]


def test_429_and_503_are_retried_after_retry_after(start):
    server, w = start([{"path": "/jobs/list$", "kind": 429, "retry_after": 1, "count": 1},
                       {"path": "/workspace/get-status$", "kind": 503, "retry_after": 1, "count": 1}])
    assert list(w.jobs.list()) == []
    assert w.workspace.get_status("/Shared").object_type.value == "DIRECTORY"
    assert statuses(server, "/api/2.2/jobs/list") == [429, 200]
    assert statuses(server, "/api/2.0/workspace/get-status") == [503, 200]


def test_dropped_connection_is_retried(start):
    server, w = start([{"path": "/jobs/get$", "kind": "drop", "nth": 1}])
    job_id = w.jobs.create(name="x", tasks=one_task()).job_id
    assert w.jobs.get(job_id).job_id == job_id
    assert statuses(server, "/api/2.2/jobs/get") == [0, 200]


def test_delay_slows_but_answers(start):
    server, w = start([{"path": "/jobs/list$", "kind": "delay", "delay": 0.2}])
    assert list(w.jobs.list()) == []
    assert server.fault_plan.summary()[0]["fired"] == 1


def test_lost_reply_after_processing_500_is_not_retried_and_the_job_exists_once(start):
    server, w = start([{"path": "/jobs/create$", "kind": 500, "after_processing": True, "count": 1}])
    with pytest.raises(InternalError):
        w.jobs.create(name="only-once", tasks=one_task())
    assert [j.settings.name for j in w.jobs.list(name="only-once")] == ["only-once"]


def test_lost_reply_after_processing_drop_duplicates_a_blind_retry(start):
    """Why jobs/create must not be retried blindly: the SDK retries a dropped connection."""
    server, w = start([{"path": "/jobs/create$", "kind": "drop", "after_processing": True, "count": 1}])
    w.jobs.create(name="dup", tasks=one_task())
    assert len(list(w.jobs.list(name="dup"))) == 2


def test_fail_run_fails_the_nth_run(start):
    server, w = start([{"path": "jobs/run-now$", "kind": "fail_run", "nth": 2, "message": "injected: driver lost"}])
    import_notebook(w, "/Shared/f/ok", EXIT_WITH)
    job_id = w.jobs.create(name="f", max_concurrent_runs=3, tasks=[jobs.Task(
        task_key="ok", notebook_task=jobs.NotebookTask(notebook_path="/Shared/f/ok"))]).job_id
    first, second = (w.jobs.run_now(job_id).run_id for _ in range(2))
    wait_until(lambda: life(w, first) == "TERMINATED" and life(w, second) == "TERMINATED", timeout=30,
               what="both runs to end")
    assert w.jobs.get_run(first).state.result_state == jobs.RunResultState.SUCCESS
    failed = w.jobs.get_run(second)
    assert failed.state.result_state == jobs.RunResultState.FAILED
    assert failed.status.termination_details.code == jobs.TerminationCodeCode.RUN_EXECUTION_ERROR
    assert "injected: driver lost" in failed.state.state_message
    assert w.jobs.get_run_output(failed.tasks[0].run_id).error == "injected: driver lost"


def test_stuck_pending_stays_pending_until_cancelled(start):
    server, w = start([{"path": "runs/submit$", "kind": "stuck_pending", "count": 1}])
    import_notebook(w, "/Shared/f/loop", LOOP_FOREVER)
    task = [jobs.SubmitTask(task_key="l", notebook_task=jobs.NotebookTask(notebook_path="/Shared/f/loop"))]
    stuck = w.jobs.submit(run_name="stuck", tasks=task).run_id
    normal = w.jobs.submit(run_name="normal", tasks=task).run_id
    wait_until(lambda: life(w, normal) == "RUNNING", what="the normal run to start")
    assert life(w, stuck) == "PENDING"
    for run_id in (stuck, normal):
        w.jobs.cancel_run(run_id)
    wait_until(lambda: life(w, stuck) == "TERMINATED" and life(w, normal) == "TERMINATED", what="cancelled")
    assert w.jobs.get_run(stuck).state.result_state == jobs.RunResultState.CANCELED


def test_rates_are_reproducible_with_a_seed(start, tmp_path):
    rules_file = tmp_path / "faults.yml"
    rules_file.write_text(yaml.safe_dump({"seed": 7, "rules": [
        {"path": "/jobs/get$", "kind": 500, "rate": 0.5}]}))
    seen = []
    for _ in range(2):
        server, w = start(str(rules_file))
        job_id = w.jobs.create(name="r", tasks=one_task()).job_id
        for _ in range(12):
            try:
                w.jobs.get(job_id)
            except InternalError:
                pass
        seen.append(statuses(server, "/api/2.2/jobs/get"))
    assert seen[0] == seen[1] and 500 in seen[0] and 200 in seen[0]


@pytest.mark.parametrize("rules, problem", [
    ([{"path": "x", "kind": "teapot"}], "kind"),
    ([{"kind": 429}], "path"),
    ([{"path": "x", "kind": 429, "rate": 2}], "rate"),
    ([{"path": "x", "kind": 429, "count": 1, "nth": 1}], "at most one"),
    ([{"path": "x", "kind": 429, "after_processing": True}], "after_processing"),
    ([{"path": "x", "kind": 429, "colour": "red"}], "unknown"),
])
def test_bad_rules_are_refused_with_a_reason(rules, problem):
    with pytest.raises(FaultConfigError, match=problem):
        FaultPlan.load(rules)


def test_a_client_that_resets_mid_request_is_not_a_server_error(localspace, capfd):
    """A killed runner or a client timeout on a slow link resets its connection: the
    emulator carries on without a traceback (socketserver would print one per reset)."""
    host, port = localspace.url.removeprefix("http://").split(":")
    for _ in range(3):
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"GET /api/2.2/jobs/list HTTP/1.1\r\nHost: x\r\n")   # headers never end
            wait_until(lambda: localspace.connections() >= 1, what="the connection to be accepted")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))   # close = RST
    server = localspace._httpd
    wait_until(lambda: not server._open, what="the reset connections to be handled")
    assert "Traceback" not in capfd.readouterr().err
    assert client(localspace, TEST_TOKEN).jobs.list() is not None
