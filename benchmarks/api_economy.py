"""Benchmark 2: how many API calls does waiting cost, per check and for watching the run?

    .venv/bin/python benchmarks/api_economy.py [--wait 40]

One emulator (python engine), one run per policy (see harness.py) of a test whose single
check waits ``--wait`` seconds for its row (the stream commits it that long after the
upload). Counted from the emulator's request log, between the check's start and its pass:

- check calls: the SQL check's own calls (statement submits and polls), per minute of
  waiting, and per minute once it has waited 10 s (the target: at most 30/min, one every 2 s);
- watch calls: runs/get on the streaming run (how the runner notices a dead stream), per
  minute, and the longest gap between two of them while waiting: a stream that dies in that
  gap is noticed only at its end, so it bounds the time to notice (target: under 5 s).

The seed policy sleeps ``--wait`` + 5 s and then checks once (its fixed wait must cover the
slowest case); the shipped runner still watches the run during a ``sleep`` step, which the
seed's own notebook never did (it would notice a dead stream only when the wait is over).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import harness

SETTLED = 10.0  # the target applies once a check has waited this long


def measure(space, workdir: Path, policy: str, wait: float) -> dict:
    run_id = f"eco_{policy.replace('-', '')}"
    project = harness.Project(workdir, run_id)
    iteration = harness.payload_iteration(run_id, 1, project.payload(1, wait), policy, seed_wait=wait + 5)
    plan = project.write(harness.stream_plan(run_id, [iteration], name=f"economy-{policy}"))
    finished = harness.run_to_end(space, plan, run_id, policy)
    first_step = "wait 1" if policy == "seed" else "check 1"
    start = next(at for at, line in finished.lines if line.endswith(f"] {first_step}"))
    end = finished.passed_at("check 1")
    checks = harness.calls(space, start, end, harness.is_check_call)
    watches = harness.calls(space, start, end, harness.is_watch_call)
    settled_checks = [c for c in checks if c.at >= start + SETTLED]
    settled_watches = [c for c in watches if c.at >= start + SETTLED]
    marks = [start] + [c.at for c in watches] + [end]
    return {
        "waited": end - start,
        "checks": len(checks), "checks_per_min": harness.per_minute(len(checks), end - start),
        "checks_per_min_settled": harness.per_minute(len(settled_checks), end - start - SETTLED),
        "watches": len(watches), "watches_per_min": harness.per_minute(len(watches), end - start),
        "watches_per_min_settled": harness.per_minute(len(settled_watches), end - start - SETTLED),
        "longest_gap": max(b - a for a, b in zip(marks, marks[1:])),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=40.0, help="seconds until the row is there")
    args = parser.parse_args()
    print(f"machine: {harness.machine()}\n")
    results = {}
    with harness.emulator("python") as space, tempfile.TemporaryDirectory() as tmp:
        for policy in harness.POLICIES:
            results[policy] = measure(space, Path(tmp), policy, args.wait)
            print(f"  {policy}: done", file=sys.stderr)
    rows = [[policy, r["waited"], r["checks"], r["checks_per_min"], r["checks_per_min_settled"], r["watches"],
             r["watches_per_min"], r["watches_per_min_settled"], r["longest_gap"]]
            for policy, r in results.items()]
    print(harness.table(
        f"API calls while one check waits {args.wait:g}s for its data (per minute; 'after 10s' = from 10 s of waiting on)",
        ["policy", "waited s", "check calls", "check/min", "check/min after 10s", "watch calls", "watch/min",
         "watch/min after 10s", "longest watch gap s"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
