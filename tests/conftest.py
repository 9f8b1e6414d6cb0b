"""Shared fixtures: a real localspace server on 127.0.0.1, started in-process per test."""
from __future__ import annotations

import os

import pytest
from hypothesis import settings

from localspace.server import LocalSpace
from session_checks import leftover_problems, secret_problems

# Generated-plan tests (test_guarantees_generated.py): CI runs a fixed set of examples (derandomized:
# the same every run, so a failure reproduces); "dev" explores new ones each time. HYPOTHESIS_PROFILE
# picks another, e.g. "deep" for a long search.
settings.register_profile("ci", max_examples=150, derandomize=True, deadline=None, database=None,
                          print_blob=True)
settings.register_profile("dev", max_examples=150, deadline=None)
settings.register_profile("deep", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

TEST_TOKEN = "dapi-localspace-test-token-0123456789"


@pytest.fixture(scope="session", autouse=True)
def session_end_checks():
    """After the last test (and every other fixture's teardown): nothing of localspace still
    running, no secret in any output of the guarantee suite. A failure shows as an error in
    the session's teardown, naming what was found."""
    yield
    problems = leftover_problems() + secret_problems()
    assert not problems, "session-end checks:\n" + "\n".join(problems)


@pytest.fixture
def localspace(tmp_path):
    """A fresh emulator (python engine, short pending, a ``dev`` catalog as ``serve --catalog
    dev`` makes) that stops by itself after the test."""
    server = LocalSpace(root=tmp_path / "localspace", engine="python", token=TEST_TOKEN,
                        pending=0.2, catalogs=["dev"])
    server.start()
    try:
        yield server
    finally:
        server.stop()


def point_env_at(monkeypatch, url: str, token: str) -> dict:
    """The environment a user would export to point the runner at the emulator, and nothing
    of the developer's own (other credentials, a profile, GitHub Actions files)."""
    env = {"DATABRICKS_HOST": url, "DATABRICKS_TOKEN": token}
    for name in ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET", "DATABRICKS_AUTH_TYPE",
                 "DATABRICKS_CONFIG_PROFILE", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY",
                 "GITHUB_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def workspace_env(localspace, monkeypatch):
    return point_env_at(monkeypatch, localspace.url, TEST_TOKEN)


@pytest.fixture
def space_factory(tmp_path, monkeypatch):
    """``make(**LocalSpace options)``: a localspace with other options (faults, pending,
    OAuth clients...), the runner's environment pointed at it; all stop after the test."""
    spaces = []

    def make(**options) -> LocalSpace:
        options.setdefault("token", TEST_TOKEN)
        options.setdefault("engine", "python")
        space = LocalSpace(root=tmp_path / f"space{len(spaces)}", **options).start()
        spaces.append(space)
        point_env_at(monkeypatch, space.url, options["token"])
        return space

    yield make
    for space in spaces:
        space.stop()
