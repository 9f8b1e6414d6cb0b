"""Shared fixtures: a real localspace server on 127.0.0.1, started in-process per test."""
from __future__ import annotations

import pytest

from localspace.server import LocalSpace

TEST_TOKEN = "dapi-localspace-test-token-0123456789"


@pytest.fixture
def localspace(tmp_path):
    """A fresh emulator (python engine, short pending) that stops by itself after the test."""
    server = LocalSpace(root=tmp_path / "localspace", engine="python", token=TEST_TOKEN,
                        pending=0.2)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def workspace_env(localspace, monkeypatch):
    """The environment a user would export to point the runner at the emulator."""
    env = {"DATABRICKS_HOST": localspace.url, "DATABRICKS_TOKEN": TEST_TOKEN}
    for name in ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET", "DATABRICKS_AUTH_TYPE",
                 "DATABRICKS_CONFIG_PROFILE", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY",
                 "GITHUB_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
