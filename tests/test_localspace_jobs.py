"""Jobs through the official SDK: definitions, paging, the run life cycle, outputs, errors."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceDoesNotExist
from databricks.sdk.service import compute, jobs

from conftest import TEST_TOKEN
from localspace_helpers import EXIT_WITH, LOOP_FOREVER, RAISES, client, import_notebook, life, wait_until


def notebook_task(key: str, path: str, **params) -> jobs.Task:
    return jobs.Task(task_key=key, notebook_task=jobs.NotebookTask(notebook_path=path, base_parameters=params))


@pytest.fixture
def w(localspace):
    return client(localspace, TEST_TOKEN)


def test_job_crud_and_list_paging(w, localspace):
    ids = [w.jobs.create(name=f"Job-{i}", tasks=[notebook_task("t", "/Shared/x")]).job_id for i in range(5)]
    assert w.jobs.get(ids[0]).settings.name == "Job-0"
    assert [j.job_id for j in w.jobs.list(name="job-3")] == [ids[3]]        # exact, case-insensitive
    assert sorted(j.job_id for j in w.jobs.list(limit=2)) == sorted(ids)     # the SDK follows next_page_token
    page = requests.get(f"{localspace.url}/api/2.2/jobs/list", params={"limit": 2},
                        headers={"Authorization": f"Bearer {TEST_TOKEN}"}).json()
    assert page["has_more"] is True and len(page["jobs"]) == 2 and page["next_page_token"]

    w.jobs.update(ids[0], new_settings=jobs.JobSettings(name="Renamed", tags={"streamtest": "1"}))
    got = w.jobs.get(ids[0]).settings
    assert got.name == "Renamed" and got.tags == {"streamtest": "1"} and got.tasks[0].task_key == "t"
    w.jobs.reset(ids[0], new_settings=jobs.JobSettings(name="Reset", tasks=[notebook_task("u", "/Shared/y")]))
    got = w.jobs.get(ids[0]).settings
    assert got.name == "Reset" and [t.task_key for t in got.tasks] == ["u"] and not got.tags

    for job_id in ids:
        w.jobs.delete(job_id)
    assert localspace.leftovers()["jobs"] == 0
    with pytest.raises(ResourceDoesNotExist):
        w.jobs.get(ids[0])
    with pytest.raises(InvalidParameterValue):
        w.jobs.delete(ids[0])


def test_create_rejects_bad_settings(w):
    with pytest.raises(InvalidParameterValue):
        w.api_client.do("POST", "/api/2.2/jobs/create", body={"name": "x", "tasks": [{"notebook_task": {}}]})
    with pytest.raises(InvalidParameterValue):
        w.jobs.create(name="x", tasks=[notebook_task("t", "relative/path")])
    with pytest.raises(InvalidParameterValue):
        w.jobs.create(name="x", tags={f"k{i}": "v" for i in range(26)}, tasks=[notebook_task("t", "/a")])


def test_run_now_running_cancel_delete(w, localspace):
    import_notebook(w, "/Workspace/Shared/st/run", LOOP_FOREVER)
    job_id = w.jobs.create(name="stream", tasks=[notebook_task("run", "/Workspace/Shared/st/run", env="dev")]).job_id
    run_id = w.jobs.run_now(job_id, idempotency_token="tok-1").run_id
    assert w.jobs.run_now(job_id, idempotency_token="tok-1").run_id == run_id   # same token, same run

    first = w.jobs.get_run(run_id)
    assert first.state.life_cycle_state in (jobs.RunLifeCycleState.QUEUED, jobs.RunLifeCycleState.PENDING)
    if first.state.life_cycle_state == jobs.RunLifeCycleState.PENDING:
        assert first.state.state_message == "Waiting for cluster"
    wait_until(lambda: life(w, run_id) == "RUNNING", what="RUNNING")

    run = w.jobs.get_run(run_id)
    assert run.job_id == job_id and run.end_time == 0 and run.start_time > 0
    assert run.status.state == jobs.RunLifecycleStateV2State.RUNNING
    assert run.run_page_url == f"{localspace.url}/jobs/{job_id}/runs/{run_id}"
    task = run.tasks[0]
    assert task.run_id != run_id and task.task_key == "run" and task.notebook_task.base_parameters == {"env": "dev"}
    page = requests.get(run.run_page_url)
    assert page.status_code == 200 and "RUNNING" in page.text

    ended = w.jobs.cancel_run(run_id).result()
    assert ended.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED
    assert ended.state.result_state == jobs.RunResultState.CANCELED
    assert ended.status.termination_details.code == jobs.TerminationCodeCode.USER_CANCELED
    assert ended.end_time >= ended.start_time > 0
    assert w.jobs.cancel_run(run_id).result().state.result_state == jobs.RunResultState.CANCELED  # no-op

    assert [r.run_id for r in w.jobs.list_runs(job_id=job_id, completed_only=True)] == [run_id]
    w.jobs.delete(job_id)
    assert localspace.leftovers()["active_runs"] == 0


def test_submit_and_task_output(w):
    import_notebook(w, "/Shared/st/validate", EXIT_WITH)
    run_id = w.jobs.submit(run_name="validate", tasks=[
        jobs.SubmitTask(task_key="v", notebook_task=jobs.NotebookTask(
            notebook_path="/Shared/st/validate", base_parameters={"iteration": "2"}))]).run_id
    run = wait_until(lambda: (r := w.jobs.get_run(run_id)).state.life_cycle_state.value == "TERMINATED" and r,
                     timeout=30, what="run to end")
    assert run.state.result_state == jobs.RunResultState.SUCCESS and run.run_type == jobs.RunType.SUBMIT_RUN
    assert run.status.termination_details.code == jobs.TerminationCodeCode.SUCCESS
    output = w.jobs.get_run_output(run.tasks[0].run_id)
    assert json.loads(output.notebook_output.result) == {"status": "ok", "iteration": "2"}
    with pytest.raises(InvalidParameterValue, match="multiple tasks"):
        w.jobs.get_run_output(run_id)
    with pytest.raises(NotFound):
        w.jobs.get_run(123456789)


def test_pending_is_the_start_up_of_compute_that_starts_for_the_run(space_factory):
    """An all-purpose cluster (existing_cluster_id) that starts in no time runs at once.
    Job clusters, new clusters and serverless start for the run: they wait ``pending``."""
    space = space_factory(pending=600, clusters=["0101-000000-localspace"])
    w = client(space, TEST_TOKEN)
    import_notebook(w, "/Shared/st/validate", EXIT_WITH)
    task = dict(task_key="v", notebook_task=jobs.NotebookTask(notebook_path="/Shared/st/validate"))
    on_cluster = w.jobs.submit(run_name="all-purpose", tasks=[
        jobs.SubmitTask(existing_cluster_id="0101-000000-localspace", **task)]).result(timeout=timedelta(seconds=30))
    assert on_cluster.state.result_state == jobs.RunResultState.SUCCESS
    starting = [w.jobs.submit(run_name="serverless", tasks=[jobs.SubmitTask(**task)]).run_id,
                w.jobs.submit(run_name="new cluster", tasks=[jobs.SubmitTask(
                    new_cluster=compute.ClusterSpec(spark_version="15.4.x-scala2.12", num_workers=0),
                    **task)]).run_id]
    job_id = w.jobs.create(name="job cluster", tasks=[jobs.Task(job_cluster_key="main", **task)], job_clusters=[
        jobs.JobCluster(job_cluster_key="main", new_cluster=compute.ClusterSpec(num_workers=0))]).job_id
    starting.append(w.jobs.run_now(job_id).run_id)
    for run_id in starting:
        assert wait_until(lambda: w.jobs.get_run(run_id).state.state_message, what="a state") \
            == "Waiting for cluster"
    assert [life(w, run_id) for run_id in starting] == ["PENDING"] * 3
    for run_id in starting:
        w.jobs.cancel_run(run_id)
    wait_until(lambda: space.leftovers()["active_runs"] == 0, what="the pending runs to end")


def test_failing_notebook_reports_error_and_trace(w):
    import_notebook(w, "/Shared/st/bad", RAISES)
    run = w.jobs.submit(run_name="bad", tasks=[jobs.SubmitTask(
        task_key="bad", notebook_task=jobs.NotebookTask(notebook_path="/Shared/st/bad"))]).result()
    assert run.state.result_state == jobs.RunResultState.FAILED
    assert run.status.termination_details.code == jobs.TerminationCodeCode.RUN_EXECUTION_ERROR
    assert "bronze is empty" in run.state.state_message
    output = w.jobs.get_run_output(run.tasks[0].run_id)
    assert "ValueError" in output.error and "bronze is empty" in output.error
    assert "bronze is empty" in output.error_trace


def test_missing_notebook_fails_the_run(w):
    run = w.jobs.submit(run_name="missing", tasks=[jobs.SubmitTask(
        task_key="m", notebook_task=jobs.NotebookTask(notebook_path="/Shared/nothing/here"))]).result()
    assert run.state.result_state == jobs.RunResultState.FAILED
    assert "Notebook not found" in run.state.state_message


def test_timeout_seconds_is_enforced(w):
    import_notebook(w, "/Shared/st/loop", LOOP_FOREVER)
    run = w.jobs.submit(run_name="loop", timeout_seconds=1, tasks=[jobs.SubmitTask(
        task_key="loop", notebook_task=jobs.NotebookTask(notebook_path="/Shared/st/loop"))]).result()
    assert run.state.result_state == jobs.RunResultState.TIMEDOUT
    assert run.state.user_cancelled_or_timedout is True


def test_deleting_a_job_cancels_its_runs(w, localspace):
    import_notebook(w, "/Shared/st/loop", LOOP_FOREVER)
    job_id = w.jobs.create(name="doomed", tasks=[notebook_task("loop", "/Shared/st/loop")]).job_id
    run_id = w.jobs.run_now(job_id).run_id
    wait_until(lambda: life(w, run_id) == "RUNNING", what="RUNNING")
    w.jobs.delete(job_id)
    wait_until(lambda: localspace.leftovers()["active_runs"] == 0, what="run cancelled after delete")
    with pytest.raises(ResourceDoesNotExist, match=f"Run: {run_id} in job: {job_id} doesn't exist"):
        w.jobs.get_run(run_id)  # the run went with its job, as on Databricks


def test_multi_task_dependencies_and_upstream_failure(w):
    import_notebook(w, "/Shared/st/ok", EXIT_WITH)
    import_notebook(w, "/Shared/st/bad", RAISES)
    ok = jobs.NotebookTask(notebook_path="/Shared/st/ok")
    run = w.jobs.submit(run_name="dag", tasks=[
        jobs.SubmitTask(task_key="a", notebook_task=ok),
        jobs.SubmitTask(task_key="b", notebook_task=jobs.NotebookTask(notebook_path="/Shared/st/bad"),
                        depends_on=[jobs.TaskDependency(task_key="a")]),
        jobs.SubmitTask(task_key="c", notebook_task=ok, depends_on=[jobs.TaskDependency(task_key="b")]),
    ]).result()
    states = {t.task_key: t.state.result_state.value for t in run.tasks}
    assert states == {"a": "SUCCESS", "b": "FAILED", "c": "UPSTREAM_FAILED"}
    assert run.state.result_state == jobs.RunResultState.FAILED
    assert run.state.state_message.startswith("Task b failed")


SETS_VALUES = """# Databricks notebook source
dbutils.jobs.taskValues.set(key="row_count", value=42)
dbutils.jobs.taskValues.set("table", "dev.sbit.gold")
"""
READS_VALUES = """# Databricks notebook source
import json
dbutils.widgets.text("count_param", "")
values = {"count": dbutils.jobs.taskValues.get(taskKey="produce", key="row_count"),
          "table": dbutils.jobs.taskValues.get("produce", "table"),
          "fallback": dbutils.jobs.taskValues.get("produce", "never_set", default="d"),
          "param": dbutils.widgets.get("count_param")}
try:
    dbutils.jobs.taskValues.get("produce", "never_set")
except ValueError as error:
    values["missing"] = "ValueError"
dbutils.notebook.exit(json.dumps(values))
"""


def test_task_values_pass_between_tasks_of_a_run(w):
    # Databricks docs, "Use task values to pass information between tasks" and "Reference task values".
    import_notebook(w, "/Shared/st/sets", SETS_VALUES)
    import_notebook(w, "/Shared/st/reads", READS_VALUES)
    run = w.jobs.submit(run_name="values", tasks=[
        jobs.SubmitTask(task_key="produce", notebook_task=jobs.NotebookTask(notebook_path="/Shared/st/sets")),
        jobs.SubmitTask(task_key="consume", depends_on=[jobs.TaskDependency(task_key="produce")],
                        notebook_task=jobs.NotebookTask(notebook_path="/Shared/st/reads", base_parameters={
                            "count_param": "{{tasks.produce.values.row_count}}"})),
    ]).result()
    consume = next(t for t in run.tasks if t.task_key == "consume")
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    assert json.loads(w.jobs.get_run_output(consume.run_id).notebook_output.result) == {
        "count": 42, "table": "dev.sbit.gold", "fallback": "d", "param": "42", "missing": "ValueError"}


ECHOES_PARAMETERS = """# Databricks notebook source
import json
ctx = dbutils.notebook.entry_point.getDbutils().notebook().getContext()
dbutils.notebook.exit(json.dumps({"params": dbutils.widgets.getAll(), "job": ctx.tags().apply("jobId"),
                                  "run": ctx.currentRunId().get().id(), "path": ctx.notebookPath().get(),
                                  "token_not_in_json": bool(ctx.apiToken().get()) and ctx.apiToken().get() not in ctx.toJson()}))
"""


def test_dynamic_value_references_and_the_notebook_context(w):
    # https://docs.databricks.com/aws/en/jobs/dynamic-value-references
    import_notebook(w, "/Shared/st/echo", ECHOES_PARAMETERS)
    job_id = w.jobs.create(name="refs", parameters=[
        jobs.JobParameterDefinition(name="day", default="{{job.start_time.iso_date}}"),
        jobs.JobParameterDefinition(name="odd name", default="x")], tasks=[notebook_task(
            "echo", "/Shared/st/echo", ids="{{job.id}}/{{job.run_id}}/{{task.run_id}}/{{task.name}}",
            weekday="{{job.start_time.iso_weekday}}", quoted="{{job.parameters.`odd name`}}",
            day_again="{{job.parameters.day}}", unknown="{{job.nothing}}")]).job_id
    run = w.jobs.run_now(job_id).result()
    task = run.tasks[0]
    found = json.loads(w.jobs.get_run_output(task.run_id).notebook_output.result)
    started = datetime.fromtimestamp(run.start_time / 1000, timezone.utc)
    assert found["params"] == {"day": started.date().isoformat(), "odd name": "x",
                               "ids": f"{job_id}/{run.run_id}/{task.run_id}/echo",
                               "weekday": str(started.isoweekday()), "quoted": "x",
                               "day_again": started.date().isoformat(), "unknown": "{{job.nothing}}"}
    assert (found["job"], found["run"], found["path"]) == (str(job_id), task.run_id, "/Shared/st/echo")
    assert found["token_not_in_json"] is True


def test_runs_list_filters_and_delete(w):
    import_notebook(w, "/Shared/st/ok", EXIT_WITH)
    job_id = w.jobs.create(name="many", max_concurrent_runs=5,
                           tasks=[notebook_task("ok", "/Shared/st/ok")]).job_id
    run_ids = [w.jobs.run_now(job_id).run_id for _ in range(3)]
    wait_until(lambda: not list(w.jobs.list_runs(job_id=job_id, active_only=True)), timeout=30,
               what="runs to finish")
    assert [r.run_id for r in w.jobs.list_runs(job_id=job_id, limit=1)] == sorted(run_ids, reverse=True)
    w.jobs.delete_run(run_ids[0])
    assert run_ids[0] not in [r.run_id for r in w.jobs.list_runs(job_id=job_id)]
    with pytest.raises(InvalidParameterValue):
        w.api_client.do("GET", "/api/2.2/jobs/runs/list", query={"active_only": "true", "completed_only": "true"})


def test_max_concurrent_runs_queues_then_runs(w):
    import_notebook(w, "/Shared/st/loop", LOOP_FOREVER)
    job_id = w.jobs.create(name="q", queue=jobs.QueueSettings(enabled=True),
                           tasks=[notebook_task("loop", "/Shared/st/loop")]).job_id
    first = w.jobs.run_now(job_id).run_id
    second = w.jobs.run_now(job_id).run_id
    wait_until(lambda: life(w, first) == "RUNNING", what="first RUNNING")
    queued = w.jobs.get_run(second)
    assert queued.state.life_cycle_state == jobs.RunLifeCycleState.QUEUED
    assert queued.status.queue_details.code == jobs.QueueDetailsCodeCode.MAX_CONCURRENT_RUNS_REACHED
    w.jobs.cancel_run(first)
    wait_until(lambda: life(w, second) == "RUNNING", what="second admitted")
    w.jobs.cancel_all_runs(job_id=job_id)
    wait_until(lambda: life(w, second) == "TERMINATED", what="second cancelled")
    w.jobs.delete(job_id)


def test_job_parameters_reach_the_notebook(w):
    import_notebook(w, "/Shared/st/ok", EXIT_WITH)
    job_id = w.jobs.create(name="params", parameters=[jobs.JobParameterDefinition(name="iteration", default="1")],
                           tasks=[notebook_task("ok", "/Shared/st/ok")]).job_id
    run = w.jobs.run_now(job_id, job_parameters={"iteration": "7"}).result()
    output = w.jobs.get_run_output(run.tasks[0].run_id)
    assert json.loads(output.notebook_output.result)["iteration"] == "7"
    w.jobs.delete(job_id)


def test_both_api_versions_are_served(localspace):
    headers = {"Authorization": f"Bearer {TEST_TOKEN}"}
    for version in ("2.1", "2.2"):
        created = requests.post(f"{localspace.url}/api/{version}/jobs/create", headers=headers,
                                json={"name": version, "tasks": [{"task_key": "t", "notebook_task": {"notebook_path": "/x"}}]})
        assert created.status_code == 200
        got = requests.get(f"{localspace.url}/api/{version}/jobs/get", headers=headers,
                           params={"job_id": created.json()["job_id"]})
        assert got.json()["settings"]["name"] == version


def test_unpaused_continuous_job_restarts_until_paused(w, localspace):
    import_notebook(w, "/Shared/st/loop", LOOP_FOREVER)
    job_id = w.jobs.create(name="forever", continuous=jobs.Continuous(pause_status=jobs.PauseStatus.UNPAUSED),
                           tasks=[notebook_task("loop", "/Shared/st/loop")]).job_id

    def active():
        return [r.run_id for r in w.jobs.list_runs(job_id=job_id, active_only=True)]
    first = wait_until(active, what="the continuous run")[0]
    w.jobs.cancel_run(first)
    second = wait_until(lambda: [r for r in active() if r != first], what="a new continuous run")[0]
    assert w.jobs.get_run(second).trigger == jobs.TriggerType.CONTINUOUS
    w.jobs.update(job_id, new_settings=jobs.JobSettings(
        continuous=jobs.Continuous(pause_status=jobs.PauseStatus.PAUSED)))
    wait_until(lambda: not active(), what="pausing to stop the run")
    w.jobs.delete(job_id)
    assert localspace.leftovers() == {"jobs": 0, "active_runs": 0, "active_statements": 0, "pipelines": 0,
                                      "active_pipeline_updates": 0, "workspace_objects": 2}
