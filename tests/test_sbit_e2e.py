"""The SBIT example end to end: the real ``streamtest`` CLI runs examples/sbit's plans against
a localspace whose spark engine really streams, on Delta Lake: the bundle plan (the stream
test, with the job from the example's bundle), the batch plan and the broken plan.

One emulator (one JVM) serves the module, as one workspace serves a team; every plan makes
a scratch schema of its own (``dev.sbit_<run id>``), so the plans do not see each other's
tables, and drops it at the end. The expected numbers are the hand-computed ones of
examples/sbit/README.md, written here again so the test does not trust the plan it checks:
they are checked by ``teardown`` steps the test appends to a copy of the plan, the moment
before the schema is dropped. Beyond the counts, the tables' Delta history shows how each
layer wrote (bronze streamed appends, silver and gold MERGE), and the bronze rows name the
volume file they came from, as a Databricks path. After each run nothing is left: no job,
run, statement or streaming query, no deployed folder, no scratch schema or volume.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from junitparser import Failure, Skipped

from e2e_support import REPO, Result
from localspace.engine import spark_available
from localspace.server import LocalSpace
from localspace_helpers import client
from waiting import wait_until

pytestmark = [pytest.mark.spark,
              pytest.mark.skipif(not spark_available(), reason="needs pyspark and Java")]

SBIT = REPO / "examples" / "sbit"
TOKEN = "dapi-sbit-e2e-0123456789abcdef"

# Rows per table after the history and both payloads (README.md, "Expected counts").
FINAL_COUNTS = {
    "registered_users_bz": 12, "gym_logins_bz": 13, "kafka_multiplex_bz": 36,
    "users": 10, "gym_logs": 11, "heart_rate": 19, "workouts": 12,
    "gym_summary": 3, "workout_bpm_summary": 6,
}
FINAL_GYMS = [[1, 4, 3, 145], [2, 4, 4, 120], [3, 2, 2, 70]]
FINAL_WORKOUTS = [
    [1, 1, 1, 110.0, 120.0, 130.0, 3],
    [1, 5, 2, 150.0, 155.0, 160.0, 2],
    [3, 2, 1, 100.0, 120.0, 140.0, 2],
    [6, 3, 1, 115.0, 125.0, 135.0, 3],
    [7, 4, 1, 100.0, 110.0, 120.0, 3],
    [9, 6, 1, 140.0, 150.0, 160.0, 3],
]
PHASES = ["setup", "payload 1", "payload 2", "cleanup"]
BRONZE = {"registered_users_bz": "registered_users", "gym_logins_bz": "gym_logins",
          "kafka_multiplex_bz": "kafka_multiplex"}
# Each layer's write, as DESCRIBE HISTORY names it: Auto Loader appends, foreachBatch MERGEs.
# (gym_summary is a view: it has no history.)
WRITES = {**{table: "STREAMING UPDATE" for table in BRONZE},
          **{table: "MERGE" for table in ("users", "gym_logs", "heart_rate", "workouts",
                                          "workout_bpm_summary")}}
LANDED = {"registered_users_bz": ["users-0.csv", "users-1.csv", "users-2.csv"],
          "gym_logins_bz": ["logins-0.csv", "logins-1.csv", "logins-2.csv"],
          "kafka_multiplex_bz": ["events-0.json", "events-1.json", "events-2.json"]}

# DESCRIBE HISTORY and DESCRIBE DETAIL are statements of their own (no SELECT reads them), so a
# notebook of the test's reads them for every table: {table: [format, operations...]}.
LAYERS_NOTEBOOK = """# Databricks notebook source
import json
schema = dbutils.widgets.get("schema")
found = {}
for table in dbutils.widgets.get("tables").split(","):
    detail = spark.sql(f"DESCRIBE DETAIL {schema}.{table}").first()
    operations = {row["operation"] for row in spark.sql(f"DESCRIBE HISTORY {schema}.{table}").collect()}
    found[table] = [detail["format"]] + sorted(operations)
dbutils.notebook.exit(json.dumps(found))
"""


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    space = LocalSpace(root=tmp_path_factory.mktemp("sbit") / "localspace", engine="spark",
                       token=TOKEN, pending=0.2, catalogs=["dev"]).start()
    yield space
    space.stop()


def final_checks(run_id: str, notebooks: str) -> list[dict]:
    """``teardown`` steps: the final tables, checked after the job's run ended and before the
    scratch schema is dropped. ``notebooks``: where the plan deploys the notebooks."""
    schema = "${scratch.schema}"
    counts = ", ".join(f"(SELECT count(*) FROM {schema}.{table})" for table in FINAL_COUNTS)
    files = " UNION ALL ".join(f"SELECT DISTINCT source_file FROM {schema}.{table}" for table in BRONZE)
    landed = sorted(f"dbfs:/Volumes/dev/sbit_{run_id}/landing/{source}/{name}"
                    for table, source in BRONZE.items() for name in LANDED[table])
    return [
        {"name": "final counts", "sql": f"SELECT {counts}", "expect": [list(FINAL_COUNTS.values())]},
        {"name": "gym_summary is a view", "expect": [["gym_summary", "VIEW"]],
         "sql": "SELECT table_name, table_type FROM dev.information_schema.tables "
                f"WHERE table_schema = 'sbit_{run_id}' AND table_type = 'VIEW'"},
        {"name": "final gym_summary", "expect": FINAL_GYMS,
         "sql": f"SELECT gym, visits, members, minutes_in_gym FROM {schema}.gym_summary ORDER BY gym"},
        {"name": "final workout_bpm_summary", "expect": FINAL_WORKOUTS,
         "sql": f"SELECT user_id, workout_id, session_id, min_bpm, avg_bpm, max_bpm, num_recordings "
                f"FROM {schema}.workout_bpm_summary ORDER BY user_id, workout_id"},
        {"name": "bronze rows name their /Volumes file", "expect": [[f] for f in landed],
         "sql": f"SELECT source_file FROM ({files}) ORDER BY source_file"},
        {"name": "each layer writes as designed", "notebook": f"{notebooks}/layers",
         "parameters": {"schema": schema, "tables": ",".join(WRITES)},
         "expect": {table: ["delta", "CREATE TABLE", operation] for table, operation in WRITES.items()}},
    ]


def example_copy(tmp_path: Path, plan: str, run_id: str, checks: bool, notebooks: str = "${var.root}") -> Path:
    """examples/sbit copied, with the test's notebook and (``checks``) its teardown steps
    appended to the plan; the plan's own lines stay where they are."""
    folder = tmp_path / "sbit"
    shutil.copytree(SBIT, folder, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    (folder / "notebooks" / "layers.py").write_text(LAYERS_NOTEBOOK)
    if checks:
        with open(folder / plan, "a") as text:
            text.write("\n" + yaml.safe_dump({"teardown": final_checks(run_id, notebooks)}, sort_keys=False, width=1000))
    return folder / plan


def streamtest(space: LocalSpace, plan: Path, workdir: Path, run_id: str, *extra: str) -> Result:
    """``python -m streamtest run`` on a plan; reports and state in ``workdir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABRICKS_", "GITHUB_"))}
    env.update(DATABRICKS_HOST=space.url, DATABRICKS_TOKEN=TOKEN, PYTHONPATH=str(REPO / "scripts"))
    done = subprocess.run(
        [sys.executable, "-m", "streamtest", "run", "-c", str(plan), "--run-id", run_id,
         "--junit", str(workdir / "junit.xml"), "--summary", str(workdir / "summary.md"),
         "--state", str(workdir / "state.json"), *extra],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=280)
    return Result(done.returncode, done.stderr, done.stdout, workdir)


def check_names(plan: Path) -> dict[str, list[str]]:
    """The named steps of each phase of a plan, as the runner must report them."""
    text = yaml.safe_load(plan.read_text())
    names = {"setup": [step["name"] for step in text["before"] + text.get("setup", [])]}
    for iteration in text["iterations"]:
        names[iteration["name"]] = [step["name"] for step in iteration["validate"]]
    names["cleanup"] = [step["name"] for step in text.get("teardown", [])]
    return names


def left_behind(space: LocalSpace) -> list[str]:
    """What a run left: jobs, runs or statements, streaming query threads alive in the JVM,
    deployed notebooks, scratch schemas (asked through Unity Catalog) and their folders on disk."""
    jvm = space.engine.spark._jvm
    threads = [str(t.getName()) for t in jvm.java.lang.Thread.getAllStackTraces().keySet()]
    deployed = space.paths.workspace_root / "Shared" / "streamtest"
    schemas = [s.name for s in client(space, TOKEN).schemas.list("dev")]
    left = [f"{kind}: {count}" for kind, count in space.leftovers().items() if count and kind != "workspace_objects"]
    left += [t for t in threads if t.startswith("stream execution thread")]
    left += [str(p) for p in deployed.iterdir()] if deployed.exists() else []
    left += [f"schema dev.{s}" for s in schemas if s.startswith("sbit")]
    left += [str(p) for p in (space.root / "volumes" / "dev").iterdir() if p.name.startswith("sbit")]
    return left


def assert_nothing_left(space: LocalSpace) -> None:
    try:
        wait_until(lambda: not left_behind(space), 15, "the emulator to have nothing left")
    except AssertionError:
        raise AssertionError(f"left behind: {left_behind(space)}") from None


def assert_passed(result: Result, plan: Path, phases=PHASES) -> None:
    suites = result.junit
    assert list(suites) == phases
    for phase, names in check_names(plan).items():
        if phase in suites:
            assert set(names) <= set(suites[phase]), (phase, sorted(suites[phase]))
    for phase in phases:
        for name, case in suites[phase].items():
            assert case.is_passed, (phase, name, [r.message for r in case.result])


def test_batch_plan_passes_with_hand_computed_counts(space, tmp_path):
    copy = example_copy(tmp_path, "streamtest-batch.yml", "e2e_batch", checks=True)
    result = streamtest(space, copy, tmp_path, "e2e_batch")

    assert result.code == 0, result.err[-4000:]
    assert_passed(result, copy)
    assert result.state["scratch"]["schema"] == "dev.sbit_e2e_batch" and result.state["scratch"]["dropped"]
    assert_nothing_left(space)


def test_bundle_plan_passes_with_hand_computed_counts(space, tmp_path):
    """streamtest-bundle.yml, the stream plan with the job from examples/sbit/databricks.yml
    (target test): what the bundle syncs is deployed to the run's own folder, the job is
    streamtest's own, and the pipeline streams both payloads to the hand-computed tables.
    (streamtest.yml itself, the same plan with the job written in it, is what ``make demo``
    runs; test_stream_plan_is_the_bundle_plan_with_the_job_written_out keeps them the same.)"""
    copy = example_copy(tmp_path, "streamtest-bundle.yml", "e2e_bundle", checks=True,
                        notebooks="${var.files}/notebooks")
    result = streamtest(space, copy, tmp_path, "e2e_bundle")

    assert result.code == 0, result.err[-4000:]
    assert_passed(result, copy)
    assert result.state["job_name"] == "sbit-stream-e2e_bundle"      # the bundle's name, this run's id
    assert result.state["deployed"]["path"] == "/Workspace/Shared/streamtest/e2e_bundle/files"
    imported = {line.split()[-1].split("/files/", 1)[1] for line in result.err.splitlines()
                if line.split("]", 1)[-1].split()[:1] in (["notebook"], ["file"]) and "/files/" in line}
    assert {"notebooks/run", "resources/sbit.job.yml", "data/history/registered_users/users-0.csv"} <= imported
    assert not [name for name in imported if name.startswith("streamtest")], imported   # sync.exclude
    assert_nothing_left(space)


def test_broken_plan_fails_on_the_gold_check(space, tmp_path):
    copy = example_copy(tmp_path, "streamtest-broken.yml", "e2e_broken", checks=False)
    result = streamtest(space, copy, tmp_path, "e2e_broken")

    assert result.code == 1, result.err[-4000:]
    assert "gold workout_bpm_summary" in result.err
    suites = result.junit
    assert list(suites) == PHASES
    failed = {(phase, name) for phase in PHASES for name, case in suites[phase].items()
              if any(isinstance(r, Failure) for r in case.result)}
    assert failed == {("payload 1", "gold workout_bpm_summary")}
    failure = next(r for r in suites["payload 1"]["gold workout_bpm_summary"].result)
    assert "5" in failure.message and "4" in failure.message, failure.message
    assert all(any(isinstance(r, Skipped) for r in case.result)
               for case in suites["payload 2"].values())
    assert all(case.is_passed for case in suites["cleanup"].values())
    assert_nothing_left(space)

