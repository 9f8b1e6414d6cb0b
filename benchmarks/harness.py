"""What every runner benchmark shares: an emulator, a project on disk, the runner as a process,
and the counting afterwards.

The emulator runs in this process (``LocalSpace``) so a benchmark can read its records
directly: ``request_log`` + ``request_times`` (every API call and when it was answered),
``table_versions()`` (when each write to a table became visible, python engine) and the jobs
model (when the job's run started and ended). The runner runs as its own process, as users
run it (``python -m streamtest run``); its stderr lines are time-stamped as they arrive and
its CPU time comes from ``wait4``. All times are ``time.time()`` so they compare across
processes.

The policies compared:
- ``streamtest``: the runner as shipped (adaptive polling, see scripts/streamtest/poll.py);
- ``fixed-5s``: the same runner polling every 5 s for everything, as peer tools do
  (benchmarks/fixed_poll.py swaps the poller; nothing else changes);
- ``seed``: the seed's way, written as a plan: a fixed ``sleep`` after each payload, then
  each check once (no ``within``), run by the shipped runner.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

import yaml

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "scripts"
BENCHMARKS = REPO / "benchmarks"
sys.path.insert(0, str(SCRIPTS))

from localspace.server import LocalSpace  # noqa: E402

TOKEN = "dapi-benchmark"
POLICIES = ("streamtest", "fixed-5s", "seed")
STATEMENTS = "/api/2.0/sql/statements"
RUNS_GET = "/api/2.2/jobs/runs/get"

# A stand-in stream for the python engine: for each payload file that lands, wait the delay
# it names, then commit one row (one table version per payload); a payload with "fail" kills
# the stream instead. The table's commit times are what "the data became visible" means.
STREAM_NOTEBOOK = '''# Databricks notebook source
import json
import time

dbutils.widgets.text("landing", "")
dbutils.widgets.text("table", "")
landing, table = dbutils.widgets.get("landing"), dbutils.widgets.get("table")
spark.sql(f"CREATE SCHEMA IF NOT EXISTS {table.rsplit('.', 1)[0]}")
spark.sql(f"CREATE VOLUME IF NOT EXISTS {'.'.join(landing.split('/')[2:5])}")  # /Volumes/c/s/v
spark.sql(f"CREATE TABLE IF NOT EXISTS {table} (payload INT)")
dbutils.fs.mkdirs(landing)

# COMMAND ----------

def listing():
    try:
        return dbutils.fs.ls(landing)
    except FileNotFoundError:  # an upload renamed its temporary file while we listed: look again
        return []


seen = set()
while True:
    for entry in listing():
        if entry.name in seen or entry.name.startswith("."):
            continue
        seen.add(entry.name)
        with open(entry.path) as handle:
            payload = json.load(handle)
        time.sleep(payload["delay"])
        if payload.get("fail"):
            raise RuntimeError(f"the stream died on payload {payload['number']} (benchmark)")
        spark.sql(f"INSERT INTO {table} VALUES ({payload['number']})")
    time.sleep(0.02)
'''


# -- the emulator -------------------------------------------------------------------------------

@contextlib.contextmanager
def emulator(engine: str = "python", pending: float = 0.2) -> Iterator[LocalSpace]:
    """A fresh LocalSpace on 127.0.0.1 under a temporary root; stopped and removed after,
    together with any runner process still alive (a benchmark that failed or was interrupted)."""
    with tempfile.TemporaryDirectory(prefix="streamtest-bench-") as root:
        space = LocalSpace(Path(root) / "localspace", engine=engine, token=TOKEN, pending=pending).start()
        try:
            yield space
        finally:
            for process in _runners:
                if process.returncode is None:
                    process.kill()
            space.stop()


@dataclass
class Call:
    at: float
    method: str
    path: str
    status: int


def calls(space: LocalSpace, start: float = 0.0, end: float = float("inf"),
          kind: Optional[Callable[[Call], bool]] = None) -> list[Call]:
    """The API calls the emulator answered in [start, end], optionally of one kind."""
    found = [Call(at, *entry) for at, entry in zip(list(space.request_times), list(space.request_log))]
    return [c for c in found if start <= c.at <= end and (kind is None or kind(c))]


def is_check_call(call: Call) -> bool:
    """A SQL check's own calls: statement submit and status polls."""
    return call.path.startswith(STATEMENTS)


def is_watch_call(call: Call) -> bool:
    """runs/get: in these plans (SQL checks only) every one of them watches the job's run."""
    return call.method == "GET" and call.path == RUNS_GET


def job_run(space: LocalSpace):
    """The newest run of a job (the streaming run; one-time runs are SUBMIT_RUN)."""
    return space.jobs.list_runs(None, active_only=False, completed_only=False, run_type="JOB_RUN")[0]


def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.02):
    """Wait on a condition with a deadline (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"benchmark: {what} not within {timeout:g}s")
        pause.wait(interval)


# -- the project: plan, notebooks, payloads -----------------------------------------------------

class Project:
    """A folder holding one plan, the stream notebook and payload files."""

    def __init__(self, parent: Path, name: str):
        self.dir = parent / name
        (self.dir / "notebooks").mkdir(parents=True)
        (self.dir / "payloads").mkdir()
        (self.dir / "notebooks" / "stream.py").write_text(STREAM_NOTEBOOK)
        self.plan = self.dir / "streamtest.yml"

    def payload(self, number: int, delay: float, fail: bool = False) -> str:
        """A payload file; returns its path relative to the plan, for an ``upload`` step."""
        path = self.dir / "payloads" / f"payload-{number}.json"
        path.write_text(json.dumps({"number": number, "delay": delay, "fail": fail}))
        return f"payloads/{path.name}"

    def write(self, plan: dict) -> Path:
        self.plan.write_text(yaml.safe_dump(plan, sort_keys=False))
        return self.plan


def table_for(run_id: str) -> str:
    return f"main.b_{run_id}.events"


def stream_plan(run_id: str, iterations: list[dict], name: str = "bench") -> dict:
    """The stream job over STREAM_NOTEBOOK, a setup check that waits for its table, and
    ``iterations`` as given. Names are fixed from ``run_id`` so the benchmark knows them."""
    root = f"/Workspace/Shared/bench/{run_id}"
    landing = f"/Volumes/main/b_{run_id}/landing"
    return {
        "version": 1, "name": name,
        "deploy": {"from": "notebooks", "to": root},
        "job": {"name": f"bench-{run_id}", "tasks": [{
            "task_key": "stream",
            "notebook_task": {"notebook_path": f"{root}/stream",
                              "base_parameters": {"landing": landing, "table": table_for(run_id)}}}]},
        "start": {"timeout": "60s"},
        "compute": {"warehouse_id": "localspace"},
        "setup": [{"name": "table exists", "sql": f"SELECT count(*) FROM {table_for(run_id)}",
                   "expect": 0, "within": "60s"}],
        "iterations": iterations,
    }


def payload_iteration(run_id: str, number: int, upload: str, policy: str, within: str = "2m",
                      seed_wait: float = 0.0) -> dict:
    """Upload one payload, then check that the table holds ``number`` rows.

    ``streamtest`` and ``fixed-5s`` check with ``within`` (polling); ``seed`` sleeps
    ``seed_wait`` seconds first and checks once.
    """
    check = {"name": f"check {number}", "sql": f"SELECT count(*) FROM {table_for(run_id)}", "expect": number}
    produce = [{"name": f"upload {number}", "upload": upload, "to": f"/Volumes/main/b_{run_id}/landing"}]
    if policy == "seed":
        validate = [{"name": f"wait {number}", "sleep": seed_wait}, check]
    else:
        validate = [{**check, "within": within}]
    return {"name": f"payload {number}", "produce": produce, "validate": validate}


# -- the runner as a process --------------------------------------------------------------------

@dataclass
class Finished:
    """One runner process, after the fact. Times are time.time()."""

    policy: str
    started: float
    ended: float
    code: int
    cpu: float                                   # user + system seconds of the runner process
    lines: list[tuple[float, str]] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return self.ended - self.started

    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def passed_at(self, step: str) -> Optional[float]:
        """When the runner printed that ``step`` passed (its progress line, as it arrived)."""
        current = None
        for at, line in self.lines:
            message = _PREFIX.sub("", line, count=1)
            if message == step:
                current = step
            elif current == step and message.startswith("  passed in"):
                return at
        return None

    def line_at(self, pattern: str) -> Optional[float]:
        """When the first line matching ``pattern`` arrived."""
        for at, line in self.lines:
            if re.search(pattern, line):
                return at
        return None


_PREFIX = re.compile(r"^\[\s*[\d.]+s\] ")
_runners: list[subprocess.Popen] = []  # every runner started, so emulator() can stop stragglers


class Runner:
    """``streamtest run`` (or the fixed-poll variant) as a child process, watched live."""

    def __init__(self, space: LocalSpace, plan: Path, run_id: str, policy: str = "streamtest",
                 extra: tuple[str, ...] = (), command: Optional[tuple[str, ...]] = None):
        self.policy = policy
        if command is None:
            command = (sys.executable, "-m", "streamtest") if policy != "fixed-5s" else \
                (sys.executable, str(BENCHMARKS / "fixed_poll.py"), "5")
        command = list(command)
        folder = plan.parent
        command += ["run", "-c", str(plan), "--run-id", run_id, "--state", str(folder / f"state-{run_id}.json"),
                    "--junit", str(folder / f"junit-{run_id}.xml"),
                    "--summary", str(folder / f"summary-{run_id}.md"),
                    *extra]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABRICKS_", "GITHUB_"))}
        env.update(DATABRICKS_HOST=space.url, DATABRICKS_TOKEN=TOKEN, PYTHONPATH=str(SCRIPTS))
        self.lines: list[tuple[float, str]] = []
        self.started = time.time()
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True, cwd=folder)
        _runners.append(self.process)
        self._result: Optional[tuple[float, int, float]] = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._waiter = threading.Thread(target=self._wait, daemon=True)
        self._reader.start()
        self._waiter.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append((time.time(), line.rstrip("\n")))

    def _wait(self) -> None:
        _, status, usage = os.wait4(self.process.pid, 0)
        ended = time.time()
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self._result = (ended, self.process.returncode, usage.ru_utime + usage.ru_stime)

    def seen(self, pattern: str) -> Optional[float]:
        return next((at for at, line in list(self.lines) if re.search(pattern, line)), None)

    def terminate(self) -> float:
        """SIGTERM, as GitHub sends on cancel; returns when it was sent."""
        sent = time.time()
        self.process.send_signal(signal.SIGTERM)
        return sent

    def finish(self, timeout: float = 600.0) -> Finished:
        """Wait for the exit (killing the runner if it overruns ``timeout``)."""
        self._waiter.join(timeout)
        if self._result is None:
            self.process.kill()
            self._waiter.join(10)
            raise TimeoutError(f"benchmark: the runner ({self.policy}) did not finish within {timeout:g}s")
        self._reader.join(10)
        ended, code, cpu = self._result
        return Finished(self.policy, self.started, ended, code, cpu, list(self.lines))


def run_to_end(space: LocalSpace, plan: Path, run_id: str, policy: str = "streamtest",
               timeout: float = 600.0, expect_code: Optional[int] = 0) -> Finished:
    finished = Runner(space, plan, run_id, policy).finish(timeout)
    if expect_code is not None and finished.code != expect_code:
        tail = "\n".join(finished.text().splitlines()[-25:])
        raise RuntimeError(f"benchmark: runner ({policy}) exited {finished.code}, wanted {expect_code}:\n{tail}")
    return finished


# -- figures ------------------------------------------------------------------------------------

def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(count: int, low: float, high: float, seed: int) -> list[float]:
    """``count`` moments evenly spread over [low, high] (one in each of ``count`` equal slices),
    in a seeded random order: every phase of a poll interval gets its share, even in a short run."""
    values = [round(low + (high - low) * (i + 0.5) / count, 2) for i in range(count)]
    random.Random(seed).shuffle(values)
    return values


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..1): with 10 values, p90 is the 9th smallest."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))] if ordered else float("nan")


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def per_minute(count: int, seconds: float) -> float:
    return 60.0 * count / seconds if seconds > 0 else float("nan")


def table(title: str, headers: list[str], rows: list[list[object]]) -> str:
    """A markdown table (readable in a terminal, pasteable in README.md)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    lines = [f"### {title}", "",
             "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.2f}"
    return str(value)


def machine() -> str:
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} CPUs, load average {load:.1f} at the start, python {sys.version.split()[0]}"
