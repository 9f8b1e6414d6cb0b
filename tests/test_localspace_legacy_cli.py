"""The legacy ``databricks-cli`` 0.18 (a second, independent client) drives a scenario through
localspace: workspace import/export, ``fs cp``/``ls`` (multipart dbfs/put), jobs on API 2.0
(its default) and 2.1 (``--version=2.1``), runs, and the "gone" answer after jobs/delete.

The CLI keeps only the host name of ``DATABRICKS_HOST`` (databricks_cli/sdk/api_client.py
builds ``scheme://hostname/api/``, dropping the port), so it is pointed at a name and reaches
the emulator's port as its HTTP proxy; requests honours ``HTTP_PROXY``, and localspace answers
absolute-URI requests like any other.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TEST_TOKEN
from waiting import wait_until

NOTEBOOK = "# Databricks notebook source\ndbutils.notebook.exit('legacy ok')\n"
PROXIES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY")


def cli(space, home: Path):
    """``run("jobs", "list")``: the CLI against ``space``, with a fresh HOME (no ~/.databrickscfg)."""
    program = Path(sys.executable).parent / "databricks"
    if not program.exists():
        pytest.skip("databricks-cli is not installed (pip install -r requirements-dev.txt)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_") and k not in PROXIES}
    env.update(HOME=str(home), DATABRICKS_HOST="http://localspace.test", DATABRICKS_TOKEN=TEST_TOKEN,
               HTTP_PROXY=space.url, http_proxy=space.url)

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([str(program), *args], env=env, cwd=home, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise AssertionError(f"databricks {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done
    return run


@pytest.fixture
def legacy(localspace, tmp_path):
    return cli(localspace, tmp_path)


def test_workspace_import_and_export(legacy, tmp_path, localspace):
    (tmp_path / "nb.py").write_text(NOTEBOOK)
    legacy("workspace", "mkdirs", "/Shared/legacy")
    legacy("workspace", "import", "nb.py", "/Shared/legacy/nb", "--language", "PYTHON")
    assert legacy("workspace", "ls", "/Shared/legacy").stdout.split() == ["nb"]
    legacy("workspace", "export", "/Shared/legacy/nb", "out.py")
    assert (tmp_path / "out.py").read_text().startswith("# Databricks notebook source")
    assert localspace.workspace.get_status("/Shared/legacy/nb").object_type == "NOTEBOOK"


def test_fs_cp_sends_multipart_dbfs_put(legacy, tmp_path, localspace):
    big = os.urandom(2 * 1024 * 1024)  # over the 1 MB of an inline put: only multipart takes it
    (tmp_path / "big.bin").write_bytes(big)
    legacy("fs", "cp", "big.bin", "dbfs:/tmp/legacy/big.bin")
    assert localspace.paths.dbfs("dbfs:/tmp/legacy/big.bin").read_bytes() == big
    assert legacy("fs", "ls", "dbfs:/tmp/legacy").stdout.split() == ["big.bin"]
    assert ("POST", "/api/2.0/dbfs/put", 200) in localspace.request_log


def test_fs_cp_into_a_missing_volume_is_refused(legacy, tmp_path, localspace):
    (tmp_path / "a.txt").write_text("x")
    done = legacy("fs", "cp", "a.txt", "dbfs:/Volumes/main/default/novol/a.txt", check=False)
    assert done.returncode != 0 and "does not exist" in done.stdout + done.stderr
    assert not (localspace.paths.volumes_root / "main/default/novol").exists()


@pytest.mark.parametrize("version", [None, "2.1"], ids=["jobs api 2.0", "jobs api 2.1"])
def test_jobs_create_run_get_delete(legacy, tmp_path, localspace, version):
    (tmp_path / "nb.py").write_text(NOTEBOOK)
    legacy("workspace", "mkdirs", "/Shared/legacy")
    legacy("workspace", "import", "nb.py", "/Shared/legacy/nb", "--language", "PYTHON")
    flag = [f"--version={version}"] if version else []
    task = {"existing_cluster_id": "localspace-all-purpose", "notebook_task": {"notebook_path": "/Shared/legacy/nb"}}
    settings = {"name": "legacy", **task} if version is None else \
        {"name": "legacy", "tasks": [{"task_key": "t", **task}]}  # 2.0: the job is its one task
    job_id = json.loads(legacy("jobs", "create", "--json", json.dumps(settings), *flag).stdout)["job_id"]
    assert f"{job_id}  legacy" in legacy("jobs", "list", *flag).stdout
    run_id = json.loads(legacy("jobs", "run-now", "--job-id", str(job_id), *flag).stdout)["run_id"]

    def result_state():
        return json.loads(legacy("runs", "get", "--run-id", str(run_id), *flag).stdout)["state"].get("result_state")
    assert wait_until(lambda: result_state() == "SUCCESS", what="the legacy CLI's run to succeed")
    prefix = "/api/2.0/jobs" if version is None else "/api/2.1/jobs"
    assert ("POST", f"{prefix}/run-now", 200) in localspace.request_log

    legacy("jobs", "delete", "--job-id", str(job_id), *flag)
    gone = legacy("runs", "get", "--run-id", str(run_id), *flag, check=False)
    assert gone.returncode != 0 and f"Run: {run_id} in job: {job_id} doesn" in gone.stdout  # it prints repr(bytes)


def test_jobs_create_without_compute_is_refused_with_serverless_off(space_factory, tmp_path):
    legacy = cli(space_factory(serverless=False), tmp_path)
    body = {"name": "no-compute", "tasks": [{"task_key": "t", "notebook_task": {"notebook_path": "/Shared/x"}}]}
    done = legacy("jobs", "create", "--version=2.1", "--json", json.dumps(body), check=False)
    assert done.returncode != 0
    assert "One of job_cluster_key, new_cluster, or existing_cluster_id must be specified" in done.stdout + done.stderr
