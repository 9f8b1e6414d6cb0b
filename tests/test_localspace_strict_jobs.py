"""localspace refuses the job definitions and runs a real workspace refuses, through the SDK.

Each refusal is one parametrized case: the body, and the (status, error_code, message part)
Databricks answers; the README's strictness table names the doc or SDK line each follows.
"""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from databricks.sdk.errors import DatabricksError, InvalidParameterValue, InvalidState, ResourceDoesNotExist
from databricks.sdk.service import compute, jobs

from conftest import TEST_TOKEN
from localspace_helpers import EXIT_WITH, LOOP_FOREVER, client, import_notebook, life, wait_until

NB = {"notebook_task": {"notebook_path": "/Shared/st/validate"}}
CLUSTER = {"spark_version": "15.4.x-scala2.12", "num_workers": 0}


def post(w, path: str, body: dict) -> dict:
    return w.api_client.do("POST", path, body=body)


@pytest.fixture
def w(localspace):
    return client(localspace, TEST_TOKEN)


REFUSED = {
    "unknown field in new_cluster": ({"tasks": [{"task_key": "a", **NB, "new_cluster": {"foo": 1}}]},
                                     "unknown field foo in settings.tasks[0].new_cluster"),
    "misspelled top-level field": ({"taskz": [{"task_key": "a", **NB}]}, "unknown field taskz"),
    "a bundle's permissions": ({"tasks": [{"task_key": "a", **NB}], "permissions": []}, "unknown field permissions"),
    "undefined job_cluster_key": ({"tasks": [{"task_key": "a", **NB, "job_cluster_key": "main"}]},
                                  "job cluster main, which is not defined"),
    "both existing_cluster_id and new_cluster": (
        {"tasks": [{"task_key": "a", **NB, "existing_cluster_id": "localspace-all-purpose", "new_cluster": CLUSTER}]},
        "only one of"),
    "undefined environment_key": ({"tasks": [{"task_key": "a", **NB, "environment_key": "e"}]},
                                  "environment e, which is not defined"),
    "duplicate task_key": ({"tasks": [{"task_key": "a", **NB}, {"task_key": "a", **NB}]}, "Task key a is not unique"),
    "depends_on to nothing": ({"tasks": [{"task_key": "a", **NB, "depends_on": [{"task_key": "b"}]}]},
                              "depends on b, which is not a task"),
    "300-character tag key": ({"tasks": [{"task_key": "a", **NB}], "tags": {"k" * 300: "v"}},
                              "between 1 and 127 characters"),
    "300-character tag value": ({"tasks": [{"task_key": "a", **NB}], "tags": {"k": "v" * 300}}, "at most 255"),
    "26 tags": ({"tasks": [{"task_key": "a", **NB}], "tags": {f"t{i}": "v" for i in range(26)}}, "at most 25 tags"),
    "no tasks": ({"name": "empty"}, "At least one task is required"),
    "cluster that does not exist": ({"tasks": [{"task_key": "a", **NB, "existing_cluster_id": "0000-nope"}]},
                                    "Cluster 0000-nope does not exist"),
}


@pytest.mark.parametrize("body,message", REFUSED.values(), ids=REFUSED.keys())
def test_jobs_create_refuses_what_databricks_refuses(w, localspace, body, message):
    with pytest.raises(InvalidParameterValue, match=re.escape(message)) as refused:
        post(w, "/api/2.2/jobs/create", {"name": "bad", **body})
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert localspace.leftovers()["jobs"] == 0


def test_runs_submit_tasks_are_checked_too(w):
    with pytest.raises(InvalidParameterValue, match=re.escape("unknown field foo in settings.tasks[0].new_cluster")):
        post(w, "/api/2.2/jobs/runs/submit",
             {"run_name": "x", "tasks": [{"task_key": "a", **NB, "new_cluster": {"foo": 1}}]})


@pytest.mark.parametrize("call", ["reset", "update"])
def test_reset_and_update_are_validated_too(w, call):
    job_id = post(w, "/api/2.2/jobs/create", {"name": "ok", "tasks": [{"task_key": "a", **NB}]})["job_id"]
    bad = {"tasks": [{"task_key": "a", **NB, "job_cluster_key": "missing"}]}
    with pytest.raises(InvalidParameterValue, match="not defined in job_clusters"):
        post(w, f"/api/2.2/jobs/{call}", {"job_id": job_id, "new_settings": bad})
    assert w.jobs.get(job_id).settings.tasks[0].job_cluster_key is None  # unchanged


def test_valid_job_with_every_kind_of_compute_is_accepted(w):
    job = post(w, "/api/2.2/jobs/create", {"name": "ok", "tasks": [
        {"task_key": "a", **NB, "job_cluster_key": "main"},
        {"task_key": "b", **NB, "new_cluster": CLUSTER, "depends_on": [{"task_key": "a"}]},
        {"task_key": "c", **NB, "existing_cluster_id": "localspace-all-purpose"},
        {"task_key": "d", **NB, "environment_key": "default"},
        {"task_key": "e", **NB}],
        "job_clusters": [{"job_cluster_key": "main", "new_cluster": CLUSTER}],
        "environments": [{"environment_key": "default", "spec": {"client": "2"}}], "tags": {"team": "data"}})
    settings = w.jobs.get(job["job_id"]).settings
    assert [t.task_key for t in settings.tasks] == ["a", "b", "c", "d", "e"]
    w.jobs.reset(job["job_id"], settings)  # what jobs/get shows is a valid jobs/reset body


NO_COMPUTE = "One of job_cluster_key, new_cluster, or existing_cluster_id must be specified"


@pytest.mark.parametrize("path,body", [
    ("/api/2.2/jobs/create", {"name": "serverless", "tasks": [{"task_key": "a", **NB}]}),
    ("/api/2.2/jobs/create", {"name": "env", "tasks": [{"task_key": "a", **NB, "environment_key": "e"}],
                              "environments": [{"environment_key": "e", "spec": {"client": "2"}}]}),
    ("/api/2.2/jobs/runs/submit", {"run_name": "step", "tasks": [{"task_key": "a", **NB}]}),
], ids=["create", "create with environment", "runs/submit"])
def test_serverless_off_refuses_tasks_without_compute(space_factory, path, body):
    space = space_factory(serverless=False)
    w = client(space, TEST_TOKEN)
    with pytest.raises(InvalidParameterValue, match=NO_COMPUTE):
        post(w, path, body)
    assert space.engine.config.serverless is False  # what the engine reads for serverless limits
    assert post(w, path, {**body, "tasks": [{"task_key": "a", **NB, "new_cluster": CLUSTER}]})


def test_clusters_api_states_and_start(space_factory):
    space = space_factory(clusters=["0101-a", "0101-b"], cluster_start=30)
    w = client(space, TEST_TOKEN)
    assert [(c.cluster_id, c.state) for c in w.clusters.list()] == [
        ("0101-a", compute.State.TERMINATED), ("0101-b", compute.State.TERMINATED)]
    w.clusters.start("0101-a")  # the SDK's waiter is not awaited: the cluster takes 30 s
    assert w.clusters.get("0101-a").state == compute.State.PENDING
    with pytest.raises(InvalidState, match="unexpected state"):
        w.clusters.start("0101-a")
    with pytest.raises(ResourceDoesNotExist, match="Cluster 0101-z does not exist"):
        w.clusters.get("0101-z")


def test_a_run_waits_for_its_existing_cluster_to_start(space_factory):
    space = space_factory(clusters=["0101-slow"], cluster_start=1.0, pending=600)
    w = client(space, TEST_TOKEN)
    import_notebook(w, "/Shared/st/validate", EXIT_WITH)
    started = time.monotonic()
    run_id = w.jobs.submit(run_name="on cluster", tasks=[jobs.SubmitTask(
        task_key="v", existing_cluster_id="0101-slow",
        notebook_task=jobs.NotebookTask(notebook_path="/Shared/st/validate"))]).run_id
    run = w.jobs.get_run(run_id)
    assert (run.state.life_cycle_state.value, run.state.state_message) == ("PENDING", "Waiting for cluster")
    assert w.clusters.get("0101-slow").state == compute.State.PENDING  # the run started it
    done = w.jobs.wait_get_run_job_terminated_or_skipped(run_id, timeout=timedelta(seconds=30))
    assert done.state.result_state == jobs.RunResultState.SUCCESS
    assert time.monotonic() - started >= 1.0
    assert w.clusters.get("0101-slow").state == compute.State.RUNNING


def test_runs_list_limit_is_below_25(w):
    assert list(w.jobs.list_runs(limit=24)) == []
    for limit in (0, 25):
        with pytest.raises(InvalidParameterValue, match="greater than 0 and less than 25"):
            w.api_client.do("GET", "/api/2.2/jobs/runs/list", query={"limit": limit})


def test_runs_of_a_deleted_job_are_gone_with_it(w, localspace):
    import_notebook(w, "/Shared/st/loop", LOOP_FOREVER)
    job_id = w.jobs.create(name="doomed", tasks=[jobs.Task(
        task_key="t", notebook_task=jobs.NotebookTask(notebook_path="/Shared/st/loop"))]).job_id
    run_id = w.jobs.run_now(job_id).run_id
    wait_until(lambda: life(w, run_id) == "RUNNING", what="RUNNING")
    task_run_id = w.jobs.get_run(run_id).tasks[0].run_id
    w.jobs.delete(job_id)
    for gone in (run_id, task_run_id):
        with pytest.raises(ResourceDoesNotExist, match=f"Run: {gone} in job: {job_id} doesn't exist") as err:
            w.jobs.get_run(gone)
        assert err.value.error_code == "INVALID_PARAMETER_VALUE"  # a 400, mapped by the SDK's override
    assert run_id not in [r.run_id for r in w.jobs.list_runs()]
    wait_until(lambda: localspace.leftovers()["active_runs"] == 0, what="the run to end in the background")


def test_idempotency_token_of_a_deleted_run_is_refused(w):
    import_notebook(w, "/Shared/st/validate", EXIT_WITH)
    task = jobs.SubmitTask(task_key="v", notebook_task=jobs.NotebookTask(notebook_path="/Shared/st/validate"))
    first = w.jobs.submit(run_name="once", tasks=[task], idempotency_token="tok-1").result()
    assert w.jobs.submit(run_name="once", tasks=[task], idempotency_token="tok-1").run_id == first.run_id
    w.jobs.delete_run(first.run_id)
    with pytest.raises(InvalidParameterValue, match="has been deleted"):
        w.jobs.submit(run_name="once", tasks=[task], idempotency_token="tok-1")


def test_jobs_api_2_0_single_task_job(w):
    """What databricks-cli 0.18 sends without --version=2.1: a job is one top-level task."""
    import_notebook(w, "/Shared/st/validate", EXIT_WITH)
    job_id = post(w, "/api/2.0/jobs/create", {"name": "legacy", "existing_cluster_id": "localspace-all-purpose",
                                              "notebook_task": {"notebook_path": "/Shared/st/validate"}})["job_id"]
    run_id = post(w, "/api/2.0/jobs/run-now", {"job_id": job_id})["run_id"]
    wait_until(lambda: w.api_client.do("GET", "/api/2.0/jobs/runs/get", query={"run_id": run_id})
               ["state"].get("result_state") == "SUCCESS", what="the 2.0 run to succeed")
    listed = w.api_client.do("GET", "/api/2.0/jobs/list")["jobs"]
    assert [j["job_id"] for j in listed] == [job_id]
    with pytest.raises(DatabricksError, match="does not exist"):
        post(w, "/api/2.0/jobs/create", {"name": "legacy", "existing_cluster_id": "0000-nope",
                                         "notebook_task": {"notebook_path": "/Shared/st/validate"}})


def test_sdk_waiters_see_clusters_and_warehouses_come_up(space_factory):
    """The SDK's own long-running-operation waiters (they poll get until RUNNING)."""
    space = space_factory(clusters=["0101-c"], cluster_start=0.5, warehouses=["wh"], warehouse_start=0.5)
    w = client(space, TEST_TOKEN)
    w.clusters.ensure_cluster_is_running("0101-c")
    assert w.clusters.get("0101-c").state == compute.State.RUNNING
    assert w.warehouses.start("wh").result(timeout=timedelta(seconds=30)).state.value == "RUNNING"
    assert w.warehouses.stop("wh").result(timeout=timedelta(seconds=30)).state.value == "STOPPED"
