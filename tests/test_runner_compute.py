"""Compute the runner names, and what it says when a workspace without serverless jobs
compute refuses a compute-less task or step (jobs/create and runs/submit answer 400 "One of
job_cluster_key, new_cluster, or existing_cluster_id must be specified")."""
from __future__ import annotations

import inspect
import re

import pytest
import requests

from conftest import TEST_TOKEN
from e2e_support import clean, project, run, stream_plan
from localspace.server import LocalSpace

SERVERLESS_SWITCH = "serverless" in inspect.signature(LocalSpace.__init__).parameters
needs_switch = pytest.mark.skipif(not SERVERLESS_SWITCH, reason="this localspace has no serverless switch yet")


@needs_switch
def test_a_compute_less_job_on_a_workspace_without_serverless_fails_with_the_fix(
        space_factory, tmp_path, capsys, monkeypatch):
    space = space_factory(serverless=False)
    result = run(project(tmp_path, stream_plan("no-compute", "")), capsys, monkeypatch=monkeypatch)
    assert result.code == 3
    message = result.junit["setup"]["create job"].result[0].message
    assert message.startswith("job task 'run' names no compute") and "existing_cluster_id" in message
    assert clean(space) and space.leftovers()["workspace_objects"] == 0


@needs_switch
def test_a_compute_less_notebook_step_without_serverless_names_compute_cluster_id(
        space_factory, tmp_path, capsys, monkeypatch):
    space = space_factory(serverless=False)
    plan = project(tmp_path, stream_plan("no-step-compute", """
        before:
          - notebook: ${var.root}/setup
            parameters: {schema: "${var.schema}"}
    """, job_extra="""
        job_clusters: [{job_cluster_key: main, new_cluster: {spark_version: 15.4.x-scala2.12, num_workers: 0}}]
    """))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 3
    failing = [c for c in result.junit["setup"].values() if c.result and type(c.result[0]).__name__ == "Error"]
    assert failing and "compute.cluster_id" in failing[0].result[0].message, result.err
    assert clean(space) and space.leftovers()["workspace_objects"] == 0


def test_compute_new_cluster_goes_into_the_one_time_run(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("new-cluster", """
        compute:
          warehouse_id: localspace
          new_cluster: {spark_version: 15.4.x-scala2.12, node_type_id: i3.xlarge, num_workers: 0}
        before:
          - notebook: ${var.root}/setup
            parameters: {schema: "${var.schema}"}
            expect: clean
    """))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    run_id = re.search(r"notebook run (\d+): ", result.err).group(1)
    reply = requests.get(f"{localspace.url}/api/2.2/jobs/runs/get", params={"run_id": run_id},
                         headers={"Authorization": f"Bearer {TEST_TOKEN}"}, timeout=10).json()
    assert reply["tasks"][0]["new_cluster"]["node_type_id"] == "i3.xlarge"
    assert "existing_cluster_id" not in reply["tasks"][0]
    assert clean(localspace)


WAREHOUSES = next((name for name in ("warehouses", "warehouse") if name in inspect.signature(LocalSpace.__init__).parameters), None)


@pytest.mark.skipif(WAREHOUSES is None, reason="this localspace has no configured warehouses yet")
def test_a_warehouse_that_does_not_exist_ends_the_run_before_anything_is_created(
        space_factory, tmp_path, capsys, monkeypatch):
    space = space_factory(**{WAREHOUSES: ["wh1"] if WAREHOUSES == "warehouses" else "wh1"})
    result = run(project(tmp_path, stream_plan("no-warehouse", "setup: [{sql: SELECT 1, expect: 1}]\n")
                         .replace("warehouse_id: localspace}", "warehouse_id: nope}")), capsys, monkeypatch=monkeypatch)
    assert result.code == 3
    assert "warehouse nope does not exist" in result.junit["setup"]["start compute ahead"].result[0].message
    assert clean(space) and space.leftovers()["workspace_objects"] == 0
