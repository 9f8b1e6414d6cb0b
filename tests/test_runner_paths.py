"""End-to-end paths the main flow tests do not take: a continuous job, large DBFS and
/Workspace uploads, ``--keep-on-failure`` and the GitHub Actions reporting (python engine)."""
from __future__ import annotations

import random
import signal
import threading

from e2e_support import WAITING_PLAN, clean, project, run, running, stream_plan
from localspace.jobs import models as jobs_models
from streamtest.cli import main
from waiting import wait_until

UNPAUSED = "continuous: {pause_status: UNPAUSED}"

ONE_CHECK = """
    setup:
      - name: bronze exists
        sql: SELECT count(*) FROM main.${var.schema}.bronze
        expect: 0
        within: 20s
"""

FAILING = """
    iterations:
      - name: payload 1
        produce: [{upload: data/payload-1, to: "${var.landing}"}]
        validate:
          - name: bronze holds four rows
            sql: SELECT count(*) FROM main.${var.schema}.bronze
            expect: 4
            within: 2s
"""


def runs_of(space, job_id: int) -> list:
    return space.jobs.list_runs(job_id, active_only=False, completed_only=False, run_type=None, with_deleted=True)


def restarts_settled(job_id: int):
    """The emulator restarts a continuous job's ended run from a thread of this name: once
    none is left, it has decided whether a new run starts."""
    name = f"localspace-continuous-{job_id}"
    return lambda: not any(t.name == name for t in threading.enumerate())


def calls(space) -> list[str]:
    return [f"{method} {path}" for method, path, _ in space.request_log]


# -- a continuous job ---------------------------------------------------------------------

def test_continuous_job_uses_its_own_run_and_cleanup_stops_it_for_good(
        localspace, workspace_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(jobs_models, "CONTINUOUS_RESTART", 0.0)  # worst case: restarts at once
    plan = project(tmp_path, stream_plan("continuous", ONE_CHECK, job_extra=UNPAUSED))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    job_id, run_id = result.state["job_id"], result.state["job_run_id"]
    assert not [c for c in calls(localspace) if c.endswith("/jobs/run-now")]  # the job started itself
    log = calls(localspace)
    assert log.index("POST /api/2.2/jobs/update") < log.index("POST /api/2.2/jobs/delete")  # paused first
    wait_until(restarts_settled(job_id), 10, "the emulator's restart decision")
    assert clean(localspace), localspace.leftovers()
    assert [(r.run_id, r.done) for r in runs_of(localspace, job_id)] == [(run_id, True)]


def test_kept_continuous_job_is_paused_with_no_run(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(jobs_models, "CONTINUOUS_RESTART", 0.0)
    plan = project(tmp_path, stream_plan("continuous-kept", ONE_CHECK + "    cleanup: {delete_job: false}\n",
                                         job_extra=UNPAUSED))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    job_id = result.state["job_id"]
    wait_until(restarts_settled(job_id), 10, "the emulator's restart decision")
    assert localspace.jobs.job(job_id).settings["continuous"]["pause_status"] == "PAUSED"
    assert localspace.leftovers()["active_runs"] == 0
    assert [r.done for r in runs_of(localspace, job_id)] == [True]


# -- jobs/create that never arrived ------------------------------------------------------

def test_a_create_that_never_arrived_is_looked_up_then_sent_again(space_factory, tmp_path, capsys, monkeypatch):
    space = space_factory(faults=[{"path": "/jobs/create", "kind": "drop", "count": 1}])
    result = run(project(tmp_path, stream_plan("lost-create", ONE_CHECK)), capsys, monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    creates = [status for _, path, status in space.request_log if path.endswith("/jobs/create")]
    assert creates == [0, 200]  # dropped before it was applied, then sent again
    log = calls(space)
    first, second = [i for i, c in enumerate(log) if c.endswith("/jobs/create")]
    assert "GET /api/2.2/jobs/list" in log[first:second]  # looked for it before sending it again
    assert clean(space)


# -- uploads ------------------------------------------------------------------------------

def test_large_dbfs_upload_and_workspace_folder_upload(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("big-upload", """
        iterations:
          - name: uploads
            produce:
              - upload: data/big
                to: dbfs:/tmp/big_${run.id}
              - upload: data/tree
                to: /Workspace/Shared/tree_${run.id}
    """))
    blob = random.Random(7).randbytes(2 * 1024 * 1024 + 12345)  # three blocks, the last one short
    (plan.parent / "data" / "big").mkdir()
    (plan.parent / "data" / "big" / "blob.bin").write_bytes(blob)
    tree = plan.parent / "data" / "tree"
    (tree / "nested" / "deeper").mkdir(parents=True)
    (tree / "top.csv").write_text("id,name\n1,a\n")
    (tree / "nested" / "deeper" / "conf.json").write_text('{"env": "dev"}\n')
    result = run(plan, capsys, "--run-id", "big1", monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    paths = localspace.paths
    assert paths.local("dbfs:/tmp/big_big1/blob.bin").read_bytes() == blob
    log = calls(localspace)
    dbfs = [c.rsplit("/", 1)[1] for c in log if "/dbfs/" in c and not c.endswith("/mkdirs")]
    assert dbfs == ["create", "add-block", "add-block", "add-block", "close"]
    assert paths.local("/Workspace/Shared/tree_big1/top.csv").read_text() == "id,name\n1,a\n"
    assert paths.local("/Workspace/Shared/tree_big1/nested/deeper/conf.json").read_text() == '{"env": "dev"}\n'
    assert localspace.workspace.get_status("/Workspace/Shared/tree_big1/nested/deeper/conf.json") \
        .object_type == "FILE"


# -- keep-on-failure ----------------------------------------------------------------------

def test_keep_on_failure_keeps_job_and_folder_but_cancels_the_run(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("kept", FAILING))
    result = run(plan, capsys, "--keep-on-failure", monkeypatch=monkeypatch)
    assert result.code == 1, result.err
    state_path = result.workdir / "state.json"
    job_id, run_id = result.state["job_id"], result.state["job_run_id"]
    left = localspace.leftovers()
    assert left["jobs"] == 1 and left["active_runs"] == 0 and left["workspace_objects"] > 0
    assert localspace.jobs.run(run_id).life == "TERMINATED"
    assert f"streamtest cleanup --state {state_path}" in result.err
    assert f"job {job_id}" in result.err and f"Run {run_id} was cancelled" in result.err
    assert result.state.get("cleaned") is not True and result.state["kept"] is True
    kept = result.junit["cleanup"]["keep job and notebooks (keep-on-failure)"]
    assert f"streamtest cleanup --state {state_path}" in kept.result[0].message
    assert f"streamtest cleanup --state {state_path}" in (result.workdir / "summary.md").read_text()

    capsys.readouterr()
    assert main(["cleanup", "--state", str(state_path)]) == 0
    assert clean(localspace) and localspace.leftovers()["workspace_objects"] == 0
    assert main(["cleanup", "--state", str(state_path)]) == 0
    assert "already done" in capsys.readouterr().err


def test_keep_on_failure_does_not_apply_to_a_pass(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    result = run(project(tmp_path, stream_plan("kept-pass", ONE_CHECK)), capsys, "--keep-on-failure",
                 monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    assert clean(localspace) and localspace.leftovers()["workspace_objects"] == 0
    assert result.state["cleaned"] is True and "keep-on-failure" not in result.err


def test_keep_on_failure_does_not_apply_to_a_cancelled_run(localspace, workspace_env, tmp_path):
    plan = project(tmp_path, stream_plan("kept-cancel", WAITING_PLAN))
    with running(plan, workspace_env, localspace, "--keep-on-failure") as process:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=10)
        err = process.stderr.read()
    assert code == 1, err
    assert clean(localspace) and localspace.leftovers()["workspace_objects"] == 0


# -- GitHub Actions -----------------------------------------------------------------------

def test_github_actions_folds_annotations_outputs_and_summary(
        localspace, workspace_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    plan = project(tmp_path, stream_plan("actions", FAILING))
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 1, result.err
    folds = [line for line in (result.err + result.out).splitlines() if line.startswith(("::group::", "::endgroup::"))]
    assert folds[0] == "::group::setup" and "::group::iteration 1: payload 1" in folds
    assert folds == [f for pair in zip(folds[::2], folds[1::2]) for f in pair]  # never nested
    assert all(a.startswith("::group::") and b == "::endgroup::" for a, b in zip(folds[::2], folds[1::2]))
    assert len(folds) % 2 == 0
    errors = [line for line in result.out.splitlines() if line.startswith("::error")]
    assert len(errors) == 1
    assert errors[0].startswith("::error title=payload 1%3A bronze holds four rows::")
    assert 'got "3", expected 4' in errors[0] and errors[0].count("expected") == 1  # said once, not repeated

    outputs = dict(line.split("=", 1) for line in (result.workdir / "github_output.txt").read_text().splitlines())
    assert set(outputs) == {"result", "junit-path", "job-id", "run-id", "run-url", "duration"}
    assert outputs["result"] == "failed"
    assert outputs["junit-path"] == str(result.workdir / "junit.xml")
    assert outputs["job-id"] == str(result.state["job_id"]) and outputs["run-id"] == str(result.state["job_run_id"])
    assert outputs["run-url"] == result.state["run_url"] and outputs["run-url"].startswith(localspace.url)
    assert float(outputs["duration"]) > 0

    summary = (result.workdir / "step_summary.md").read_text()
    for phase in ("setup", "payload 1", "cleanup"):
        assert f"### {phase}\n\n| step | result | time | link |" in summary
    assert "| bronze holds four rows | ❌ failed" in summary
    gantt = summary[summary.index("```mermaid"):]
    assert gantt.startswith("```mermaid\ngantt\n") and "    section setup" in gantt
    assert "    section payload 1" in gantt and "    section cleanup" in gantt
    assert "bronze holds four rows  crit" in gantt.replace(":", " ")
    assert clean(localspace)
