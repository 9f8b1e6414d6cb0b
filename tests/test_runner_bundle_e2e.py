"""End-to-end: a plan whose job comes from a bundle (development target), run on localspace
(python engine): the bundle's notebooks go to the run's own folder, the created job is
streamtest's (dev prefix from SCIM Me, run id, streamtest tags), and cleanup removes both."""
from __future__ import annotations

import json

import requests

from e2e_support import clean, project, run

BUNDLE = """\
bundle:
  name: fixture

variables:
  catalog: {default: main}
  schema: {description: "given by --var, like the plan's own schema"}

resources:
  jobs:
    fixture_stream:
      name: fixture-stream
      tags: {team: data}
      tasks:
        - task_key: run
          notebook_task:
            notebook_path: notebooks/run.py
            base_parameters:
              landing: /Volumes/${var.catalog}/${var.schema}/landing
              schema: ${var.schema}

targets:
  test:
    mode: development
    default: true
"""

PLAN = """\
version: 1
name: bundle-stream
vars:
  schema: st_bundle_e2e
  landing: /Volumes/main/${var.schema}/landing
job:
  bundle: databricks.yml
  resource: fixture_stream
  target: test
deploy:
  to: /Workspace/Shared/streamtest/${run.id}
start: {timeout: 30s}
compute: {warehouse_id: localspace}
setup:
  - name: bronze exists
    sql: SELECT count(*) FROM main.${var.schema}.bronze
    expect: 0
    within: 20s
iterations:
  - name: payload 1
    produce:
      - upload: data/payload-1
        to: ${var.landing}
    validate:
      - name: bronze holds payload 1
        sql: SELECT count(*) FROM main.${var.schema}.bronze
        expect: 3
        within: 20s
      - name: the deployed validate notebook agrees
        notebook: /Workspace/Shared/streamtest/${run.id}/files/notebooks/validate
        parameters: {schema: "${var.schema}", expected: "3"}
        expect: {status: ok, rows: 3}
after:
  - name: a Jupyter notebook of the bundle runs too
    notebook: /Workspace/Shared/streamtest/${run.id}/files/notebooks/hello
    expect: hello from jupyter
"""

JUPYTER = json.dumps({
    "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
               "source": ["dbutils.notebook.exit('hello from jupyter')"]}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5})


def test_bundle_job_runs_and_is_cleaned_up(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, PLAN)
    (plan.parent / "databricks.yml").write_text(BUNDLE)
    (plan.parent / "notebooks" / "hello.ipynb").write_text(JUPYTER)
    result = run(plan, capsys, "--run-id", "e2e_bundle", "--var", "schema=st_bundle_e2e", monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    assert all(case.is_passed for cases in result.junit.values() for case in cases.values())
    assert result.junit["cleanup"]["a Jupyter notebook of the bundle runs too"].is_passed
    assert result.state["job_name"] == "[dev localspace_user] fixture-stream-e2e_bundle"
    assert result.state["deployed"]["path"] == "/Workspace/Shared/streamtest/e2e_bundle/files"   # the sync root
    created = [r for r in localspace.request_log if r[1].endswith("/jobs/create")]
    assert len(created) == 1
    assert ("GET", "/api/2.0/preview/scim/v2/Me", 200) in localspace.request_log
    assert clean(localspace) and localspace.leftovers()["workspace_objects"] == 0
    assert result.state["cleaned"] is True


def test_created_job_is_streamtests_not_the_bundles(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    """What jobs/create received, read back with jobs/get (the plan keeps the job for this)."""
    plan = project(tmp_path, PLAN.split("iterations:")[0] + "cleanup: {delete_job: false}\n")
    (plan.parent / "databricks.yml").write_text(BUNDLE)
    result = run(plan, capsys, "--run-id", "e2e_bundle2", "--var", "schema=st_bundle_e2e2", monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    auth = {"Authorization": f"Bearer {workspace_env['DATABRICKS_TOKEN']}"}
    job = requests.get(f"{localspace.url}/api/2.2/jobs/get", params={"job_id": result.state["job_id"]},
                       headers=auth, timeout=10).json()
    try:
        settings = job["settings"]
        assert settings["name"] == "[dev localspace_user] fixture-stream-e2e_bundle2"
        assert settings["tags"]["team"] == "data" and settings["tags"]["dev"] == "localspace_user"
        assert settings["tags"]["streamtest-run"] == "e2e_bundle2"
        task = settings["tasks"][0]["notebook_task"]
        assert task["notebook_path"] == "/Workspace/Shared/streamtest/e2e_bundle2/files/notebooks/run"
        assert task["base_parameters"] == {"landing": "/Volumes/main/st_bundle_e2e2/landing", "schema": "st_bundle_e2e2"}
    finally:
        requests.post(f"{localspace.url}/api/2.2/jobs/delete", json={"job_id": result.state["job_id"]},
                      headers=auth, timeout=10)
