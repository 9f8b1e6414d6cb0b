"""The guarantees (spec §5) under faults the project does not control, as one table.

    .venv/bin/python benchmarks/chaos.py [--quick] [--only GROUP ...] [--workers 4] [--seed 2026] [--keep DIR]

Groups (tests/chaos_support.py; the test suite runs a seeded sample of each):
- generated plans: the Hypothesis properties of tests/test_guarantees_generated.py (profile
  "ci": 150 derandomized examples with --quick, "deep": 3000 new ones) - exit 0 or 2 with FILE:LINE,
  never a traceback, no request after exit 2;
- random SIGKILL: a seeded instant in each phase in turn, then the action's always() cleanup
  (105 runs; 21 with --quick);
- random SIGTERM: the runner must clean up by itself within GitHub's 7.5 s grace (35; 14);
- real network: Toxiproxy between runner and localspace, each toxic (latency + jitter up to
  2 s, bandwidth, slow_close, timeout/blackhole, reset_peer, slicer, limit_data) in each phase
  for 4 s, and a blackhole and connection resets lasting until the run exits (77 cells; a
  seeded 21 with --quick, every toxic included);
- link (netns): the kernel's own controls on a veth pair between two network namespaces
  (root only; tests/netns_support.py): a tbf rate limit (1 KB/s queued; 8 KB/s with a
  one-packet queue, so bursts drop), the far end down (a blackhole) and the runner's own end
  down (network unreachable at once), each in each phase for 4 s, and the far end down until
  the run exits (35 cells; a seeded 12 with --quick, every fault and every phase included).

Columns: cells; verdicts right (exit code as the spec says); leftovers (jobs, active runs,
statements, workspace objects after the always() step, summed); double creates (cells where
jobs/create reached the workspace more than once); within budget (no hang; SIGTERM: exited
within 7.5 s; network and link: the run within its clean time + the 4 s fault + 25 s, or for a lasting
fault 6 x (10 s + 1 s) + 25 s more); the slowest
cell. Exit status 0 only when every cell is right and no secret shows in any output.
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "scripts"), str(REPO / "benchmarks")]

import chaos_support as c  # noqa: E402
import guarantees_support as g  # noqa: E402
import netns_support as n  # noqa: E402
from harness import machine, table  # noqa: E402


def generated(base: Path, args) -> list[g.Evidence]:
    """The property tests in their own pytest process: one cell per test."""
    profile = "ci" if args.quick else "deep"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", "--timeout", "1500",
                           "--durations=0", "--durations-min=0",
                           str(REPO / "tests" / "test_guarantees_generated.py")], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ, "HYPOTHESIS_PROFILE": profile}, timeout=1800)
    results = []
    for outcome, test in re.findall(r"^(PASSED|FAILED|ERROR) \S+::(\S+)", done.stdout, re.M):
        evidence = g.Evidence(test, "generated plans", code=0 if outcome == "PASSED" else 1,
                              expected=f"profile {profile}")
        if outcome != "PASSED":
            evidence.fail("exit: the property failed; see pytest's output: "
                          + done.stdout.strip().splitlines()[-1])
        results.append(evidence)
    if not results:
        evidence = g.Evidence("pytest", "generated plans")
        evidence.fail(f"exit: pytest ran nothing: {done.stdout[-400:]}{done.stderr[-400:]}")
        results.append(evidence)
    took = {test: float(seconds) for seconds, test in re.findall(r"^([\d.]+)s call\s+\S+::(\S+)", done.stdout, re.M)}
    for evidence in results:
        evidence.seconds = took.get(evidence.name, 0.0)
    return results


def kill_group(signum: int, full: int, quick: int):
    def run(base: Path, args) -> list[g.Evidence]:
        count = quick if args.quick else full
        cases = c.kills(count, seed=args.seed + signum, signum=signum)
        return g.run_pool([lambda k=k: c.run_kill(k, base) for k in cases], args.workers)
    return run


def network(base: Path, args) -> list[g.Evidence]:
    cells = c.net_cells()
    if args.quick:
        cells = c.sample(cells, 21, seed=args.seed)
    with c.Toxiproxy(base / "toxiproxy.log") as proxy:
        return g.run_pool([lambda cell=cell: c.run_net(cell, base, proxy) for cell in cells], args.workers)


def link(base: Path, args) -> list[g.Evidence]:
    """Each cell on a veth pair of its own (two namespaces, deleted after it)."""
    cells = c.net_cells(n.LINK_FAULTS, n.LINK_LASTING)
    if args.quick:
        cells = c.sample(cells, 12, seed=args.seed)

    def one(cell: c.NetCell) -> g.Evidence:
        with n.Link() as path:
            return c.run_net(cell, base, path)
    return g.run_pool([lambda cell=cell: one(cell) for cell in cells], args.workers)


GROUPS = {
    "generated plans": generated,
    "random SIGKILL": kill_group(signal.SIGKILL, 105, 21),
    "random SIGTERM": kill_group(signal.SIGTERM, 35, 14),
    "real network": network,
    "link (netns)": link,
}
HEADERS = ["group", "cells", "verdicts right", "leftovers", "double creates", "within budget", "slowest cell", "wall"]


def row(name: str, results: list[g.Evidence], seconds: float) -> list:
    right = sum(1 for r in results if r.verdict_right)
    doubles = sum(1 for r in results if any("jobs/create reached" in p for p in r.problems))
    budget = sum(1 for r in results if not any(p.startswith("hung") or "grace" in p for p in r.problems))
    slowest = max(results, key=lambda r: r.seconds, default=None)
    return [name, len(results), f"{right}/{len(results)}", sum(r.left_behind for r in results), doubles,
            f"{budget}/{len(results)}", f"{slowest.seconds:.1f}s {slowest.name}" if slowest else "-",
            f"{seconds:.0f}s"]


def landed(results: list[g.Evidence]) -> str:
    """Where the kills landed (the phase of the last request that had arrived)."""
    places = collections.Counter(m.group(1) for r in results for m in [re.search(r"landed in (.+)$", r.expected)] if m)
    order = c.ORDER + ["after the exit", "before"]
    return ", ".join(f"{place} {places[place]}" for place in order if places[place])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few minutes: fewer kills, a sample of the network cells")
    parser.add_argument("--only", action="append", choices=list(GROUPS), help="run only these groups")
    parser.add_argument("--workers", type=int, default=4, help="cases run side by side (default 4)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the kill instants and the network sample")
    parser.add_argument("--keep", type=Path, help="keep every case's files here (default: a temporary folder)")
    args = parser.parse_args()
    if "real network" in (args.only or GROUPS) and not c.toxiproxy_binary():
        print("chaos: toxiproxy-server not found; run `make toxiproxy` first", file=sys.stderr)
        return 2
    if "link (netns)" in (args.only or GROUPS) and n.unavailable():
        print(f"chaos: link (netns): {n.unavailable()}; run as root, or leave it out with --only", file=sys.stderr)
        return 2
    print(f"chaos{' --quick' if args.quick else ''}, seed {args.seed}, {args.workers} workers; {machine()}",
          file=sys.stderr)
    rows, everything, notes, started = [], [], [], time.monotonic()
    with tempfile.TemporaryDirectory(prefix="streamtest-chaos-") as temp:
        root = args.keep or Path(temp)
        for index, name in enumerate(n for n in GROUPS if not args.only or n in args.only):
            base = root / f"{index}-{name.split()[-1]}"
            base.mkdir(parents=True, exist_ok=True)
            print(f"running {name} ...", file=sys.stderr, flush=True)
            group_started = time.monotonic()
            results = GROUPS[name](base, args)
            rows.append(row(name, results, time.monotonic() - group_started))
            if name.startswith("random"):
                notes.append(f"{name} landed in: {landed(results)}")
            everything += results
        closing = g.closing_lines(everything)
    rows.append(row("total", everything, time.monotonic() - started))
    print(table("streamtest under chaos" + (" (--quick)" if args.quick else ""), HEADERS, rows))
    print("\n".join(notes + closing))
    return 0 if not any("NOT RIGHT" in text for text in closing) else 1


if __name__ == "__main__":
    sys.exit(main())
