"""The SBIT declarative pipeline end to end: the real ``streamtest`` CLI runs
examples/sbit-pipeline's plans against a localspace whose spark engine runs the pipeline.

One emulator (one JVM) serves the module. Each plan makes its own scratch schema, so the
plans share nothing; after each, nothing may be left: no pipeline, update, job, run,
statement, scratch schema or deployed folder. The expected figures are README.md's, written
here again so the test does not trust the plan it checks.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from junitparser import Failure

from e2e_support import REPO, Result, state_has
from localspace.engine import spark_available
from localspace.server import LocalSpace
from waiting import wait_until

pytestmark = [pytest.mark.spark,
              pytest.mark.skipif(not spark_available(), reason="needs pyspark and Java")]

EXAMPLE = REPO / "examples" / "sbit-pipeline"
TOKEN = "dapi-sbit-pipeline-0123456789abcdef"
# After both payloads (README.md): users 5+3+2 kept, the registration without user_id dropped;
# gym_logs 4+4+4 kept, one with its logout before its login counted but kept.
EXPECTATIONS = {"registration without user_id dropped": "passed 10, failed 1",
                "visit with logout before login kept and counted": "passed 11, failed 1"}


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    space = LocalSpace(root=tmp_path_factory.mktemp("sbit-pipeline") / "localspace", engine="spark",
                       token=TOKEN, pending=0.2, catalogs=["dev"]).start()
    yield space
    space.stop()


def command(space: LocalSpace, plan: Path, workdir: Path) -> tuple[list[str], dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABRICKS_", "GITHUB_"))}
    env.update(DATABRICKS_HOST=space.url, DATABRICKS_TOKEN=TOKEN, PYTHONPATH=str(REPO / "scripts"))
    return ([sys.executable, "-m", "streamtest", "run", "-c", str(plan), "--junit", str(workdir / "junit.xml"),
             "--summary", str(workdir / "summary.md"), "--state", str(workdir / "state.json")], env)


def streamtest(space: LocalSpace, plan: Path, workdir: Path) -> Result:
    args, env = command(space, plan, workdir)
    done = subprocess.run(args, cwd=workdir, env=env, capture_output=True, text=True, timeout=280)
    return Result(done.returncode, done.stderr, done.stdout, workdir)


def passed_line(log: str, step: str) -> str:
    """The log's "passed in ..." line of ``step`` (its name is a line of its own, after the time)."""
    lines = log.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(f"] {step}"))
    return next(line for line in lines[start + 1:] if "passed in" in line)


def nothing_left(space: LocalSpace, state: dict) -> bool:
    """No pipeline, update, job, run or statement; the scratch schema and the deployed folder gone."""
    left = space.leftovers()
    schema = state["scratch"]["schema"].split(".")
    deployed = space.paths.workspace_root / "Shared" / "streamtest" / state["run_id"]
    return (left["pipelines"] == 0 and left["active_pipeline_updates"] == 0 and left["jobs"] == 0
            and left["active_runs"] == 0 and left["active_statements"] == 0
            and not (space.root / "volumes" / schema[0] / schema[1]).exists() and not deployed.exists())


@pytest.mark.parametrize("plan", ["streamtest.yml", "streamtest-batch.yml"])
def test_sbit_pipeline_plan_passes(space, tmp_path, plan):
    result = streamtest(space, EXAMPLE / plan, tmp_path)

    assert result.code == 0, result.err[-4000:]
    suites = result.junit
    written = yaml.safe_load((EXAMPLE / plan).read_text())
    assert list(suites) == ["setup", *(it["name"] for it in written["iterations"]), "cleanup"]
    for phase, cases in suites.items():
        for name, case in cases.items():
            assert case.is_passed, (phase, name, [r.message for r in case.result])
    for iteration in written["iterations"]:
        assert {s["name"] for s in iteration["validate"] if "name" in s} <= set(suites[iteration["name"]])
    for name, counts in EXPECTATIONS.items():
        assert counts in passed_line(result.err, name), name
    assert "Pipeline update: [" in (tmp_path / "summary.md").read_text()
    state = result.state
    assert state["cleaned"] and state["pipeline_id"]
    assert len(state["pipeline_updates"]) == (1 if plan == "streamtest.yml" else 2)
    assert f"/pipelines/{state['pipeline_id']}/updates/" in state["run_url"]
    assert f"{space.url}/pipelines/{state['pipeline_id']}/updates/" in (tmp_path / "junit.xml").read_text()
    wait_until(lambda: nothing_left(space, state), 15, "nothing left of the run")


def test_sigterm_while_a_check_waits_stops_and_deletes_the_pipeline(space, tmp_path):
    """SIGTERM while a check waits on the running pipeline (the setup check wants a count that
    never comes): the runner stops the update, deletes the pipeline and drops the scratch schema
    by itself, and says the test was cancelled."""
    shutil.copytree(EXAMPLE, tmp_path, dirs_exist_ok=True)
    plan = tmp_path / "streamtest.yml"
    plan.write_text(plan.read_text().replace("expect: 5\n", "expect: 50\n", 1))
    args, env = command(space, plan, tmp_path)
    log = tmp_path / "stderr.txt"
    with open(log, "w") as err_file:
        process = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=err_file, text=True)
        try:
            wait_until(state_has(tmp_path / "state.json", "pipeline_update_id"), 120, "the update to start")
            wait_until(lambda: "attempt 1: " in log.read_text(), 180, "the first check to be waiting")
            assert space.leftovers()["active_pipeline_updates"] == 1
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    err = log.read_text()
    assert process.returncode == 1, err[-4000:]
    result = Result(process.returncode, err, "", tmp_path)
    assert "cancelled" in (tmp_path / "junit.xml").read_text()
    assert "stopped pipeline" in err and "deleted pipeline" in err
    wait_until(lambda: nothing_left(space, result.state), 15, "nothing left of the run")


TINY_SOURCE = '''# Databricks notebook source
import dlt


@dlt.table
@dlt.expect{how}("small_ids", "id < 3")
def numbers():
    return spark.range(5)
'''

TINY_PLAN = """
version: 1
name: tiny-{how}
scratch: {{catalog: dev, schema: "tiny_${{run.id}}"}}
deploy: {{from: src, to: "/Workspace/Shared/streamtest/${{run.id}}"}}
pipeline:
  libraries: [{{notebook: {{path: numbers}}}}]
  catalog: ${{scratch.catalog}}
  schema: ${{scratch.schema_name}}
  continuous: {continuous}
  serverless: true
compute: {{warehouse_id: localspace}}
setup:
  - name: no id too large
    expectation: {{dataset: numbers, name: small_ids, failed: 0}}
{within}"""


def tiny(tmp_path: Path, how: str, continuous: bool) -> Path:
    """Five ids, two of them breaking the expectation ``small_ids``: warned (``how`` "") or failing the update ("_or_fail")."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "numbers.py").write_text(TINY_SOURCE.format(how=how))
    plan = tmp_path / "streamtest.yml"
    plan.write_text(TINY_PLAN.format(how=how.strip("_") or "warn", continuous=str(continuous).lower(),
                                     within="    within: 1m\n" if continuous else ""))
    return plan


def test_a_failing_expectation_fails_its_check_and_keep_on_failure_keeps_the_pipeline(space, tmp_path):
    """The check names what it counted; --keep-on-failure leaves the pipeline (its update ended)
    and the scratch schema, and ``streamtest cleanup --state`` removes them later, from the
    state file alone."""
    args, env = command(space, tiny(tmp_path, "", continuous=False), tmp_path)
    done = subprocess.run([*args, "--keep-on-failure"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=280)
    result = Result(done.returncode, done.stderr, done.stdout, tmp_path)

    assert result.code == 1, result.err[-4000:]
    case = result.junit["setup"]["no id too large"]
    message, detail = case.result[0].message, case.result[0].text
    assert message == "expectation numbers.small_ids: failed 2 (wanted 0)", message
    assert "last seen: passed 3, failed 2 (over 1 flow_progress event(s))" in detail, detail
    state = result.state
    assert state["kept"] and not state.get("cleaned")
    assert f"kept for debugging (--keep-on-failure): pipeline {state['pipeline_id']} (with its tables)" in result.err
    assert space.leftovers()["pipelines"] == 1 and space.leftovers()["active_pipeline_updates"] == 0

    cleanup = subprocess.run([sys.executable, "-m", "streamtest", "cleanup", "--state", str(tmp_path / "state.json")],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert cleanup.returncode == 0, cleanup.stderr
    assert f"deleted pipeline {state['pipeline_id']}" in cleanup.stderr
    wait_until(lambda: nothing_left(space, state), 15, "nothing left of the run")


def test_an_update_that_fails_ends_the_test_at_once_with_the_event_logs_error(space, tmp_path):
    result = streamtest(space, tiny(tmp_path, "_or_fail", continuous=True), tmp_path)

    assert result.code == 1, result.err[-4000:]
    failed = [(phase, name, case.result[0].message) for phase, cases in result.junit.items()
              for name, case in cases.items() if case.result and isinstance(case.result[0], Failure)]
    assert len(failed) == 1, failed
    phase, name, message = failed[0]
    # the update may fail before it says RUNNING or just after: either ends the test at once
    assert (phase, name) in {("setup", "start pipeline (wait for RUNNING)"), ("setup", "no id too large")}, failed
    assert message.startswith(("the update ended before it was RUNNING: FAILED",
                               "the pipeline update left RUNNING: FAILED")), message
    assert "small_ids" in message, message
    assert "not met within" not in message
    wait_until(lambda: nothing_left(space, result.state), 15, "nothing left of the run")

