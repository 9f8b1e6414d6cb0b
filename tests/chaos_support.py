"""Faults the project does not choose the moment of: random kills, a real fault proxy, and the
link's own controls in network namespaces.

Shared by tests/test_guarantees_kills.py, tests/test_guarantees_network.py,
tests/test_guarantees_link.py and benchmarks/chaos.py, on top of tests/guarantees_support.py
(the emulator, the project, the runner as a subprocess, ``Evidence``).

Where a run is: localspace counts each request as it *arrives* (a zero-second ``delay`` rule
per phase only counts; nothing is delayed), so a test knows the moment a phase has begun
without waiting for its reply, and which phase a kill landed in.

**Random kills**: a seeded instant (the phase whose first request triggers it, then a random
offset of up to ``KILL_SPREAD`` seconds, which lands the signal in the middle of that request,
between requests, or in the next phase); SIGKILL, then the action's ``always()`` step
(``streamtest cleanup --state``); or SIGTERM, after which the runner must clean up by itself
and exit within GitHub's 7.5 s grace. The plan has a scratch namespace (its schema and
landing volume, made before the job), so a kill also lands while it is made, and no schema
may be left either.

**The real network**: Toxiproxy (installed by ``make toxiproxy``: a Go module, built into
.tools/bin) between the runner and localspace, both on 127.0.0.1, driven through its HTTP API.
A toxic is switched on when its phase's first request arrives at localspace (that request is
held ``HOLD`` seconds there, so its reply, and the phase's later requests, go through the
toxic) and off ``WINDOW`` seconds later, or, for a lasting cell, once the run has exited.
``run_net`` drives a "fault path": a ``Toxiproxy``, or a ``netns_support.Link`` (a veth pair
between two network namespaces, with tbf and link down/up), switched at the same moments and
judged the same way.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import requests

from e2e_support import REPO
from guarantees_support import (PHASES, Evidence, Launched, LocalSpace, cleanup_seconds, project, run_args,
                                runner_env, start_space, streamtest, wait_clean)
from waiting import wait_until

# The fault matrix's phases, and the scratch namespace's creation (schema, then volumes) after deploy
CHAOS_PHASES = {"deploy": PHASES["deploy"], "scratch": r"/unity-catalog/(schemas|volumes)$",
                **{k: v for k, v in PHASES.items() if k != "deploy"}}
ORDER = list(CHAOS_PHASES)     # deploy, scratch, create, run-now, wait, produce, check, cleanup
KILL_SPREAD = 0.3              # s after the phase's first request at most: during it, after it, or in the next phase
GITHUB_GRACE = 7.5             # s GitHub waits after its first cancel signal before the next; the bound on SIGTERM here
RUN_VARS = ("--var", "within=15s")


def phase_counters(hold: Optional[str] = None, hold_seconds: float = 0.0) -> list[dict]:
    """One counting rule per phase (in ORDER); ``hold`` delays that phase's first request."""
    return [{"path": CHAOS_PHASES[phase], "kind": "delay", "delay": hold_seconds if phase == hold else 0,
             **({"count": 1} if phase == hold else {})} for phase in ORDER]


def arrived(space: LocalSpace) -> dict[str, int]:
    """Requests of each phase that have reached localspace so far (answered or not)."""
    return {phase: rule.matches for phase, rule in zip(ORDER, space.fault_plan.rules)}


def phase_now(space: LocalSpace) -> str:
    """The latest phase a request has arrived for ("before" when none has)."""
    counts = arrived(space)
    return next((phase for phase in reversed(ORDER) if counts[phase]), "before")


def creates(space: LocalSpace) -> int:
    """jobs/create requests that reached the emulator (answered, dropped or cut off)."""
    return arrived(space)["create"]


def connections_open(space: LocalSpace) -> int:
    """Connections localspace still serves: a killed runner's request is being finished."""
    server = space._httpd
    with server._open_lock:
        return len(server._open)


def wait_quiet(space: LocalSpace, evidence: Evidence, timeout: float = 20.0) -> None:
    """Wait until every request of a gone runner has been handled, as on a real workspace a
    request on the wire lands before the always() step looks."""
    try:
        wait_until(lambda: connections_open(space) == 0, timeout, "localspace to finish the runner's requests")
    except AssertionError as exc:
        evidence.fail(f"hung: {exc}")


def always_cleanup(workdir: Path, env: dict, evidence: Evidence, space: LocalSpace, wrap: tuple = (),
                   catalog: bool = False) -> None:
    """The action's always() step, then: nothing may be left (with ``catalog``, no scratch
    schema either), jobs/create never repeated."""
    always = streamtest(workdir, env, ["cleanup", "--state", str(workdir / "state.json")], "cleanup", 60, wrap)
    if always.code != 0:
        evidence.fail(f"the always() cleanup exited {always.code}: {always.stderr.strip()[-300:]}")
    evidence.cleanup_seconds = max(evidence.cleanup_seconds, always.seconds)
    evidence.expect_clean(space, catalog)
    if creates(space) > 1:
        evidence.fail(f"jobs/create reached the workspace {creates(space)} times (want at most 1)")


# -- random kills ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kill:
    index: int
    signum: int
    phase: str          # the phase whose first request starts the clock
    offset: float       # seconds after it
    hold: float = 0.0   # seconds localspace holds that request before it acts on it (0: not held)

    @property
    def id(self) -> str:
        held = f"-held-{self.hold:g}s" if self.hold else ""
        name = signal.Signals(self.signum).name.lower()
        return f"{name}-{self.index:03d}-{self.phase}-{self.offset * 1000:.1f}ms{held}"


def kills(count: int, seed: int, signum: int = signal.SIGKILL) -> list[Kill]:
    """``count`` seeded kill instants, the phases taken in turn (each phase its share), the
    offsets random."""
    rng = random.Random(seed)
    phases = [ORDER[i % len(ORDER)] for i in range(count)]
    rng.shuffle(phases)
    # half land within 5 ms of the phase's first request (during it, mostly), half anywhere in KILL_SPREAD
    return [Kill(i, signum, phase, round(rng.uniform(0, 0.005 if rng.random() < 0.5 else KILL_SPREAD), 4))
            for i, phase in enumerate(phases)]


def run_kill(kill: Kill, base: Path) -> Evidence:
    sigterm = kill.signum == signal.SIGTERM
    evidence = Evidence(kill.id, "random SIGTERM" if sigterm else "random SIGKILL",
                        expected=f"exit by itself within {GITHUB_GRACE}s, cleaned" if sigterm
                        else "killed; always() cleanup leaves zero")
    started = time.monotonic()
    space = start_space(base / kill.id / "space", faults=phase_counters(kill.phase if kill.hold else None, kill.hold))
    try:
        plan = project(base / kill.id, "project", scratch=True)
        env = runner_env(space, plan.parent)
        launched = Launched(plan.parent, env, run_args(plan, "k" + kill.id.split("-")[1], *RUN_VARS), "run")
        rule = space.fault_plan.rules[ORDER.index(kill.phase)]
        try:
            wait_until(lambda: rule.matches >= 1 or launched.process.poll() is not None, 60,
                       f"the first {kill.phase} request", interval=0.0005, ceiling=0.001)
        except AssertionError as exc:
            launched.finish(0)
            evidence.fail(f"hung: {exc}")
            return evidence
        threading.Event().wait(kill.offset)      # the chosen instant, not a race to win
        alive = launched.process.poll() is None
        evidence.expected += f"; landed in {phase_now(space) if alive else 'after the exit'}"
        signalled = time.monotonic()
        launched.signal(kill.signum)
        run = launched.finish(GITHUB_GRACE + 5 if sigterm else 10)
        evidence.code = run.code
        if sigterm:
            _judge_sigterm(run, launched.started + run.seconds - signalled, alive, plan.parent, space, evidence)
        wait_quiet(space, evidence)
        always_cleanup(plan.parent, env, evidence, space, catalog=True)
    finally:
        space.stop()
    return evidence.finish(base / kill.id, started)


def _judge_sigterm(run, after: float, alive: bool, workdir: Path, space: LocalSpace, evidence: Evidence) -> None:
    evidence.cleanup_seconds = cleanup_seconds(workdir / "junit.xml")
    wait_quiet(space, evidence)     # a create still on the wire lands before we look, not after
    if run.code is None:
        evidence.fail(f"hung: still running {GITHUB_GRACE + 5:.1f}s after SIGTERM")
        return
    if alive and run.code not in (0, 1):
        evidence.fail(f"exit {run.code} after SIGTERM, want 1 (or 0 when the verdict was in): {run.stderr[-400:]}")
    if alive and after > GITHUB_GRACE:
        evidence.fail(f"exited {after:.1f}s after SIGTERM, past GitHub's {GITHUB_GRACE}s grace")
    if alive and "interrupted by SIGTERM" not in run.stderr and run.code != 0:
        evidence.fail("message: stderr does not say it was interrupted by SIGTERM")
    left = wait_clean(space, max(0.2, GITHUB_GRACE - after), catalog=True)
    if left:
        evidence.fail(f"left by the runner within the grace (before always()): {left}")


# -- Toxiproxy ---------------------------------------------------------------------------------------

TOOLS = REPO / ".tools" / "bin"
HOLD = 0.5                     # s the phase's first request is held at localspace while the toxic goes on
WINDOW = 4.0                   # s a toxic stays on
CLEAN_RUN_SECONDS = 10.0       # a run of the guarantee plan without faults takes ~1.5 s here; generous for a busy CI
BUDGET_SLACK = 25.0            # s a run may take beyond its clean time + WINDOW (a 10 s backoff cap, twice, + 5)

# name -> (toxic type, attributes, stream). Latency and jitter span 50 ms - 2 s.
TOXICS = {
    "latency-1s-jitter-1s": ("latency", {"latency": 1000, "jitter": 950}, "downstream"),
    "latency-50ms-up": ("latency", {"latency": 50, "jitter": 0}, "upstream"),
    "bandwidth-1KBps": ("bandwidth", {"rate": 1}, "downstream"),
    "slow-close-1s": ("slow_close", {"delay": 1000}, "downstream"),
    "blackhole": ("timeout", {"timeout": 0}, "downstream"),
    "blackhole-close-1s": ("timeout", {"timeout": 1000}, "upstream"),
    "reset-peer": ("reset_peer", {"timeout": 0}, "downstream"),
    "slicer-8B": ("slicer", {"average_size": 8, "size_variation": 6, "delay": 2000}, "downstream"),
    "limit-data-200B": ("limit_data", {"bytes": 200}, "downstream"),
}
NET_PHASES = ("deploy", "create", "run-now", "wait", "produce", "check", "cleanup")


def toxiproxy_binary() -> Optional[str]:
    local = TOOLS / "toxiproxy-server"
    return str(local) if local.exists() else shutil.which("toxiproxy-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Toxiproxy:
    """A toxiproxy-server on 127.0.0.1 for the life of a ``with`` block (it stops by itself
    then; its own output goes to ``log``)."""

    def __init__(self, log: Path):
        binary = toxiproxy_binary()
        if binary is None:
            raise FileNotFoundError("toxiproxy-server not found: run `make toxiproxy` (Go module, into .tools/bin)")
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}"
        self._log = open(log, "w")
        self.process = subprocess.Popen([binary, "-host", "127.0.0.1", "-port", str(self.port)],
                                        stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        self.http = requests.Session()
        try:
            wait_until(self._up, 20, "toxiproxy's API")
        except AssertionError:
            self.close()
            raise

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"toxiproxy-server exited {self.process.returncode}")
        try:
            return self.http.get(f"{self.api}/version", timeout=1).ok
        except requests.ConnectionError:
            return False

    def proxy(self, name: str, upstream: str) -> str:
        """A new proxy to ``upstream`` (host:port) on a free loopback port; returns its URL."""
        reply = self.http.post(f"{self.api}/proxies", json={"name": name, "listen": "127.0.0.1:0",
                                                            "upstream": upstream, "enabled": True}, timeout=5)
        reply.raise_for_status()
        return "http://" + reply.json()["listen"]

    def toxic_on(self, proxy: str, name: str, kind: str, attributes: dict, stream: str) -> None:
        reply = self.http.post(f"{self.api}/proxies/{proxy}/toxics", timeout=5, json={
            "name": name, "type": kind, "stream": stream, "toxicity": 1.0, "attributes": attributes})
        reply.raise_for_status()

    def toxic_off(self, proxy: str, name: str) -> None:
        self.http.delete(f"{self.api}/proxies/{proxy}/toxics/{name}", timeout=5)

    def delete(self, proxy: str) -> None:
        self.http.delete(f"{self.api}/proxies/{proxy}", timeout=5)

    # -- what run_net drives (a fault path: netns_support.Link is the other) ------------------------

    faults = TOXICS
    group = "real network"
    prefix = "n_"
    wrap: tuple = ()
    start_space = staticmethod(start_space)

    def connect(self, name: str, space: LocalSpace) -> str:
        return self.proxy(name, space.url.removeprefix("http://"))

    def on(self, name: str, fault: str) -> None:
        self.toxic_on(name, "fault", *TOXICS[fault])

    def off(self, name: str) -> None:
        self.toxic_off(name, "fault")

    def release(self, name: str) -> None:
        try:
            self.delete(name)
        except requests.RequestException:
            pass

    def close(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> "Toxiproxy":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


LASTING = ("blackhole", "reset-peer")   # toxics also run as lasting: on until the run has exited
LASTING_BUDGET = 3.0                      # STREAMTEST_RETRY_BUDGET (s) for those


@dataclass(frozen=True)
class NetCell:
    fault: str          # a name in TOXICS or netns_support.LINK_FAULTS
    phase: str
    lasting: bool = False

    @property
    def id(self) -> str:
        return f"{self.fault}-{self.phase}" + ("-lasting" if self.lasting else "")

    @property
    def budget(self) -> float:
        """How long the run may take: a transient fault, its clean time + the fault's WINDOW +
        BUDGET_SLACK; a lasting one, for each of up to 6 calls it fails (the phase's and
        cleanup's), the retry budget or the 10 s an attempt may always wait, whichever is more,
        + 1 s, + BUDGET_SLACK (before the fix, each call could hang for the 70 s read timeout)."""
        if self.lasting:
            return CLEAN_RUN_SECONDS + 6 * (max(LASTING_BUDGET, 10.0) + 1) + BUDGET_SLACK
        return CLEAN_RUN_SECONDS + WINDOW + BUDGET_SLACK


def net_cells(faults=TOXICS, lasting=LASTING) -> list[NetCell]:
    """Every fault in every phase, and the ``lasting`` ones also until the run exits."""
    cells = [NetCell(fault, phase) for fault in faults for phase in NET_PHASES]
    return cells + [NetCell(fault, phase, lasting=True) for fault in lasting for phase in NET_PHASES]


def sample(cells: list, count: Optional[int], seed: int) -> list:
    """A seeded sample of ``count`` that still takes every fault, then (as far as ``count``
    allows; with None, just enough) every phase."""
    chosen = random.Random(seed).sample(cells, len(cells))
    picked = []
    for key in (lambda c: c.fault, lambda c: c.phase):     # first one of each fault, of each phase, then fill up
        seen = {key(c) for c in picked}
        for cell in chosen:
            if key(cell) not in seen and cell not in picked:
                picked.append(cell)
                seen.add(key(cell))
    if count is None:
        return picked
    picked += [c for c in chosen if c not in picked]
    return picked[:count]


def run_net(cell: NetCell, base: Path, path) -> Evidence:
    """The plan over a fault path (a ``Toxiproxy``, or a ``netns_support.Link``); the fault on
    from the phase's first request for WINDOW s (the plan passes), or until the run exits
    (lasting: exit 3, naming the network error)."""
    budget = cell.budget
    want = 3 if cell.lasting else 0
    evidence = Evidence(cell.id, path.group, expected=f"exit {want} within {budget:.0f}s")
    started = time.monotonic()
    space = path.start_space(base / cell.id / "space", faults=phase_counters(hold=cell.phase, hold_seconds=HOLD))
    name = cell.id.replace("-", "_")
    try:
        url = path.connect(name, space)
        plan = project(base / cell.id, "project")
        env = runner_env(space, plan.parent, DATABRICKS_HOST=url,
                         STREAMTEST_RETRY_BUDGET=str(LASTING_BUDGET) if cell.lasting else None)
        launched = Launched(plan.parent, env, run_args(plan, path.prefix + name[:40], *RUN_VARS), "run", path.wrap)
        rule = space.fault_plan.rules[ORDER.index(cell.phase)]
        try:
            wait_until(lambda: rule.matches >= 1 or launched.process.poll() is not None, 60,
                       f"the first {cell.phase} request", interval=0.002, ceiling=0.01)
            if launched.process.poll() is None:
                path.on(name, cell.fault)
                try:
                    launched.process.wait(timeout=budget if cell.lasting else WINDOW)
                except subprocess.TimeoutExpired:
                    pass
                path.off(name)
            else:
                evidence.fail(f"the run ended before its {cell.phase} phase")
        except AssertionError as exc:
            evidence.fail(f"hung: {exc}")
        run = launched.finish(max(1.0, budget - (time.monotonic() - launched.started)))
        evidence.code = run.code
        evidence.seconds = run.seconds
        evidence.cleanup_seconds = cleanup_seconds(plan.parent / "junit.xml")
        if run.code is None:
            evidence.fail(f"hung: over its budget of {budget:.0f}s")
        elif run.code != want:
            evidence.fail(f"exit {run.code}, want {want}: {run.stderr.strip()[-600:]}")
        elif cell.lasting and "NETWORK_ERROR" not in run.stderr:
            evidence.fail("message: no stderr line names the network error")
        if run.seconds > budget:
            evidence.fail(f"hung: the run took {run.seconds:.0f}s, over its budget of {budget:.0f}s")
        left = wait_clean(space, 10)
        if left and not cell.lasting:      # a lasting fault blocks the run's own cleanup too
            evidence.fail(f"left behind by the run itself: {left}")
        wait_quiet(space, evidence)
        always_cleanup(plan.parent, runner_env(space, plan.parent), evidence, space, path.wrap)
    finally:
        path.release(name)
        space.stop()
    return evidence.finish(base / cell.id, started)


def need_toxiproxy() -> str:
    """The binary, or why not: in CI (CI=true) a missing binary is a failure, elsewhere a skip."""
    binary = toxiproxy_binary()
    if binary is None and os.environ.get("CI"):
        raise RuntimeError("toxiproxy-server not installed: .ci/run must run `make toxiproxy`")
    return binary or ""
