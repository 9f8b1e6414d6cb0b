"""The SBIT example end to end: the real ``streamtest`` CLI runs examples/sbit's plans against
a localspace whose spark engine really streams, on Delta Lake.

One emulator (one JVM) serves the module, as one workspace serves a team; every plan's
``before`` drops and recreates ``dev.sbit``, so the plans do not see each other's tables.
The expected numbers are the hand-computed ones of examples/sbit/README.md, written here
again so the test does not trust the plan it checks. Beyond the counts, the tables' Delta
history shows how each layer wrote (bronze streamed appends, silver and gold MERGE), and the
bronze rows name the volume file they came from, as a Databricks path.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from junitparser import Failure, Skipped

from e2e_support import REPO, Result, clean
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
FINAL_GYMS = [["1", "4", "3", "145"], ["2", "4", "4", "120"], ["3", "2", "2", "70"]]
FINAL_WORKOUTS = [
    ["1", "1", "1", "110.0", "120.0", "130.0", "3"],
    ["1", "5", "2", "150.0", "155.0", "160.0", "2"],
    ["3", "2", "1", "100.0", "120.0", "140.0", "2"],
    ["6", "3", "1", "115.0", "125.0", "135.0", "3"],
    ["7", "4", "1", "100.0", "110.0", "120.0", "3"],
    ["9", "6", "1", "140.0", "150.0", "160.0", "3"],
]
PHASES = ["setup", "payload 1", "payload 2", "cleanup"]
BRONZE = {"registered_users_bz": "registered_users", "gym_logins_bz": "gym_logins",
          "kafka_multiplex_bz": "kafka_multiplex"}
# Each layer's write, as DESCRIBE HISTORY names it: Auto Loader appends, foreachBatch MERGEs.
WRITES = {**{table: "STREAMING UPDATE" for table in BRONZE},
          **{table: "MERGE" for table in ("users", "gym_logs", "heart_rate", "workouts",
                                          "gym_summary", "workout_bpm_summary")}}
LANDED = {"registered_users_bz": ["users-0.csv", "users-1.csv", "users-2.csv"],
          "gym_logins_bz": ["logins-0.csv", "logins-1.csv", "logins-2.csv"],
          "kafka_multiplex_bz": ["events-0.json", "events-1.json", "events-2.json"]}


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    space = LocalSpace(root=tmp_path_factory.mktemp("sbit") / "localspace", engine="spark",
                       token=TOKEN, pending=0.2, catalogs=["dev"]).start()
    yield space
    space.stop()


def streamtest(space: LocalSpace, plan: str, workdir: Path) -> Result:
    """``python -m streamtest run`` on one of the example plans; reports and state in ``workdir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABRICKS_", "GITHUB_"))}
    env.update(DATABRICKS_HOST=space.url, DATABRICKS_TOKEN=TOKEN, PYTHONPATH=str(REPO / "scripts"))
    done = subprocess.run(
        [sys.executable, "-m", "streamtest", "run", "-c", str(SBIT / plan),
         "--junit", str(workdir / "junit.xml"), "--summary", str(workdir / "summary.md"),
         "--state", str(workdir / "state.json")],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=280)
    return Result(done.returncode, done.stderr, done.stdout, workdir)


def check_names(plan: str) -> dict[str, list[str]]:
    """The named steps of each phase of a plan, as the runner must report them."""
    text = yaml.safe_load((SBIT / plan).read_text())
    names = {"setup": [step["name"] for step in text["before"] + text["setup"]]}
    for iteration in text["iterations"]:
        names[iteration["name"]] = [step["name"] for step in iteration["validate"]]
    return names


def sql_rows(space: LocalSpace, statement: str) -> list[list[str]]:
    response = client(space, TOKEN).statement_execution.execute_statement(
        statement, warehouse_id="localspace", wait_timeout="30s")
    assert response.status.state.value == "SUCCEEDED", (statement, response.status)
    return response.result.data_array or []


def nothing_running(space: LocalSpace) -> bool:
    """No job, run or statement left, no streaming query thread alive in the JVM, and nothing
    left of the deployed notebooks."""
    jvm = space.engine.spark._jvm
    threads = [str(t.getName()) for t in jvm.java.lang.Thread.getAllStackTraces().keySet()]
    deployed = space.paths.workspace_root / "Shared" / "streamtest"
    return (clean(space) and not [t for t in threads if t.startswith("stream execution thread")]
            and not (deployed.exists() and any(deployed.iterdir())))


def assert_passed(result: Result, plan: str) -> None:
    suites = result.junit
    assert list(suites) == PHASES
    for phase, names in check_names(plan).items():
        assert set(names) <= set(suites[phase]), (phase, sorted(suites[phase]))
    for phase in PHASES:
        for name, case in suites[phase].items():
            assert case.is_passed, (phase, name, [r.message for r in case.result])


def assert_final_tables(space: LocalSpace) -> None:
    counts = {table: int(sql_rows(space, f"SELECT count(*) FROM dev.sbit.{table}")[0][0])
              for table in FINAL_COUNTS}
    assert counts == FINAL_COUNTS
    assert sql_rows(space, "SELECT gym, visits, members, minutes_in_gym "
                           "FROM dev.sbit.gym_summary ORDER BY gym") == FINAL_GYMS
    assert sql_rows(space, "SELECT user_id, workout_id, session_id, min_bpm, avg_bpm, max_bpm, "
                           "num_recordings FROM dev.sbit.workout_bpm_summary "
                           "ORDER BY user_id, workout_id") == FINAL_WORKOUTS


def assert_written_as_designed(space: LocalSpace) -> None:
    """Delta tables, each written the way its layer writes (DESCRIBE HISTORY), and bronze rows
    that name their landing file by its /Volumes path, never the emulator's folder."""
    for table, operation in WRITES.items():
        detail = sql_rows(space, f"DESCRIBE DETAIL dev.sbit.{table}")
        assert detail[0][0] == "delta", (table, detail)
        history = sql_rows(space, f"DESCRIBE HISTORY dev.sbit.{table}")
        operations = {row[4] for row in history}
        assert operation in operations, (table, operations)
        assert operations <= {"CREATE TABLE", operation}, (table, operations)
    for table, source in BRONZE.items():
        files = [row[0] for row in sql_rows(space, f"SELECT DISTINCT source_file FROM dev.sbit.{table} "
                                                   "ORDER BY source_file")]
        folder = f"/Volumes/dev/sbit/landing/{source}/"
        assert [f.rsplit("/", 1)[-1] for f in files] == LANDED[table], files
        assert all(folder in f and str(space.root) not in f for f in files), files


@pytest.mark.parametrize("plan", ["streamtest.yml", "streamtest-batch.yml"])
def test_sbit_plan_passes_with_hand_computed_counts(space, tmp_path, plan):
    result = streamtest(space, plan, tmp_path)

    assert result.code == 0, result.err[-4000:]
    assert_passed(result, plan)
    assert_final_tables(space)
    assert_written_as_designed(space)
    wait_until(lambda: nothing_running(space), 15, "the emulator to have nothing running")


def test_broken_plan_fails_on_the_gold_check(space, tmp_path):
    result = streamtest(space, "streamtest-broken.yml", tmp_path)

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
    wait_until(lambda: nothing_running(space), 15, "the emulator to have nothing running")
