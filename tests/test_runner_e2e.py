"""End-to-end: ``streamtest run`` against a real localspace over HTTP (python engine)."""
from __future__ import annotations

import json
import signal

from e2e_support import DYING_STREAM, WAITING_PLAN, clean, project, run, running, stream_plan
from streamtest.cli import main
from waiting import wait_until


def test_passing_stream_plan_with_two_iterations(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    result = run(project(tmp_path), capsys, monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    suites = result.junit
    assert list(suites) == ["setup", "payload 1", "payload 2", "cleanup"]
    assert all(case.is_passed for cases in suites.values() for case in cases.values())
    assert "start job (wait for RUNNING)" in suites["setup"]
    assert clean(localspace) and localspace.leftovers()["workspace_objects"] == 0
    assert result.state["cleaned"] is True and result.state["job_id"]
    outputs = dict(line.split("=", 1) for line in (result.workdir / "github_output.txt").read_text().splitlines())
    assert outputs["result"] == "passed" and outputs["job-id"] == str(result.state["job_id"])
    assert outputs["run-url"].startswith(localspace.url) and float(outputs["duration"]) > 0
    step_summary = (result.workdir / "step_summary.md").read_text()
    assert "```mermaid" in step_summary and "### payload 2" in step_summary
    assert "RUNNING" in result.err and outputs["run-url"] in result.err
    create_calls = [r for r in localspace.request_log if r[1].endswith("/jobs/create")]
    assert len(create_calls) == 1


def test_failing_check_reports_expected_and_last_seen(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("failing", """
        iterations:
          - name: payload 1
            produce: [{upload: data/payload-1, to: "${var.landing}"}]
            validate:
              - name: bronze holds four rows
                sql: SELECT count(*) FROM main.${var.schema}.bronze
                expect: 4
                within: 3s
              - name: never reached
                sql: SELECT 1
        after:
          - name: after still runs
            sql: SELECT 1
            expect: 1
    """))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 1, result.err
    case = result.junit["payload 1"]["bronze holds four rows"]
    failure = case.result[0]
    assert type(failure).__name__ == "Failure"
    assert "expected: 4" in failure.text and 'last seen: "3"' in failure.text
    assert type(result.junit["payload 1"]["never reached"].result[0]).__name__ == "Skipped"
    assert result.junit["cleanup"]["after still runs"].is_passed
    assert clean(localspace)
    outputs = (result.workdir / "github_output.txt").read_text()
    assert "result=failed" in outputs


def test_stream_that_dies_mid_iteration_fails_at_once(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("dies", DYING_STREAM))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 1
    case = result.junit["poison"]["waits for a row that never comes"]
    text = case.result[0].text
    assert "left RUNNING" in text and "poison pill in the landing folder" in text and localspace.url in text
    assert case.time < 60  # failed by the watch, not by waiting out `within`
    assert clean(localspace)


def test_run_stuck_pending_fails_after_start_timeout(space_factory, tmp_path, capsys, monkeypatch):
    space = space_factory(pending=600)
    plan = project(tmp_path, stream_plan("pending", "setup: [{sql: SELECT 1}]\n", start="1s"))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 1
    start = result.junit["setup"]["start job (wait for RUNNING)"].result[0]
    assert "still PENDING" in start.message and "start.timeout" in start.message
    assert type(result.junit["setup"]["sql SELECT 1"].result[0]).__name__ == "Skipped"
    wait_until(lambda: clean(space), 10, "the pending run to be cancelled")


def test_batch_mode_runs_the_job_per_iteration(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path)
    plan = plan.parent / "batch.yml"
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    assert "run job" in result.junit["setup"] and "run job" in result.junit["payload 2"]
    run_nows = [r for r in localspace.request_log if r[1].endswith("/jobs/run-now")]
    assert len(run_nows) == 3
    assert clean(localspace)


def test_each_upload_target(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("uploads", """
        setup:
          - {name: schema, sql: "CREATE SCHEMA IF NOT EXISTS main.up_${run.id}"}
          - {name: volume, sql: "CREATE VOLUME IF NOT EXISTS main.up_${run.id}.files"}
        iterations:
          - name: uploads
            produce:
              - upload: data/payload-1
                to: /Volumes/main/up_${run.id}/files/folder
              - upload: data/payload-2/users-2.csv
                to: /Volumes/main/up_${run.id}/files/single
              - upload: data
                to: dbfs:/tmp/up_${run.id}
              - upload: data/payload-1/users-1.csv
                to: /Workspace/Shared/up_${run.id}
    """))
    result = run(plan, capsys, "--run-id", "u1", monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    paths = localspace.paths
    assert paths.local("/Volumes/main/up_u1/files/folder/users-1.csv").read_text().startswith("id,name")
    assert paths.local("/Volumes/main/up_u1/files/single/users-2.csv").exists()
    assert paths.local("dbfs:/tmp/up_u1/payload-2/users-2.csv").exists()
    assert paths.local("dbfs:/tmp/up_u1/poison/poison.csv").exists()
    assert paths.local("/Workspace/Shared/up_u1/users-1.csv").exists()


def test_each_expectation_form(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("expectations", """
        setup:
          - {name: scalar number, sql: SELECT 15, expect: 15}
          - {name: scalar text, sql: "SELECT 'abc'", expect: abc}
          - {name: "null value", sql: SELECT NULL, expect: null}
          - {name: comparison, sql: SELECT 12, expect: {">": 10, "<=": 12}}
          - {name: rows, sql: "SELECT 1, 'a' UNION ALL SELECT 2, NULL", expect: [[1, a], [2, null]]}
          - {name: row count, sql: SELECT 1 UNION ALL SELECT 2, rows: 2}
          - {name: row count comparison, sql: SELECT 1, rows: {">=": 1}}
          - name: notebook json
            notebook: ${var.root}/validate
            parameters: {schema: "${var.schema}", expected: "0"}
            expect: {status: ok, rows: 0}
          - name: notebook text
            notebook: ${var.root}/setup
            parameters: {schema: "${var.schema}"}
            expect: clean
    """))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    assert len(result.junit["setup"]) == 15  # start compute, deploy, 2 before steps, create, start + 9 checks


def test_oauth_m2m_refreshes_short_lived_tokens(space_factory, tmp_path, capsys, monkeypatch):
    # 1 s tokens are renewed after 0.75 s; the 4 s sleep's stream watch calls come at most
    # ~2.1 s apart, so every gap holds a renewal (a 2 s lifetime made the count timing-dependent)
    space = space_factory(oauth_clients={"sp-e2e": "sp-secret-value-0987"}, token_ttl=1)
    monkeypatch.delenv("DATABRICKS_TOKEN")
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", "sp-e2e")
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", "sp-secret-value-0987")
    plan = project(tmp_path, stream_plan("oauth", """
        setup:
          - {sql: SELECT 1, expect: 1}
          - sleep: 4s
          - {sql: SELECT 2, expect: 2}
    """))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    token_calls = [r for r in space.request_log if r[:2] == ("POST", "/oidc/v1/token")]
    assert len(token_calls) >= 3
    assert not [r for r in space.request_log if r[2] == 401]  # renewed before expiry, never after a 401
    assert ("GET", "/oidc/.well-known/oauth-authorization-server", 200) in space.request_log
    assert "sp-secret-value-0987" not in result.text_of_everything()
    assert clean(space)


def test_sigterm_while_waiting_cleans_up(localspace, workspace_env, tmp_path):
    plan = project(tmp_path, stream_plan("sigterm", WAITING_PLAN))
    with running(plan, workspace_env, localspace) as process:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        err = process.stderr.read()
    assert code == 1, err
    assert "interrupted by SIGTERM" in err
    assert clean(localspace), localspace.leftovers()
    assert json.loads((plan.parent / "state.json").read_text())["cleaned"] is True


def test_cleanup_from_state_after_sigkill(localspace, workspace_env, tmp_path, capsys):
    plan = project(tmp_path, stream_plan("sigkill", WAITING_PLAN))
    with running(plan, workspace_env, localspace) as process:
        process.kill()
        process.wait(timeout=10)
    assert localspace.leftovers()["jobs"] == 1
    state = str(plan.parent / "state.json")
    assert main(["cleanup", "--state", state]) == 0
    assert clean(localspace) and localspace.leftovers()["workspace_objects"] == 0
    assert main(["cleanup", "--state", state]) == 0
    assert "already done" in capsys.readouterr().err
    assert main(["cleanup", "--state", str(tmp_path / "missing.json")]) == 0


def test_a_bad_token_is_exit_3_with_nothing_created(space_factory, tmp_path, capsys, monkeypatch):
    space_factory()
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-wrong-token-000000")
    result = run(project(tmp_path), capsys, monkeypatch=monkeypatch)
    assert result.code == 3
    assert "workspace error" in result.err and "dapi-wrong-token-000000" not in result.text_of_everything()


def test_transient_faults_are_retried_and_create_is_never_duplicated(space_factory, tmp_path, capsys, monkeypatch):
    space = space_factory(faults=[
        {"path": "/jobs/create", "kind": "500", "after_processing": True, "count": 1},
        {"path": "/jobs/runs/get", "kind": "429", "retry_after": 0, "count": 2},
        {"path": "/sql/statements", "kind": "503", "retry_after": 0, "count": 1},
        {"path": "/workspace/import", "kind": "drop", "count": 1},
    ])
    result = run(project(tmp_path), capsys, monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    creates = [r for r in space.request_log if r[1].endswith("/jobs/create")]
    assert [status for _, _, status in creates] == [500]  # recovered by lookup, not re-created
    assert "retrying" in result.err
    assert clean(space)


def test_no_secret_in_any_output(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PIPELINE_API_TOKEN", "pipeline-secret-token-777")
    plan = project(tmp_path, stream_plan("leaks", """
        setup:
          - name: uses ${env.PIPELINE_API_TOKEN}
            sql: SELECT '${env.PIPELINE_API_TOKEN}'
            expect: something else
            within: 1s
    """))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 1
    everything = result.text_of_everything()
    for secret in (workspace_env["DATABRICKS_TOKEN"], "pipeline-secret-token-777"):
        assert secret not in everything
    assert "uses ***" in everything
