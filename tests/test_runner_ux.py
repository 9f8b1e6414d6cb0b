"""What a user sees when things go wrong: an unreachable workspace, long waits, errors that
cannot heal, dead runs, and the command's own help (localspace over HTTP, python engine)."""
from __future__ import annotations

import socket
import time

import pytest

from e2e_support import DYING_STREAM, clean, project, run, stream_plan
from streamtest.cli import main


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("host, says", [
    (lambda port: f"http://127.0.0.1:{port}", "is localspace running?"),
    (lambda port: f"127.0.0.1:{port}", "set DATABRICKS_HOST=http://127.0.0.1:"),
    (lambda port: f"htp://127.0.0.1:{port}", "set DATABRICKS_HOST=http://127.0.0.1:"),
])
def test_a_workspace_that_cannot_be_reached_fails_at_once(host, says, workspace_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", host(free_port()))
    started = time.monotonic()
    result = run(project(tmp_path), capsys, monkeypatch=monkeypatch)
    assert result.code == 3, result.err
    assert time.monotonic() - started < 10
    assert says in result.err and "nothing was created" in result.err
    assert "retrying" not in result.err
    assert not (result.workdir / "state.json").exists()


def test_https_to_a_plain_http_emulator_names_the_fix(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", localspace.url.replace("http://", "https://"))
    started = time.monotonic()
    result = run(project(tmp_path), capsys, monkeypatch=monkeypatch)
    assert result.code == 3 and time.monotonic() - started < 10
    assert f"DATABRICKS_HOST={localspace.url}" in result.err and "plain HTTP" in result.err
    assert localspace.leftovers()["jobs"] == 0 and localspace.leftovers()["workspace_objects"] == 0


def test_a_host_name_that_does_not_resolve_fails_at_once(workspace_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", "https://streamtest-no-such-workspace.invalid")
    started = time.monotonic()
    result = run(project(tmp_path), capsys, monkeypatch=monkeypatch)
    assert result.code == 3 and time.monotonic() - started < 10
    assert "cannot resolve streamtest-no-such-workspace.invalid" in result.err


def test_waits_give_a_sign_of_life(space_factory, tmp_path, capsys, monkeypatch):
    space = space_factory(pending=2.5)
    plan = project(tmp_path, stream_plan("heartbeat", """
        setup:
          - name: never one
            sql: SELECT 0
            expect: 1
            within: 2.5s
    """))
    result = run(plan, capsys, "--heartbeat", "1s", monkeypatch=monkeypatch)
    assert result.code == 1
    assert "still waiting for run 7" in result.err and "to be RUNNING" in result.err
    assert "last: PENDING" in result.err
    beats = [line for line in result.err.splitlines() if "still waiting for 'never one'" in line]
    assert beats and "of 2.5s" in beats[0] and "attempts" in beats[0] and 'last: got "0"' in beats[0]
    assert clean(space)


def test_a_syntax_error_fails_the_check_at_once(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("syntax", """
        setup:
          - name: typo
            sql: SELEC count(*)
            expect: 1
            within: 5m
    """))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 1
    case = result.junit["setup"]["typo"]
    assert case.time < 30
    assert "syntax error" in case.result[0].message and "waiting cannot fix" in case.result[0].message
    assert case.result[0].message.count("syntax error") == 1
    assert clean(localspace)


def test_a_missing_table_still_waits(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("missing", """
        setup:
          - name: not there yet
            sql: SELECT count(*) FROM main.nosuch.t
            expect: 1
            within: 2s
    """))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    message = result.junit["setup"]["not there yet"].result[0].message
    assert result.code == 1 and "not met within 2.0s" in message and "TABLE_OR_VIEW_NOT_FOUND" in message
    assert "(1 attempts)" not in message


def test_a_dead_run_shows_its_notebook_frame_everywhere(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    result = run(project(tmp_path, stream_plan("frames", DYING_STREAM)), capsys, monkeypatch=monkeypatch)
    assert result.code == 1
    frame = "/run, cell 2>"
    junit_text = result.junit["poison"]["waits for a row that never comes"].result[0].text
    summary = (result.workdir / "summary.md").read_text()
    for text in (result.err, junit_text, summary):
        assert frame in text and "RuntimeError: poison pill in the landing folder" in text
    assert 'raise RuntimeError("poison pill in the landing folder")' in junit_text


def test_a_failed_check_links_the_run_page_once_with_no_repeated_text(
        localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("link", """
        setup:
          - {name: seven, sql: SELECT 7, expect: 8, within: 1s}
          - {name: rows, sql: "SELECT 1 UNION ALL SELECT 2", expect: [[1], [3]]}
    """))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 1
    url = result.state["run_url"]
    assert url and url in result.junit["setup"]["seven"].result[0].text
    summary = (result.workdir / "summary.md").read_text()
    row = next(line for line in summary.splitlines() if line.startswith("| seven |"))
    assert f"[run]({url})" in row
    bullet = next(line for line in summary.splitlines() if line.startswith("- **setup / seven**"))
    assert bullet.count("expected") == 1 and bullet.count('"7"') == 1


def test_rows_differ_attempt_lines_show_the_rows(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("rows", """
        setup:
          - {name: rows, sql: "SELECT 1 UNION ALL SELECT 2", expect: [[1], [3]], within: 1s}
    """))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    attempt = next(line for line in result.err.splitlines() if "attempt 1:" in line)
    assert "rows differ" in attempt and '[["1"], ["2"]]' in attempt


def test_iterations_runs_only_the_first_n(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    result = run(project(tmp_path), capsys, "--iterations", "1", monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    assert all(case.is_passed for case in result.junit["payload 1"].values())
    skipped = result.junit["payload 2"]["bronze holds both payloads"].result[0]
    assert type(skipped).__name__ == "Skipped" and "--iterations 1" in skipped.message
    summary = (result.workdir / "summary.md").read_text()
    assert "- **payload 2 / 3 steps**: not run (--iterations 1)" in summary  # one bullet, not three
    assert result.junit["cleanup"]["sleep 0ms"].is_passed  # `after` and cleanup as always
    assert clean(localspace) and localspace.leftovers()["workspace_objects"] == 0


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("streamtest ")


def test_run_help_names_the_environment_and_the_reports(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    for word in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_SECRET", "github-oidc",
                 "GITHUB_STEP_SUMMARY", "only with --junit", "--iterations", "--heartbeat"):
        assert word in text, word


def test_the_warehouse_is_started_before_the_job(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    result = run(project(tmp_path), capsys, "--iterations", "0", monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    calls = [(method, path) for method, path, _ in localspace.request_log]
    start = calls.index(("POST", "/api/2.0/sql/warehouses/localspace/start"))
    assert start < calls.index(("POST", "/api/2.2/jobs/create"))
    assert list(result.junit["setup"])[0] == "start compute ahead"
    assert result.junit["setup"]["start compute ahead"].is_passed  # started, or said why not


BOOM = """# Databricks notebook source
print("loading the lookup table")

# COMMAND ----------

def load():
    raise ValueError("lookup table is empty")

load()
"""


def test_a_failed_notebook_step_shows_its_frames_and_what_it_printed(
        localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("boom", """
        before:
          - name: boom
            notebook: ${var.root}/boom
    """))
    (plan.parent / "notebooks" / "boom.py").write_text(BOOM)
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 1
    text = result.junit["setup"]["boom"].result[0].text
    assert "ValueError: lookup table is empty" in text
    assert "/boom, cell 2>" in text and 'raise ValueError("lookup table is empty")' in text
    assert "loading the lookup table" in text  # the notebook's printed output
    assert clean(localspace)
