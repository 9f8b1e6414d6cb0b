"""The scratch namespace and teardown steps, end to end: ``streamtest run`` against a real
localspace over HTTP (python engine), then the workspace asked through the Unity Catalog
API (the official SDK, a client of its own) whether the schema is gone or kept."""
from __future__ import annotations

import json
import signal
import textwrap

import pytest
from databricks.sdk.errors import NotFound

from conftest import TEST_TOKEN
from e2e_support import Result, clean, project, run, running, spawn
from localspace_helpers import client, make_volume
from streamtest.cli import main
from waiting import wait_until

SCRATCH_PLAN = """
version: 1
name: {name}
vars:
  root: /Workspace/Shared/streamtest/${{run.id}}
deploy: {{from: notebooks, to: "${{var.root}}"}}
scratch:
  catalog: {catalog}
  schema: st_${{run.id}}
  volumes: [landing, checkpoints]
job:
  name: {name}-${{run.id}}
  tasks:
    - task_key: run
      notebook_task:
        notebook_path: ${{var.root}}/run
        base_parameters: {{landing: "${{scratch.volume.landing}}", schema: "${{scratch.schema}}"}}
start: {{timeout: 30s}}
compute: {{warehouse_id: localspace}}
iterations:
  - name: payload 1
    produce: [{{upload: data/payload-1, to: "${{scratch.volume.landing}}"}}]
    validate:
      - name: bronze holds payload 1
        sql: SELECT count(*) FROM ${{scratch.schema}}.bronze
        expect: {expected}
        within: {within}
"""

TEARDOWN_SEES_THE_TABLES = """
teardown:
  - name: bronze is still there
    sql: SELECT count(*) FROM ${scratch.schema}.bronze
    expect: 3
"""


def scratch_plan(tmp_path, name: str, *, expected: int = 3, within: str = "30s", catalog: str = "dev",
                 extra: str = TEARDOWN_SEES_THE_TABLES):
    text = SCRATCH_PLAN.format(name=name, catalog=catalog, expected=expected, within=within)
    return project(tmp_path, text + textwrap.dedent(extra))


def schema_exists(space, full_name: str) -> bool:
    try:
        client(space, TEST_TOKEN).schemas.get(full_name)
    except NotFound:
        return False
    return True


def volumes_of(space, full_name: str) -> set[str]:
    catalog, schema = full_name.split(".")
    return {v.name for v in client(space, TEST_TOKEN).volumes.list(catalog, schema)}


def nothing_left(space) -> bool:
    return clean(space) and space.leftovers()["workspace_objects"] == 0


def indexes(space, method: str, suffix: str) -> list[int]:
    return [i for i, (m, path, _) in enumerate(space.request_log) if m == method and path.endswith(suffix)]


def terminated(plan, env, space, run_id: str, ready, what: str) -> tuple[int, str]:
    """``streamtest run`` as a process, SIGTERM once ``ready()``; its exit code and stderr. It
    must exit by itself within GitHub's window (SIGKILL comes 10 s after the first signal)."""
    with running(plan, env, space, "--run-id", run_id) as process:
        wait_until(ready, 30, what)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        return code, process.stderr.read()


def test_pass_creates_uses_and_drops_the_schema(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    result = run(scratch_plan(tmp_path, "scratch-pass"), capsys, "--run-id", "sp1", monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    setup, cleanup = result.junit["setup"], result.junit["cleanup"]
    assert setup["create scratch schema dev.st_sp1"].is_passed
    assert cleanup["bronze is still there"].is_passed and cleanup["drop scratch schema"].is_passed
    assert list(setup).index("create scratch schema dev.st_sp1") < list(setup).index("create job")
    assert not schema_exists(localspace, "dev.st_sp1")
    assert nothing_left(localspace), localspace.leftovers()
    state = result.state["scratch"]
    assert state["created"] is True and state["dropped"] is True
    assert state["volumes"] == ["/Volumes/dev/st_sp1/landing", "/Volumes/dev/st_sp1/checkpoints"]
    # the run ended, then teardown's statement, then the drop, then the deployed folder (teardown may use it)
    cancel = indexes(localspace, "POST", "/jobs/runs/cancel")[0]
    teardown_sql = indexes(localspace, "POST", "/sql/statements")[-1]
    drop = indexes(localspace, "DELETE", "/unity-catalog/schemas/dev.st_sp1")[0]
    folder = indexes(localspace, "POST", "/workspace/delete")[0]
    assert cancel < teardown_sql < drop < folder
    names = list(cleanup)  # reports list cleanup in the order it happened
    assert names.index("wait for runs to end") < names.index("bronze is still there") < names.index("drop scratch schema")
    # The run was seen ending while its job still existed: after jobs/delete its runs/get
    # answers "does not exist" even while it is still stopping (databricks-api.md, jobs/delete).
    assert names.index("wait for runs to end") < names.index("delete job")
    job_delete = indexes(localspace, "POST", "/jobs/delete")[0]
    gets = [i for i in range(cancel, drop) if "/jobs/runs/get" in localspace.request_log[i][1]]
    assert gets and max(gets) < job_delete
    assert all(localspace.request_log[i][2] == 200 for i in gets)


def test_fail_still_tears_down_and_drops(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = scratch_plan(tmp_path, "scratch-fail", expected=4, within="2s", extra="""
        teardown:
          - name: a teardown step that fails
            sql: SELECT count(*) FROM ${scratch.schema}.no_such_table
            expect: 1
          - name: the next one still runs
            sql: SELECT count(*) FROM ${scratch.schema}.bronze
            expect: 3
    """)
    result = run(plan, capsys, "--run-id", "sf1", monkeypatch=monkeypatch)
    assert result.code == 1, result.err
    cleanup = result.junit["cleanup"]
    assert type(cleanup["a teardown step that fails"].result[0]).__name__ == "Failure"
    assert cleanup["the next one still runs"].is_passed and cleanup["drop scratch schema"].is_passed
    assert not schema_exists(localspace, "dev.st_sf1")
    assert nothing_left(localspace), localspace.leftovers()


def test_sigterm_mid_iteration_tears_down_and_drops(localspace, workspace_env, tmp_path, capsys):
    plan = scratch_plan(tmp_path, "scratch-term", expected=99, within="10m")
    landed = localspace.paths.local("/Volumes/dev/st_term1/landing/users-1.csv")
    code, err = terminated(plan, workspace_env, localspace, "term1", landed.exists, "payload 1 in the scratch volume")
    assert code == 1, err
    assert "interrupted by SIGTERM" in err and "dropped schema dev.st_term1" in err
    assert "bronze is still there" in err and not schema_exists(localspace, "dev.st_term1")
    assert nothing_left(localspace), localspace.leftovers()
    state = str(plan.parent / "state.json")
    assert main(["cleanup", "--state", state]) == 0  # the action's always() step: nothing more to do
    again = capsys.readouterr().err
    if "was in flight when interrupted" in err:  # the run asked always() to look again, and it finds all gone
        assert "schema dev.st_term1 already dropped" in again and "deleted" not in again.replace("already deleted", "")
    else:
        assert "already done" in again
    assert nothing_left(localspace)


def test_a_signal_during_teardown_still_drops_the_schema(localspace, workspace_env, tmp_path):
    plan = scratch_plan(tmp_path, "scratch-late", extra="""
        teardown:
          - name: a slow teardown step
            sleep: 30s
          - name: the next step still runs
            sql: SELECT 1
            expect: 1
    """)
    # the job is deleted and the schema still there: cleanup is in the teardown's sleep
    code, err = terminated(plan, workspace_env, localspace, "late1", lambda: localspace.leftovers()["jobs"] == 0
                           and schema_exists(localspace, "dev.st_late1"), "the teardown step to be running")
    assert code == 1, err
    assert "interrupted by SIGTERM during cleanup; finishing cleanup" in err
    cleanup = Result(code, err, "", plan.parent).junit["cleanup"]
    assert "cancelled" in cleanup["a slow teardown step"].result[0].message
    assert cleanup["the next step still runs"].is_passed  # the rest of teardown, within cleanup.timeout
    assert "dropped schema dev.st_late1" in err and not schema_exists(localspace, "dev.st_late1")
    assert nothing_left(localspace), localspace.leftovers()


def test_sigkill_mid_iteration_then_cleanup_drops_the_schema(localspace, workspace_env, tmp_path, capsys):
    plan = scratch_plan(tmp_path, "scratch-kill", expected=99, within="10m")
    landed = localspace.paths.local("/Volumes/dev/st_kill1/landing/users-1.csv")
    with running(plan, workspace_env, localspace, "--run-id", "kill1") as process:
        wait_until(landed.exists, 30, "payload 1 in the scratch volume")
        process.kill()
        process.wait(timeout=10)
    assert schema_exists(localspace, "dev.st_kill1")
    state = plan.parent / "state.json"
    assert json.loads(state.read_text())["scratch"]["created"] is True
    assert main(["cleanup", "--state", str(state)]) == 0
    assert not schema_exists(localspace, "dev.st_kill1")
    assert nothing_left(localspace), localspace.leftovers()
    assert main(["cleanup", "--state", str(state)]) == 0
    assert "already done" in capsys.readouterr().err


def test_sigkill_while_the_create_is_on_the_wire_then_cleanup_finds_the_schema(space_factory, tmp_path, capsys):
    space = space_factory(catalogs=["dev"], pending=0.2, faults=[
        {"path": r"/unity-catalog/schemas$", "kind": "delay", "delay": 3, "count": 1}])
    plan = scratch_plan(tmp_path, "scratch-wire")
    process = spawn(plan, {}, "--run-id", "wire1")
    try:
        wait_until(lambda: space.fault_plan.rules[0].matches >= 1, 30, "the schema create on the wire")
        process.kill()
        process.wait(timeout=10)
    finally:
        process.stdout.close()
        process.stderr.close()
    state = plan.parent / "state.json"
    assert json.loads(state.read_text())["scratch"]["created"] is False  # only the intent was written
    wait_until(lambda: schema_exists(space, "dev.st_wire1"), 10, "the held create to land")
    assert main(["cleanup", "--state", str(state)]) == 0  # finds it by this run's comment
    assert not schema_exists(space, "dev.st_wire1")
    assert nothing_left(space), space.leftovers()


def test_a_schema_that_already_exists_is_refused_and_kept(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    make_volume(client(localspace, TEST_TOKEN), "dev.st_old1.precious")
    result = run(scratch_plan(tmp_path, "scratch-old"), capsys, "--run-id", "old1", monkeypatch=monkeypatch)
    assert result.code == 3, result.err
    create = result.junit["setup"]["create scratch schema dev.st_old1"].result[0]
    assert "dev.st_old1 already exists" in create.message and "did not create it" in create.message
    assert "workspace error" not in create.message  # the fix, not the HTTP exchange
    assert type(result.junit["setup"]["create job"].result[0]).__name__ == "Skipped"
    assert "this run created no scratch schema" in result.junit["cleanup"]["bronze is still there"].result[0].message
    assert schema_exists(localspace, "dev.st_old1") and volumes_of(localspace, "dev.st_old1") == {"precious"}
    assert not indexes(localspace, "DELETE", "/unity-catalog/schemas/dev.st_old1")
    assert "scratch" not in result.state or not result.state["scratch"]
    assert nothing_left(localspace), localspace.leftovers()


def test_keep_on_failure_keeps_the_schema_until_cleanup(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = scratch_plan(tmp_path, "scratch-keep", expected=4, within="2s")
    result = run(plan, capsys, "--run-id", "keep1", "--keep-on-failure", monkeypatch=monkeypatch)
    assert result.code == 1, result.err
    assert "scratch schema dev.st_keep1" in result.err and "kept for debugging" in result.err
    teardown = result.junit["cleanup"]["bronze is still there"].result[0]
    assert type(teardown).__name__ == "Skipped" and "keep-on-failure" in teardown.message
    assert schema_exists(localspace, "dev.st_keep1")
    assert volumes_of(localspace, "dev.st_keep1") == {"landing", "checkpoints"}
    assert result.state.get("kept") is True and not result.state.get("cleaned")
    assert main(["cleanup", "--state", str(result.workdir / "state.json")]) == 0
    assert not schema_exists(localspace, "dev.st_keep1")
    assert nothing_left(localspace), localspace.leftovers()


def test_a_missing_catalog_ends_the_run_with_the_fix(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    result = run(scratch_plan(tmp_path, "scratch-nocat", catalog="nowhere"), capsys, "--run-id", "nc1",
                 monkeypatch=monkeypatch)
    assert result.code == 3, result.err
    create = result.junit["setup"]["create scratch schema nowhere.st_nc1"].result[0]
    assert "catalog 'nowhere' does not exist" in create.message and "scratch.catalog" in create.message
    assert nothing_left(localspace), localspace.leftovers()


@pytest.mark.parametrize("kind", ["500", "drop"])
def test_a_lost_create_reply_makes_one_schema_and_drops_it(space_factory, tmp_path, capsys, monkeypatch, kind):
    space = space_factory(catalogs=["dev"], pending=0.2, faults=[
        {"path": r"/unity-catalog/schemas$", "kind": kind, "after_processing": True, "count": 1}])
    result = run(scratch_plan(tmp_path, "scratch-lost"), capsys, "--run-id", "lost1", monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    creates = [status for method, path, status in space.request_log
               if method == "POST" and path.endswith("/unity-catalog/schemas")]
    assert len(creates) == 1  # recovered by looking the schema up (this run's comment), not re-created
    assert not schema_exists(space, "dev.st_lost1")
    assert nothing_left(space), space.leftovers()


def test_the_schema_is_not_dropped_while_the_run_may_still_write(space_factory, tmp_path, capsys, monkeypatch):
    # runs/cancel keeps failing, so the run (of a job kept by delete_job: false) never ends in cleanup
    space = space_factory(catalogs=["dev"], pending=0.2, faults=[
        {"path": r"/jobs/runs/cancel$", "kind": "503", "retry_after": 0}])
    monkeypatch.setenv("STREAMTEST_RETRY_BUDGET", "1")
    plan = scratch_plan(tmp_path, "scratch-busy", extra=TEARDOWN_SEES_THE_TABLES + """
cleanup: {delete_job: false, timeout: 1s}
""")
    result = run(plan, capsys, "--run-id", "busy1", monkeypatch=monkeypatch)
    assert result.code == 3, result.err
    assert "not dropped while a run may still write into it" in result.err
    assert "did not end" in result.junit["cleanup"]["bronze is still there"].result[0].message
    assert schema_exists(space, "dev.st_busy1") and not result.state.get("cleaned")
    space.fault_plan.rules.clear()  # the workspace heals; the always() step runs
    assert main(["cleanup", "--state", str(result.workdir / "state.json")]) == 0
    assert not schema_exists(space, "dev.st_busy1")
    assert space.leftovers()["active_runs"] == 0 and space.leftovers()["jobs"] == 1  # delete_job: false
