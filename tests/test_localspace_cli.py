"""``python -m localspace serve``: one URL line on stdout, real requests, clean exit on signals."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

SCRIPTS = str(Path(__file__).resolve().parents[1] / "scripts")


def serve(tmp_path, *args, env=None):
    environment = {**os.environ, "PYTHONPATH": SCRIPTS, **(env or {})}
    process = subprocess.Popen([sys.executable, "-m", "localspace", "serve", "--root", str(tmp_path / "root"),
                                "--engine", "python", "--pending", "0.1", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        url = lines.get(timeout=30).strip()
    except queue.Empty:
        process.kill()
        raise AssertionError("localspace printed no URL within 30 s")
    return process, url


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_url_answers_and_stops_on_signal(tmp_path, signum):
    process, url = serve(tmp_path, "--port", "0", env={"LOCALSPACE_TOKEN": "dapi-from-env"})
    try:
        assert url.startswith("http://127.0.0.1:")
        ok = requests.get(f"{url}/api/2.2/jobs/list", headers={"Authorization": "Bearer dapi-from-env"})
        assert ok.status_code == 200
        assert requests.get(f"{url}/api/2.2/jobs/list", headers={"Authorization": "Bearer dapi-localspace"}).status_code == 403
    finally:
        process.send_signal(signum)
        assert process.wait(timeout=20) == 0
    assert process.stdout.read() == ""       # the URL line was all


def test_default_token_and_bad_fault_file(tmp_path):
    process, url = serve(tmp_path, "--token-ttl", "1m", "--client", "sp:secret")
    try:
        assert requests.get(f"{url}/api/2.2/jobs/list", headers={"Authorization": "Bearer dapi-localspace"}).ok
        token = requests.post(f"{url}/oidc/v1/token", data={"grant_type": "client_credentials"}, auth=("sp", "secret"))
        assert token.json()["expires_in"] == 60
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
    bad = tmp_path / "faults.yml"
    bad.write_text("- {path: x, kind: teapot}\n")
    result = subprocess.run([sys.executable, "-m", "localspace", "serve", "--faults", str(bad), "--root",
                             str(tmp_path / "r2")], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": SCRIPTS})
    assert result.returncode == 2 and "kind" in result.stderr and result.stdout == ""


def test_serve_workspace_flags(tmp_path):
    """--serverless, --cluster, --cluster-start, --warehouse, --warehouse-start, --catalog."""
    process, url = serve(tmp_path, "--serverless", "off", "--cluster", "c-1", "--cluster", "c-2",
                         "--cluster-start", "1m", "--warehouse", "wh", "--warehouse-start", "2s",
                         "--catalog", "dev")
    auth = {"Authorization": "Bearer dapi-localspace"}
    try:
        clusters = requests.get(f"{url}/api/2.1/clusters/list", headers=auth).json()["clusters"]
        assert [c["cluster_id"] for c in clusters] == ["c-1", "c-2"]
        warehouses = requests.get(f"{url}/api/2.0/sql/warehouses", headers=auth).json()["warehouses"]
        assert [(w["id"], w["state"]) for w in warehouses] == [("wh", "STOPPED")]
        catalogs = requests.get(f"{url}/api/2.1/unity-catalog/catalogs", headers=auth).json()["catalogs"]
        assert sorted(c["name"] for c in catalogs) == ["dev", "main"]
        refused = requests.post(f"{url}/api/2.2/jobs/create", headers=auth, json={"name": "x", "tasks": [
            {"task_key": "t", "notebook_task": {"notebook_path": "/Shared/x"}}]})
        assert (refused.status_code, refused.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
        requests.post(f"{url}/api/2.1/clusters/start", headers=auth, json={"cluster_id": "c-1"}).raise_for_status()
        cluster = requests.get(f"{url}/api/2.1/clusters/get", headers=auth, params={"cluster_id": "c-1"}).json()
        assert cluster["state"] == "PENDING"  # a minute to start
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
