"""The guarantee suite's machinery, shared by tests/test_guarantees_*.py and benchmarks/selftest.py.

Every case is the same story: start a fresh localspace (python engine) on 127.0.0.1, run
``python -m streamtest`` as a real subprocess against it, then judge the evidence the spec's
§5 speaks about: the exit code and its message, what is left in the emulator (jobs, active
runs, active statements, workspace objects), secrets in any output, and how long cleanup took.
A case returns an ``Evidence`` whose ``problems`` list is empty when every guarantee held, so
the tests assert one thing and the selftest can count the same things.

Waiting is always on a condition with a deadline (``waiting.wait_until``); every subprocess
is reaped, killed first if it outlives its deadline (which is itself a problem: a hang).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

import requests
from junitparser import JUnitXml

from e2e_support import REPO, state_has
from localspace.faults import FaultPlan
from localspace.server import LocalSpace
from oidc_support import github_token_service
from waiting import wait_until

PROJECT = Path(__file__).parent / "fixtures" / "guarantees" / "project"
TOKEN = "dapi-guarantees-5e3f0c9a7d1b2468ace0"
CLIENT_ID = "sp-guarantees"
CLIENT_SECRET = "sp-secret-guarantees-9b8a7c6d5e4f"
ISSUED = re.compile(r"dlsp[0-9a-f]{48}")     # every OAuth access token localspace issues
JWT = re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*")   # an OIDC token, whoever issued it
RETRY_BUDGET = "3"                           # STREAMTEST_RETRY_BUDGET (s) for lasting-fault cases
MUTATING = ("POST", "PUT", "DELETE", "PATCH")
REPORT_FILES = ("stdout*.txt", "stderr*.txt", "*.xml", "*.md", "*.json", "github_output.txt")

_known_secrets: set[str] = {TOKEN, CLIENT_SECRET}
_produced: list[Path] = []                    # every workdir of this process, for the final scan
_lock = threading.Lock()


def remember_secret(value: str) -> None:
    """A secret the suite handed to the runner; no output may ever contain it."""
    with _lock:
        _known_secrets.add(value)


def produced_dirs() -> list[Path]:
    with _lock:
        return list(_produced)


# -- the emulator and the environment ----------------------------------------------------------

def start_space(root: Path, **options) -> LocalSpace:
    options.setdefault("token", TOKEN)
    options.setdefault("pending", 0.2)
    return LocalSpace(root=root, engine="python", **options).start()


def runner_env(space: LocalSpace, workdir: Path, **extra: Optional[str]) -> dict:
    """What the action's run step gives ``streamtest``: this host and a PAT, nothing inherited
    (``NAME=None`` leaves a variable out)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABRICKS_", "GITHUB_", "ACTIONS_", "STREAMTEST_"))}
    env.update(PYTHONPATH=str(REPO / "scripts"), DATABRICKS_HOST=space.url, DATABRICKS_TOKEN=TOKEN,
               GITHUB_OUTPUT=str(workdir / "github_output.txt"),
               GITHUB_STEP_SUMMARY=str(workdir / "step_summary.md"))
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


# The stream's own schema and landing volume as the run's scratch namespace: made by the runner
# before the job (the notebook's CREATE ... IF NOT EXISTS then finds them), dropped at the end.
SCRATCH = "scratch: {catalog: main, schema: '${var.schema}', volumes: [landing]}\n"


def project(base: Path, name: str, plan: str = "stream.yml", scratch: bool = False) -> Path:
    """A fresh copy of tests/fixtures/guarantees/project; returns the path of ``plan`` in it
    (with ``scratch``, the plan gets a scratch namespace)."""
    workdir = base / name
    shutil.copytree(PROJECT, workdir)
    if scratch:
        with open(workdir / plan, "a") as handle:
            handle.write(SCRATCH)
    with _lock:
        _produced.append(workdir)
    return workdir / plan


# -- running streamtest ----------------------------------------------------------------------------

@dataclass
class Finished:
    args: list
    code: Optional[int]          # None: it had to be killed (a hang)
    seconds: float
    stdout: str
    stderr: str


def run_args(plan: Path, run_id: str, *extra: str) -> list[str]:
    wd = plan.parent
    return ["run", "-c", str(plan), "--state", str(wd / "state.json"), "--junit", str(wd / "junit.xml"),
            "--summary", str(wd / "summary.md"), "--run-id", run_id, *extra]


class Launched:
    """``python -m streamtest ARGS`` with stdout/stderr in files of ``workdir`` (scanned later);
    ``wrap`` is a command that runs it (``ip netns exec NS``: it execs, so the pid is the runner's)."""

    def __init__(self, workdir: Path, env: dict, args: list, label: str, wrap: tuple = ()):
        self.args, self.workdir = list(args), workdir
        self.out_path, self.err_path = workdir / f"stdout-{label}.txt", workdir / f"stderr-{label}.txt"
        self._out, self._err = open(self.out_path, "w"), open(self.err_path, "w")
        self.started = time.monotonic()
        self.process = subprocess.Popen([*wrap, sys.executable, "-m", "streamtest", *self.args], env=env, cwd=workdir,
                                        stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err)

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signum)

    def finish(self, timeout: float) -> Finished:
        """Wait up to ``timeout``; a process still alive then is killed and reported as hung."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = None
        finally:
            self._out.close()
            self._err.close()
        return Finished(self.args, code, time.monotonic() - self.started,
                        self.out_path.read_text(errors="replace"), self.stderr())


def streamtest(workdir: Path, env: dict, args: list, label: str, timeout: float = 90.0, wrap: tuple = ()) -> Finished:
    return Launched(workdir, env, args, label, wrap).finish(timeout)


# -- judging ---------------------------------------------------------------------------------------

@dataclass
class Evidence:
    """What one case showed. ``problems`` empty = every guarantee held."""

    name: str
    group: str
    code: Optional[int] = None
    expected: str = ""
    problems: list[str] = field(default_factory=list)
    leftovers: dict = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    cleanup_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def verdict_right(self) -> bool:
        return not [p for p in self.problems if p.startswith(("exit", "hung", "message"))]

    @property
    def left_behind(self) -> int:
        return sum(self.leftovers.values())

    def fail(self, text: str) -> None:
        self.problems.append(text)

    def report(self) -> str:
        return f"{self.name}: " + "; ".join(self.problems) if self.problems else f"{self.name}: ok"

    def expect_clean(self, space: LocalSpace, catalog: bool = False) -> None:
        """Nothing of the run may remain in the workspace (waits up to 10 s for it to go);
        with ``catalog`` (a plan with SCRATCH), not its schema either."""
        self.leftovers = wait_clean(space, 10, catalog)
        if self.leftovers:
            self.fail(f"leftovers: {self.leftovers}")

    def scan(self, folder: Path, extra_secrets=()) -> None:
        """Every case ends here: no secret may appear in anything it wrote."""
        self.secrets = scan_secrets([folder], extra_secrets)
        if self.secrets:
            self.fail(f"secrets in outputs: {self.secrets}")

    def finish(self, folder: Path, started: float, extra_secrets=()) -> "Evidence":
        self.scan(folder, extra_secrets)
        self.seconds = time.monotonic() - started
        return self


def wait_clean(space: LocalSpace, timeout: float, catalog: bool = False) -> dict:
    """Wait (bounded) until nothing is left; returns what is left at the end (zeros when clean).
    ``catalog``: the runs' schemas count too (a plan with SCRATCH drops its own; without one the
    stream's schema is the notebook's, left by design)."""
    def left() -> dict:
        counts = space.leftovers()
        if catalog:
            counts["scratch_schemas"] = sum(1 for s in space.unity.schemas("main") if s["name"].startswith("g_"))
        return counts
    try:
        wait_until(lambda: sum(left().values()) == 0, timeout, "zero leftovers")
    except AssertionError:
        pass
    return {k: v for k, v in left().items() if v}


def scan_secrets(dirs: Iterable[Path], extra: Iterable[str] = ()) -> list[str]:
    """Every place a known secret (or an issued OAuth token) appears in a report-like file."""
    with _lock:
        secrets = sorted(_known_secrets | set(extra), key=len, reverse=True)
    found = []
    for folder in dirs:
        for pattern in REPORT_FILES:
            for path in sorted(Path(folder).rglob(pattern)):
                if not path.is_file():
                    continue
                text = path.read_text(errors="replace")
                found += [f"{path}: contains {s[:6]}..." for s in secrets if s in text]
                found += [f"{path}: contains an OAuth token {m[:8]}..." for m in ISSUED.findall(text)]
                found += [f"{path}: contains a JWT {m[:8]}..." for m in JWT.findall(text)]
    return found


def cleanup_seconds(junit: Path) -> float:
    """The time the run's own cleanup took (its JUnit 'cleanup' suite), 0 when absent."""
    try:
        xml = JUnitXml.fromfile(str(junit))
    except Exception:  # missing or unreadable: the exit code check reports that case
        return 0.0
    return sum(case.time or 0.0 for suite in xml if suite.name == "cleanup" for case in suite)


def mutating_calls(log: list) -> list:
    return [entry for entry in log if entry[0] in MUTATING]


ERROR_LINE = re.compile(r"^streamtest: |^\S+:\d+: |ERROR after [^:]+: workspace error: ")


def one_line_error(stderr: str) -> Optional[str]:
    """The runner's own error line ('streamtest: ...', 'FILE:LINE: ...' or a step's 'ERROR after
    ...: workspace error: ...'); None when it crashed with a traceback or said nothing."""
    if "Traceback (most recent call last)" in stderr:
        return None
    return next((line for line in stderr.splitlines() if ERROR_LINE.search(line)), None)


def closing_lines(everything: list[Evidence]) -> list[str]:
    """For a benchmark's table: the suite-wide secret scan of every run folder of this process
    and each case that is not right (no ``NOT RIGHT`` line: every cell is right). Call it
    before the folders go."""
    dirs = produced_dirs()
    found = scan_secrets(dirs)
    lines = [f"suite-wide secret scan of {len(dirs)} run folders: {len(found)} found"]
    return lines + [f"  NOT RIGHT: {text[:800]}" for text in [r.report() for r in everything if r.problems] + found]


def run_pool(jobs: list[Callable[[], Evidence]], workers: int) -> list[Evidence]:
    """Run independent cases side by side (each has its own emulator); keeps the order. For the
    benchmarks' tables only: the tests run one case per test."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="guarantee") as pool:
        return list(pool.map(lambda job: job(), jobs))


# -- the fault matrix --------------------------------------------------------------------------------

PHASES = {  # phase -> the endpoints its faults hit (a regex on the URL path)
    "deploy": r"/workspace/(mkdirs|import)$",
    "create": r"/jobs/create$",
    "run-now": r"/jobs/run-now$",
    "wait": r"/jobs/runs/get$",
    "produce": r"/fs/(files|directories)/",
    "check": r"/sql/statements",
    "cleanup": r"/jobs/(runs/cancel|delete)$|/workspace/delete$",
}
HTTP_KINDS = {"429": "REQUEST_LIMIT_EXCEEDED", "503": "TEMPORARILY_UNAVAILABLE", "500": "INTERNAL_ERROR",
              "drop": "NETWORK_ERROR", "delay": None}


CHAOS = {"seed": 11, "rules": [   # a bad day on every endpoint at once, the same bad day each time
    {"path": "/api/", "kind": "503", "rate": 0.1, "retry_after": 0},
    {"path": "/api/", "kind": "drop", "rate": 0.05},
    {"path": "/api/", "kind": "500", "rate": 0.05, "after_processing": True},
]}


@dataclass(frozen=True)
class Cell:
    phase: str
    kind: str
    lasting: bool
    expect_code: int
    after_processing: bool = False
    run_vars: tuple = ()

    @property
    def id(self) -> str:
        how = "lasting" if self.lasting else "transient"
        lost = "-reply-lost" if self.after_processing else ""
        return f"{self.phase}-{self.kind}{lost}-{how}"

    def rules(self) -> list[dict] | dict:
        if self.kind == "chaos":
            return CHAOS
        rule: dict = {"path": PHASES[self.phase], "kind": self.kind, "seed": 7}
        if self.kind in ("429", "503"):
            rule["retry_after"] = 1
        if self.kind == "delay":
            rule["delay"] = 5
        if self.kind == "fail_run":
            rule["message"] = "driver lost (injected)"
        if self.after_processing:
            rule["after_processing"] = True
        if not self.lasting:
            rule["count"] = 1 if self.kind == "delay" or self.after_processing else 2
        return [rule]


def matrix() -> list[Cell]:
    """Every phase x every fault kind, transient and lasting, plus the lost-reply and run faults."""
    cells = []
    for phase in PHASES:
        for kind in HTTP_KINDS:
            for lasting in (False, True):
                code = 3 if lasting and kind != "delay" else 0
                cells.append(Cell(phase, kind, lasting, code))
    for kind in ("500", "drop"):                       # jobs/create processed, reply lost
        for lasting in (False, True):
            cells.append(Cell("create", kind, lasting, 0, after_processing=True))
    cells.append(Cell("everywhere", "chaos", False, 0))
    cells.append(Cell("run-now", "fail_run", True, 1))
    cells.append(Cell("run-now", "stuck_pending", True, 1, run_vars=("start=2s",)))
    return cells


def run_cell(cell: Cell, base: Path) -> Evidence:
    """One fault cell: the run under the fault, then the action's always() cleanup."""
    evidence = Evidence(cell.id, "fault matrix", expected=f"exit {cell.expect_code}")
    started = time.monotonic()
    space = start_space(base / cell.id / "space", faults=cell.rules())
    try:
        plan = project(base / cell.id, "project")
        # a lasting fault would be retried for the default 300 s: shorten the budget for those
        env = runner_env(space, plan.parent, STREAMTEST_RETRY_BUDGET=RETRY_BUDGET if cell.lasting else None)
        extra = [a for v in cell.run_vars for a in ("--var", v)]
        run = streamtest(plan.parent, env, run_args(plan, "m_" + re.sub(r"\W", "_", cell.id), *extra), "run")
        evidence.code = run.code
        evidence.cleanup_seconds = cleanup_seconds(plan.parent / "junit.xml")
        _judge_verdict(cell, run, evidence)
        left_by_run = {}
        if not (cell.phase == "cleanup" and cell.lasting and cell.kind != "delay"):
            left_by_run = wait_clean(space, 10)    # the run cleaned up after itself
            if left_by_run:
                evidence.fail(f"left behind by the run itself: {left_by_run}")
        space.fault_plan = FaultPlan([])           # the fault clears before the always() step
        always = streamtest(plan.parent, env, ["cleanup", "--state", str(plan.parent / "state.json")], "cleanup", 60)
        evidence.cleanup_seconds = max(evidence.cleanup_seconds, always.seconds if "cleanup:" in always.stderr
                                       and "already done" not in always.stderr else 0.0)
        if always.code != 0:
            evidence.fail(f"the always() cleanup exited {always.code}: {always.stderr.strip()[-300:]}")
        final = wait_clean(space, 10)
        if final:
            evidence.fail(f"leftovers after the always() cleanup: {final}")
        evidence.leftovers = {k: max(left_by_run.get(k, 0), final.get(k, 0)) for k in {**left_by_run, **final}}
        creates = [e for e in space.request_log if e[1].endswith("/jobs/create")]
        if cell.after_processing and len(creates) != 1:
            evidence.fail(f"jobs/create was called {len(creates)} times after a lost reply (want 1)")
    finally:
        space.stop()
    return evidence.finish(base / cell.id, started)


def _judge_verdict(cell: Cell, run: Finished, evidence: Evidence) -> None:
    if run.code is None:
        evidence.fail(f"hung: still running after {run.seconds:.0f}s")
        return
    if run.code != cell.expect_code:
        evidence.fail(f"exit {run.code}, want {cell.expect_code}: {run.stderr.strip()[-600:]}")
        return
    if cell.expect_code == 3:
        code = HTTP_KINDS[cell.kind]
        endpoint = re.compile(r"/api/2\.\d+(?:" + PHASES[cell.phase].replace("$", r"\b") + ")")
        named = [line for line in run.stderr.splitlines() if code in line and endpoint.search(line)]
        if not named:
            evidence.fail(f"message: no stderr line names the endpoint ({PHASES[cell.phase]}) and {code}")
    if cell.kind == "fail_run" and "driver lost (injected)" not in run.stderr:
        evidence.fail("message: the run's failure message is not shown")
    if cell.kind == "stuck_pending" and "PENDING" not in run.stderr:
        evidence.fail("message: the stuck PENDING state is not named")


# -- cancellation ----------------------------------------------------------------------------------

GITHUB_SIGTERM_AFTER, GITHUB_KILL_AFTER = 7.5, 2.5     # actions/runner's cancel protocol
CANCEL_WINDOW = 10.0


@dataclass(frozen=True)
class CancelCase:
    phase: str
    mode: str               # "github": SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after; "kill": SIGKILL
    slow_cleanup: bool = False

    @property
    def id(self) -> str:
        return f"{self.mode}-{self.phase}" + ("-slow-cleanup" if self.slow_cleanup else "")


def cancel_cases() -> list[CancelCase]:
    cases = [CancelCase(phase, mode) for mode in ("github", "kill") for phase in PHASES]
    cases.append(CancelCase("check", "github", slow_cleanup=True))   # SIGTERM lands mid-cleanup
    return cases


def run_cancel(case: CancelCase, base: Path) -> Evidence:
    """Signal ``streamtest run`` while a request of ``case.phase`` is in flight (held 3 s by the
    emulator), then run the always() cleanup once that request has been handled."""
    evidence = Evidence(case.id, "cancellation", expected="exits by itself, zero leftovers" if case.mode == "github"
                        else "killed; always() cleanup leaves zero")
    started = time.monotonic()
    hold = {"path": PHASES[case.phase], "kind": "delay", "delay": 3, "count": 1}
    rules = [hold]
    if case.slow_cleanup:
        rules.append({"path": r"/jobs/delete$", "kind": "delay", "delay": 8, "count": 1})
    space = start_space(base / case.id / "space", faults=rules)
    try:
        plan = project(base / case.id, "project")
        env = runner_env(space, plan.parent)
        launched = Launched(plan.parent, env, run_args(plan, "c_" + case.id.replace("-", "_")), "run")
        rule = space.fault_plan.rules[0]
        try:
            wait_until(lambda: rule.matches >= 1 or launched.process.poll() is not None, 60,
                       f"a {case.phase} request in flight")
        except AssertionError as exc:
            launched.finish(0)
            evidence.fail(f"hung: {exc}")
            return evidence
        if launched.process.poll() is not None:
            run = launched.finish(0)
            evidence.fail(f"exit {run.code} before the {case.phase} phase: {run.stderr.strip()[-300:]}")
            return evidence
        first_signal = time.monotonic()
        run = _cancel(launched, case.mode, evidence)
        evidence.code = run.code
        if case.mode == "github":
            # interrupted in cleanup, after every check passed: the runner finishes cleanup and
            # keeps the verdict (0); anywhere earlier the test did not finish, so it failed (1)
            allowed = (0, 1) if case.phase == "cleanup" else (1,)
            if run.code not in allowed:
                evidence.fail(f"exit {run.code}, want {' or '.join(map(str, allowed))} (interrupted): "
                              f"{run.stderr.strip()[-400:]}")
            elif "interrupted by SIGINT" not in run.stderr:
                evidence.fail("message: stderr does not say it was interrupted by SIGINT")
            evidence.cleanup_seconds = cleanup_seconds(plan.parent / "junit.xml")
            left = wait_clean_runs(space, first_signal)
            if left:
                evidence.fail(f"runs still active {CANCEL_WINDOW:.0f}s after the first signal: {left}")
        # the held request is answered after the runner is gone; then the always() step runs
        wait_until(lambda: _answered(space, PHASES[case.phase], rule.matches), 30, "the held request")
        cleanup_started = time.monotonic()
        always = streamtest(plan.parent, env, ["cleanup", "--state", str(plan.parent / "state.json")], "cleanup", 60)
        if always.code != 0:
            evidence.fail(f"the always() cleanup exited {always.code}: {always.stderr.strip()[-300:]}")
        if case.mode == "kill":
            evidence.cleanup_seconds = always.seconds
            left = wait_clean_runs(space, cleanup_started)
            if left:
                evidence.fail(f"runs still active {CANCEL_WINDOW:.0f}s after the always() cleanup began: {left}")
        evidence.expect_clean(space)
    finally:
        space.stop()
    return evidence.finish(base / case.id, started)


def _cancel(launched: Launched, mode: str, evidence: Evidence) -> Finished:
    """Deliver the signals the way GitHub's runner does (or SIGKILL), always reaping."""
    if mode == "kill":
        launched.process.kill()
        return launched.finish(10)
    launched.signal(signal.SIGINT)
    try:
        launched.process.wait(timeout=GITHUB_SIGTERM_AFTER)
    except subprocess.TimeoutExpired:
        launched.signal(signal.SIGTERM)
        try:
            launched.process.wait(timeout=GITHUB_KILL_AFTER)
        except subprocess.TimeoutExpired:
            evidence.fail("hung: still running when GitHub would SIGKILL it (10 s after SIGINT)")
            launched.process.kill()
    return launched.finish(10)


def wait_clean_runs(space: LocalSpace, since: float) -> dict:
    """Active runs must be gone within CANCEL_WINDOW of ``since``."""
    left = max(0.0, CANCEL_WINDOW - (time.monotonic() - since))
    try:
        wait_until(lambda: space.leftovers()["active_runs"] == 0, left, "runs to end")
        return {}
    except AssertionError:
        return {"active_runs": space.leftovers()["active_runs"]}


def _answered(space: LocalSpace, pattern: str, matched: int) -> bool:
    regex = re.compile(pattern)
    return sum(1 for entry in list(space.request_log) if regex.search(entry[1])) >= matched


# -- parallel runs ---------------------------------------------------------------------------------

def run_parallel(base: Path, runs: int = 10) -> list[Evidence]:
    """``runs`` runs at once against one emulator, every other one failing its check. Each must
    get its own verdict, delete exactly its own job and folder, and report only itself."""
    space = start_space(base / "space")
    results: list[Evidence] = []
    try:
        ids = [f"par_{i:02d}" for i in range(runs)]
        failing = {run_id for i, run_id in enumerate(ids) if i % 2}
        launched = {}
        for run_id in ids:
            plan = project(base, run_id)
            extra = ["--var", "expected=4", "--var", "within=2s"] if run_id in failing else ["--var", "within=60s"]
            launched[run_id] = Launched(plan.parent, runner_env(space, plan.parent),
                                        run_args(plan, run_id, *extra), "run")
        finished = {run_id: job.finish(120) for run_id, job in launched.items()}
        for run_id, run in finished.items():
            want = 1 if run_id in failing else 0
            evidence = Evidence(run_id, "parallel", code=run.code, expected=f"exit {want}", seconds=run.seconds)
            workdir = base / run_id
            evidence.cleanup_seconds = cleanup_seconds(workdir / "junit.xml")
            if run.code != want:
                evidence.fail(f"exit {run.code}, want {want}: {run.stderr.strip()[-400:]}")
            _judge_own_cleanup(run_id, run, workdir, evidence)
            others = [o for o in ids if o != run_id]
            for report in ("junit.xml", "summary.md", "state.json", "github_output.txt", "stderr-run.txt"):
                text = (workdir / report).read_text(errors="replace") if (workdir / report).exists() else ""
                crossed = [o for o in others if o in text]
                if crossed:
                    evidence.fail(f"cross-talk: {report} mentions {crossed}")
            results.append(evidence)
        left = wait_clean(space, 10)
        if left == {"workspace_objects": 1} and _empty_shared_parent(space):
            left = {}
        if left:
            results[-1].fail(f"leftovers after all runs: {left}")
            results[-1].leftovers = left
    finally:
        space.stop()
    for evidence in results:
        evidence.scan(base / evidence.name)
    return results


def _empty_shared_parent(space: LocalSpace) -> bool:
    """True when the one workspace object left is /Workspace/Shared/streamtest, empty. When runs
    overlap, the run that created this shared parent finds it busy at its cleanup, and the
    others must not delete what they did not create: staying behind empty is the rule working."""
    reply = requests.get(f"{space.url}/api/2.0/workspace/list", params={"path": "/Workspace/Shared/streamtest"},
                         headers={"Authorization": f"Bearer {TOKEN}"})
    return reply.status_code == 200 and not reply.json().get("objects")


def _judge_own_cleanup(run_id: str, run: Finished, workdir: Path, evidence: Evidence) -> None:
    """The job and folder this run deleted are the ones its state file recorded, and only those."""
    if not (workdir / "state.json").exists():
        evidence.fail("no state file")
        return
    state = json.loads((workdir / "state.json").read_text())
    deleted_jobs = re.findall(r"cleanup: deleted job (\d+)", run.stderr)
    deleted_paths = re.findall(r"cleanup: deleted (/\S+)", run.stderr)
    if deleted_jobs != [str(state.get("job_id"))]:
        evidence.fail(f"deleted jobs {deleted_jobs}, but its own job is {state.get('job_id')}")
    own = f"/Workspace/Shared/streamtest/{run_id}"
    if own not in deleted_paths or any(p != own and not own.startswith(p + "/") for p in deleted_paths):
        evidence.fail(f"deleted {deleted_paths}, but its own folder is {own}")
    if not state.get("cleaned"):
        evidence.fail("its state file is not marked cleaned")


# -- the dead-man switch ---------------------------------------------------------------------------

def run_dead_man(base: Path) -> Evidence:
    """SIGKILL the runner while its stream runs; the job's own timeout_seconds must end the run,
    and ``sweep`` must then remove the job, leaving a job streamtest did not make alone."""
    evidence = Evidence("sigkill-then-timeout-then-sweep", "dead-man", expected="run TIMEDOUT, job swept")
    started = time.monotonic()
    space = start_space(base / "space")
    try:
        plan = project(base, "deadman", "deadman.yml")
        env = runner_env(space, plan.parent)
        api = requests.Session()     # the test's own view of the workspace, as a user would look
        api.headers["Authorization"] = f"Bearer {TOKEN}"
        foreign = api.post(f"{space.url}/api/2.2/jobs/create", json={"name": "not-streamtest", "tasks": [
            {"task_key": "t", "notebook_task": {"notebook_path": "/Shared/elsewhere"}}]}).json()["job_id"]
        launched = Launched(plan.parent, env, run_args(plan, "deadman_1"), "run")
        try:
            state = wait_until(state_has(plan.parent / "state.json", "job_id", "job_run_id"), 60, "the stream to start")
            wait_until(lambda: "RUNNING" in launched.stderr(), 30, "the run to be RUNNING")
        finally:
            launched.process.kill()
            launched.finish(10)
        job = api.get(f"{space.url}/api/2.2/jobs/get", params={"job_id": state["job_id"]}).json()["settings"]
        if job.get("timeout_seconds") != 4 or not {"streamtest", "streamtest-run", "streamtest-expires"} <= set(job.get("tags", {})):
            evidence.fail(f"the job lacks its dead-man settings: timeout {job.get('timeout_seconds')}, tags {job.get('tags')}")
        try:
            wait_until(lambda: space.leftovers()["active_runs"] == 0, 20, "the job's timeout to end the run")
        except AssertionError:
            evidence.fail("the run outlived its job's timeout_seconds")
        result = api.get(f"{space.url}/api/2.2/jobs/runs/get", params={"run_id": state["job_run_id"]}).json()
        if result["state"].get("result_state") != "TIMEDOUT":
            evidence.fail(f"the run ended {result['state']}, not by its timeout")
        fresh = streamtest(plan.parent, env, ["sweep"], "sweep-fresh", 60)
        if fresh.code != 0 or space.leftovers()["jobs"] != 2:
            evidence.fail(f"a plain sweep touched a job that has not expired yet: exit {fresh.code}, "
                          f"{space.leftovers()['jobs']} jobs left of 2")
        swept = streamtest(plan.parent, env, ["sweep", "--older-than", "1s"], "sweep", 60)
        evidence.code = swept.code
        evidence.cleanup_seconds = swept.seconds
        if swept.code != 0 or f"deleted job {state['job_id']}" not in swept.stderr:
            evidence.fail(f"sweep exited {swept.code} without deleting job {state['job_id']}: {swept.stderr[-300:]}")
        remaining = [j["job_id"] for j in api.get(f"{space.url}/api/2.2/jobs/list").json().get("jobs", [])]
        if remaining != [foreign]:
            evidence.fail(f"after sweep the jobs are {remaining}; want only the foreign job {foreign}")
        api.post(f"{space.url}/api/2.2/jobs/delete", json={"job_id": foreign})
        # the deployed folder stays: only the always() step (or a person) removes it; no
        # schedule bills for a folder, and sweep touches only tagged jobs
        evidence.leftovers = {k: v for k, v in space.leftovers().items() if v and k != "workspace_objects"}
        if evidence.leftovers:
            evidence.fail(f"leftovers: {evidence.leftovers}")
        api.close()
    finally:
        space.stop()
    return evidence.finish(base / "deadman", started)


# -- OAuth: the long run and GitHub OIDC -----------------------------------------------------------

def run_long_oauth(base: Path, ttl: float = 3, pause: str = "25s") -> Evidence:
    """A run of about 2 x ``pause`` under OAuth M2M tokens that live ``ttl`` seconds: the runner
    must refresh and pass, and the emulator must really refuse an expired token (probed directly)."""
    evidence = Evidence(f"oauth-m2m-pause-{pause}-ttl-{ttl:g}s", "long run", expected="exit 0, several tokens")
    started = time.monotonic()
    space = start_space(base / "space", oauth_clients={CLIENT_ID: CLIENT_SECRET}, token_ttl=ttl)
    try:
        plan = project(base, "long", "long.yml")
        env = runner_env(space, plan.parent, DATABRICKS_TOKEN=None, DATABRICKS_CLIENT_ID=CLIENT_ID,
                         DATABRICKS_CLIENT_SECRET=CLIENT_SECRET)
        run = streamtest(plan.parent, env, run_args(plan, "long_1", "--var", f"pause={pause}"), "run", 180)
        evidence.code = run.code
        evidence.cleanup_seconds = cleanup_seconds(plan.parent / "junit.xml")
        if run.code != 0:
            evidence.fail(f"exit {run.code}, want 0: {run.stderr.strip()[-600:]}")
        issued = [e for e in space.request_log if e[:2] == ("POST", "/oidc/v1/token") and e[2] == 200]
        rejected = [e for e in space.request_log if e[2] in (401, 403)]
        if len(issued) < 5 and not rejected:
            evidence.fail(f"only {len(issued)} tokens issued and none rejected in {run.seconds:.0f}s")
        evidence.expected += f" (issued {len(issued)}, rejected {len(rejected)})"
        token = requests.post(f"{space.url}/oidc/v1/token", auth=(CLIENT_ID, CLIENT_SECRET),
                              data={"grant_type": "client_credentials", "scope": "all-apis"}).json()["access_token"]
        probe = lambda: requests.get(f"{space.url}/api/2.2/jobs/list",
                                     headers={"Authorization": f"Bearer {token}"}).status_code
        if probe() != 200:
            evidence.fail("a fresh token was refused")
        try:
            wait_until(lambda: probe() in (401, 403), ttl + 5, "the probe token to expire")
        except AssertionError:
            evidence.fail(f"the emulator still accepts a token {ttl + 5:.0f}s after it was issued")
        evidence.expect_clean(space)
    finally:
        space.stop()
    return evidence.finish(base / "long", started)


def run_oidc(base: Path) -> Evidence:
    """A passing run authenticated by GitHub OIDC federation (tests/oidc_support.py stands in for
    GitHub); neither the request token nor any JWT may show in an output."""
    evidence = Evidence("github-oidc-federation", "secrets", expected="exit 0, no OIDC token in outputs")
    started = time.monotonic()
    space = start_space(base / "space", oauth_clients={CLIENT_ID: "unused-for-federation"}, token_ttl=5)
    try:
        with github_token_service() as github:
            remember_secret(github.request_token)
            plan = project(base, "oidc")
            env = runner_env(space, plan.parent, DATABRICKS_TOKEN=None, DATABRICKS_AUTH_TYPE="github-oidc",
                             DATABRICKS_CLIENT_ID=CLIENT_ID, GITHUB_ACTIONS="true", **github.env)
            run = streamtest(plan.parent, env, run_args(plan, "oidc_1"), "run", 90)
            issued = list(github.issued)
        evidence.code = run.code
        evidence.cleanup_seconds = cleanup_seconds(plan.parent / "junit.xml")
        if run.code != 0:
            evidence.fail(f"exit {run.code}, want 0: {run.stderr.strip()[-600:]}")
        if not issued:
            evidence.fail("the runner never asked GitHub for an OIDC token")
        evidence.expect_clean(space)
    finally:
        space.stop()
    return evidence.finish(base / "oidc", started, issued)


# -- hostile input ----------------------------------------------------------------------------------

BILLION_LAUGHS = "version: 1\nname: lol\n" + "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))


@dataclass(frozen=True)
class Hostile:
    """One adversarial input. ``prepare(workdir, space_url)`` writes files and returns the
    command's arguments after ``run -c PLAN`` defaults, and environment overrides."""

    name: str
    prepare: Callable
    codes: tuple = (2,)

    @property
    def id(self) -> str:
        return self.name


def _plan_text(text: str | bytes, name: str = "hostile.yml"):
    def prepare(workdir: Path, url: str):
        path = workdir / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return _plan_run(path), {}
    return prepare


def _plan_run(path: Path) -> list:
    return run_args(path, "hostile_1")


def _stream_with(**replace: str):
    """The normal plan with some lines replaced (e.g. the upload source)."""
    def prepare(workdir: Path, url: str):
        (workdir.parent / "outside").mkdir(exist_ok=True)
        (workdir.parent / "outside" / "secret.txt").write_text("not for the workspace\n")
        (workdir.parent / "outside" / "job.yml").write_text(
            "name: outside\ntasks: [{task_key: t, notebook_task: {notebook_path: /Shared/x}}]\n")
        text = (workdir / "stream.yml").read_text()
        for old, new in replace.items():
            assert old in text, old
            text = text.replace(old, new.format(outside=workdir.parent / "outside"))
        (workdir / "hostile.yml").write_text(text)
        return _plan_run(workdir / "hostile.yml"), {}
    return prepare


def _symlink_escape(workdir: Path, url: str):
    (workdir.parent / "outside").mkdir(exist_ok=True)
    (workdir.parent / "outside" / "secret.py").write_text("# Databricks notebook source\nprint('outside')\n")
    (workdir / "notebooks" / "escape.py").symlink_to(workdir.parent / "outside" / "secret.py")
    return _plan_run(workdir / "stream.yml"), {}


def _env(**overrides):
    def prepare(workdir: Path, url: str):
        values = {k: v.format(url=url, closed=_closed_port()) if isinstance(v, str) else v
                  for k, v in overrides.items()}
        return _plan_run(workdir / "stream.yml"), values
    return prepare


def _args(*args: str):
    def prepare(workdir: Path, url: str):
        return ["run", "-c", str(workdir / "stream.yml"), "--state", str(workdir / "state.json"), *args], {}
    return prepare


def _closed_port() -> int:
    with socket.socket() as sock:         # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hostile_cases() -> list[Hostile]:
    injection = ("version: 1\nname: '${{ secrets.DATABRICKS_TOKEN }}'\n"
                 "vars:\n  x: \"${__import__('os').system('touch pwned')}\"\n  y: ${env.DATABRICKS_TOKEN${run.id}}\n"
                 "job:\n  name: j-${var.x}\n  tasks: [{task_key: t, notebook_task: {notebook_path: /Shared/x}}]\n")
    return [
        Hostile("yaml-billion-laughs", _plan_text(BILLION_LAUGHS + "job: {name: x, tasks: [{task_key: t}]}\n")),
        Hostile("yaml-deep-nesting", _plan_text("version: 1\nname: deep\nvars: {x: " + "[" * 5000 + "]" * 5000 + "}\n")),
        Hostile("huge-plan-20MB", _plan_text("version: 1\nname: huge\n" + ("# " + "x" * 98 + "\n") * 200_000)),
        Hostile("plan-not-utf8", _plan_text(b"version: 1\nname: \xff\xfe caf\xe9\n")),
        Hostile("plan-binary", _plan_text(bytes(range(256)) * 8)),
        Hostile("upload-path-traversal", _stream_with(**{"upload: data/payload.csv": "upload: ../outside/secret.txt"})),
        Hostile("upload-absolute-outside", _stream_with(**{"upload: data/payload.csv": "upload: {outside}/secret.txt"})),
        Hostile("deploy-from-parent", _stream_with(**{"from: notebooks": "from: ../outside"})),
        Hostile("deploy-from-absolute", _stream_with(**{"from: notebooks": "from: {outside}"})),
        Hostile("deploy-symlink-escape", _symlink_escape),
        Hostile("job-file-outside", _stream_with(**{"job:\n  name: guarantees-${run.id}\n  tasks:":
                                                    "job: {{file: ../outside/job.yml}}\nunused:\n  tasks:"})),
        Hostile("template-injection", _plan_text(injection)),
        Hostile("run-id-traversal", _args("--run-id", "../../etc")),
        Hostile("host-http-remote", _env(DATABRICKS_HOST="http://example.com")),
        Hostile("host-http-private-ip", _env(DATABRICKS_HOST="http://10.255.255.1:8080")),
        Hostile("host-trailing-path", _env(DATABRICKS_HOST="{url}/api/2.0/")),
        Hostile("host-with-credentials", _env(DATABRICKS_HOST="http://admin:hunter22@127.0.0.1:1")),
        Hostile("host-invalid-character", _env(DATABRICKS_HOST="https://exa mple.com")),
        Hostile("host-port-out-of-range", _env(DATABRICKS_HOST="http://127.0.0.1:99999")),
        Hostile("host-unreachable-port", _env(DATABRICKS_HOST="http://127.0.0.1:{closed}",
                                              STREAMTEST_RETRY_BUDGET=RETRY_BUDGET), codes=(3,)),
        # .invalid never resolves (RFC 2606): a typo'd host fails at once, with no retry budget set
        Hostile("host-does-not-resolve", _env(DATABRICKS_HOST="https://no-such-workspace.invalid"), codes=(3,)),
        Hostile("token-with-newline", _env(DATABRICKS_TOKEN=TOKEN + "\nX-Injected: yes"), codes=(2, 3)),
        Hostile("client-secret-with-newline", _env(DATABRICKS_TOKEN=None, DATABRICKS_CLIENT_ID=CLIENT_ID,
                                                   DATABRICKS_CLIENT_SECRET=CLIENT_SECRET + "\r\nX-Injected: yes"),
                codes=(2, 3)),
    ]


def run_hostile(case: Hostile, base: Path) -> Evidence:
    """The input is refused with exit 2 or 3 and one clear line, nothing is created, nothing hangs."""
    evidence = Evidence(case.id, "hostile input", expected="exit " + " or ".join(map(str, case.codes)))
    started = time.monotonic()
    space = start_space(base / case.id / "space", oauth_clients={CLIENT_ID: CLIENT_SECRET})
    try:
        plan = project(base / case.id, "project")
        args, overrides = case.prepare(plan.parent, space.url)
        env = runner_env(space, plan.parent, **overrides)
        run = streamtest(plan.parent, env, args, "run", 20)
        evidence.code = run.code
        if run.code is None:
            evidence.fail(f"hung: no answer within {run.seconds:.0f}s")
        elif run.code not in case.codes:
            evidence.fail(f"exit {run.code}, want {evidence.expected}: {run.stderr.strip()[-500:]}")
        line = one_line_error(run.stderr)
        if run.code is not None and line is None:
            evidence.fail(f"message: no one-line error (crashed?): {run.stderr.strip()[-500:]}")
        made = [e for e in mutating_calls(space.request_log) if not e[1].startswith("/oidc/")]
        if made:
            evidence.fail(f"mutating calls were made: {made[:5]}")
        if run.code == 2 and (plan.parent / "state.json").exists():
            evidence.fail("exit 2 (nothing created) but a state file was written")
        if (plan.parent / "pwned").exists() or (REPO / "pwned").exists():
            evidence.fail("a template ran code")
        evidence.leftovers = {k: v for k, v in space.leftovers().items() if v}
        if evidence.leftovers:
            evidence.fail(f"leftovers: {evidence.leftovers}")
    finally:
        space.stop()
    return evidence.finish(base / case.id, started)
