"""``sweep`` (expired jobs and scratch schemas) against localspace, GitHub OIDC federation,
and the jobs/create bodies checked against Databricks' own job schema."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conftest import TEST_TOKEN
from e2e_support import REPO, clean, project, run, workspace
from oidc_support import github_token_service
from waiting import wait_until
from streamtest import identity
from streamtest.cli import main
from streamtest.client import ApiError
from streamtest.databricks.workspace import Workspace
from streamtest.plan import load_plan
from streamtest.runner import job_settings
from streamtest.sweep import sweep

SCHEMA = REPO.parent / "shared" / "databricks-job.schema.json"


def make_job(ws: Workspace, name: str, tags: dict) -> int:
    return ws.create_job({"name": name, "tags": tags, "tasks": [
        {"task_key": "t", "notebook_task": {"notebook_path": "/Shared/nowhere"}}]}, "x")


def test_sweep_deletes_only_expired_streamtest_jobs(localspace, workspace_env, capsys):
    ws = workspace(workspace_env)
    now = time.time()
    expired = make_job(ws, "expired", identity.job_tags("old_1", now - 60))
    fresh = make_job(ws, "fresh", identity.job_tags("new_1", now + 3600))
    foreign = make_job(ws, "not-ours", {"team": "data"})
    active = ws.run_now(expired, "sweep-test")

    assert main(["sweep", "--dry-run"]) == 0
    assert f"would delete job {expired}" in capsys.readouterr().err
    assert localspace.leftovers()["jobs"] == 3

    assert main(["sweep"]) == 0
    assert f"deleted job {expired}" in capsys.readouterr().err
    remaining = {job.job_id for job in ws.list_jobs()}
    assert remaining == {fresh, foreign}
    wait_until(lambda: localspace.leftovers()["active_runs"] == 0, what="the swept job's run to end")
    with pytest.raises(ApiError, match="doesn't exist"):
        ws.get_run(active)  # gone with its job, as on Databricks

    assert main(["sweep", "--older-than", "0s"]) == 0
    assert {job.job_id for job in ws.list_jobs()} == {foreign}
    assert main(["sweep", "--older-than", "soon"]) == 2


def ready_for_pipelines(ws: Workspace) -> None:
    """The schema and the notebook a pipeline names: pipelines/create checks both exist."""
    ws.create_schema("dev", "s", "for the pipelines")
    ws.mkdirs("/Shared")
    ws.import_object("/Shared/dlt", b"# Databricks notebook source\nimport dlt\n", "PYTHON")


def make_pipeline(ws: Workspace, name: str, tags: dict, run_id: str = "x") -> str:
    return ws.create_pipeline({"name": name, "tags": tags, "catalog": "dev", "schema": "s", "serverless": True,
                               "libraries": [{"notebook": {"path": "/Shared/dlt"}}]}, run_id)


def test_sweep_deletes_only_expired_streamtest_pipelines(localspace, workspace_env, capsys):
    """Pipelines list entries carry no tags: sweep reads each one, and deletes only the expired
    streamtest ones (pipelines have no creation time: --older-than goes by last modified)."""
    ws = workspace(workspace_env)
    ready_for_pipelines(ws)
    now = time.time()
    expired = make_pipeline(ws, "expired", identity.job_tags("old_1", now - 60))
    fresh = make_pipeline(ws, "fresh", identity.job_tags("new_1", now + 3600))
    foreign = make_pipeline(ws, "not-ours", {"team": "data"})

    assert main(["sweep", "--dry-run"]) == 0
    assert f"would delete pipeline {expired} 'expired' (run old_1)" in capsys.readouterr().err
    assert localspace.leftovers()["pipelines"] == 3

    assert main(["sweep"]) == 0
    assert f"deleted pipeline {expired}" in capsys.readouterr().err
    assert {p.pipeline_id for p in ws.list_pipelines()} == {fresh, foreign}

    assert main(["sweep", "--older-than", "0s"]) == 0
    assert {p.pipeline_id for p in ws.list_pipelines()} == {foreign}


def test_pipeline_create_is_found_not_repeated(localspace, workspace_env):
    """A retried pipelines/create whose first attempt landed meets the name it made (409): the
    pipeline carrying this run's tag is taken, never a second one; another run's is refused."""
    ws = workspace(workspace_env)
    ready_for_pipelines(ws)
    tags = identity.job_tags("run_a", time.time() + 600)
    first = make_pipeline(ws, "plan-run_a", tags, run_id="run_a")
    assert make_pipeline(ws, "plan-run_a", tags, run_id="run_a") == first
    assert ws.find_pipeline("plan-run_a", "run_a") == first and ws.find_pipeline("plan-run_a", "run_b") is None
    with pytest.raises(ApiError, match="RESOURCE_CONFLICT"):
        make_pipeline(ws, "plan-run_a", tags, run_id="run_b")
    assert localspace.leftovers()["pipelines"] == 1


def test_a_pipelines_create_whose_reply_is_lost_is_found_not_repeated(space_factory, monkeypatch):
    """The first pipelines/create is applied, then its connection dropped: the client looks for
    the pipeline by name and this run's tag before trying again, so there is one pipeline."""
    lost = {"path": "/api/2.0/pipelines$", "method": "POST", "kind": "drop", "count": 1, "after_processing": True}
    space = space_factory(catalogs=["dev"], faults=[lost])
    ws = workspace({"DATABRICKS_HOST": space.url, "DATABRICKS_TOKEN": TEST_TOKEN})
    ready_for_pipelines(ws)
    created = make_pipeline(ws, "plan-run_c", identity.job_tags("run_c", time.time() + 600), run_id="run_c")
    calls = [(method, path) for method, path, _ in space.request_log if path.startswith("/api/2.0/pipelines")]
    assert calls[:3] == [("POST", "/api/2.0/pipelines"), ("GET", "/api/2.0/pipelines"),
                         ("GET", f"/api/2.0/pipelines/{created}")], calls   # dropped, then looked up
    assert space.leftovers()["pipelines"] == 1
    assert [p.pipeline_id for p in ws.list_pipelines()] == [created]


def test_sweep_drops_only_expired_scratch_schemas_of_runs_whose_job_is_gone(localspace, workspace_env, capsys):
    ws = workspace(workspace_env)
    now = time.time()
    schemas = {"expired": ("old_1", now - 60), "fresh": ("new_1", now + 3600), "no_expiry": ("older_1", None),
               "job_stands": ("busy_1", now - 60)}
    for name, (run_id, expires) in schemas.items():
        ws.create_schema("main", name, identity.scratch_comment(run_id, expires))
    ws.create_schema("main", "lookalike", identity.scratch_comment("x_1", now - 60) + " (kept by hand)")
    ws.create_schema("main", "team", "the team's own")
    make_job(ws, "busy", identity.job_tags("busy_1", now + 3600))
    names = lambda: {s.full_name.split(".")[1] for s in ws.list_schemas("main")} - {"default"}

    assert main(["sweep", "--dry-run"]) == 0
    assert "would drop scratch schema main.expired (run old_1" in capsys.readouterr().err
    assert len(names()) == 6

    assert main(["sweep"]) == 0
    assert "dropped scratch schema main.expired (run old_1" in capsys.readouterr().err
    assert names() == {"fresh", "no_expiry", "job_stands", "lookalike", "team"}
    assert main(["sweep"]) == 0
    assert "sweep: no expired scratch schemas" in capsys.readouterr().err

    assert main(["sweep", "--older-than", "0s"]) == 0      # the job goes first, then its run's schema
    assert names() == {"lookalike", "team"}


def test_a_run_that_never_cleaned_up_is_swept_job_and_schema(localspace, workspace_env, tmp_path, capsys,
                                                             monkeypatch):
    """A failed check kept with --keep-on-failure in Actions: the state file goes with the
    runner, so sweep is what removes the job and the scratch schema once their time is up."""
    plan = project(tmp_path, SCRATCH_KEPT)
    result = run(plan, capsys, "--run-id", "kept_7", "--keep-on-failure", monkeypatch=monkeypatch)
    assert result.code == 1, result.err
    ws = workspace(workspace_env)
    [job] = [j for j in ws.list_jobs() if j.tags.get(identity.TAG_RUN) == "kept_7"]
    run_id, expires = identity.scratch_owner(ws.get_schema("main.kept_kept_7").comment)
    assert run_id == "kept_7" and abs(expires - identity.expires_at(job.tags)) < 60

    assert sweep(ws, None, False, lambda line: None, now=time.time())[0] == 0
    lines = []
    assert sweep(ws, None, False, lines.append, now=expires + 1) == (2, 0)
    assert any(line.startswith("dropped scratch schema main.kept_kept_7 (run kept_7") for line in lines), lines
    assert ws.get_schema("main.kept_kept_7") is None
    assert clean(localspace)


SCRATCH_KEPT = """
version: 1
name: kept
vars: {root: "/Workspace/Shared/streamtest/${run.id}"}
deploy: {from: notebooks, to: "${var.root}"}
scratch: {catalog: main, schema: "kept_${run.id}", volumes: [landing]}
job:
  name: kept-${run.id}
  tasks: [{task_key: run, notebook_task: {notebook_path: "${var.root}/run",
           base_parameters: {landing: "${scratch.volume.landing}", schema: "${scratch.schema}"}}}]
start: {timeout: 30s}
compute: {warehouse_id: localspace}
iterations:
  - name: never there
    validate: [{name: no such row, sql: "SELECT 1", expect: 2, within: 1s}]
"""


def test_github_oidc_federation(space_factory, tmp_path, capsys, monkeypatch):
    space = space_factory(oauth_clients={"sp-oidc": "unused-secret"})
    monkeypatch.delenv("DATABRICKS_TOKEN")
    with github_token_service("gh-request-token-42") as github:
        for name, value in {"DATABRICKS_AUTH_TYPE": "github-oidc", "DATABRICKS_CLIENT_ID": "sp-oidc",
                            **github.env}.items():
            monkeypatch.setenv(name, value)
        result = run(project(tmp_path), capsys, monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    assert github.issued and github.audiences == [f"{space.url}/oidc/v1/token"] * len(github.issued)
    everything = result.text_of_everything()
    assert "gh-request-token-42" not in everything
    assert not [jwt for jwt in github.issued if jwt in everything]
    assert clean(space)


def python_patterns(schema_text: str) -> str:
    """The bundle schema's ``${var...}`` patterns use ECMA ``\\p{L}``/``\\p{N}``, which Python's
    ``re`` lacks: spell them as the equivalent Python classes (in the JSON text, so escaped)."""
    return (schema_text.replace(r"[\\p{L}\\p{N}]", r"[^\\W_]")
            .replace(r"\\p{L}", r"[^\\W\\d_]"))


def plans() -> list[Path]:
    found = sorted((REPO / "tests" / "fixtures").glob("*/*.yml")) + sorted((REPO / "examples").glob("*/streamtest*.yml"))
    return [p for p in found if p.name != "job.yml"]


@pytest.mark.parametrize("plan_path", plans(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_job_create_bodies_match_the_databricks_schema(plan_path):
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} not present")
    schema = json.loads(python_patterns(SCHEMA.read_text()))
    env = {"DATABRICKS_WAREHOUSE_ID": "w", "DATABRICKS_CLUSTER_ID": "", "WAREHOUSE_ID": "w"}
    plan = load_plan(plan_path, env=env, run_id="12_1")
    body = job_settings(plan, time.time())
    jsonschema.validate(body, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**body, "taskz": []}, schema)
