"""Benchmark 2: how many API calls does waiting cost, per check and for watching the run?

    .venv/bin/python benchmarks/api_economy.py [--wait 40]

One emulator (python engine), one run per policy (see harness.py) of a test whose single
check waits ``--wait`` seconds for its row (the stream commits it that long after the
upload). Counted from the emulator's request log, between the check's start and its pass:

- check calls: the SQL check's own calls (statement submits and polls), per minute of
  waiting, and the mean gap between them once the check has waited 10 s (the target: at
  least 2 s, i.e. at most one call every 2 s);
- watch calls: runs/get on the streaming run (how the runner notices a dead stream), per
  minute, the mean gap after 10 s, and the longest gap while waiting: a stream that dies in
  that gap is noticed only at its end, so it bounds the time to notice (target: under 5 s).

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


def gaps_after(start: float, times: list[float], settled: float) -> list[float]:
    """Gaps between consecutive calls (the wait's start counts as the first mark) that end
    once the check has waited ``settled`` seconds: their mean is "one call every N s"."""
    marks = [start] + times
    return [b - a for a, b in zip(marks, marks[1:]) if b >= start + settled]


def measure(space, workdir: Path, policy: str, wait: float) -> dict:
    run_id = f"eco_{policy.replace('-', '')}"
    project = harness.Project(workdir, run_id)
    iteration = harness.payload_iteration(run_id, 1, project.payload(1, wait), policy, seed_wait=wait + 5)
    plan = project.write(harness.stream_plan(run_id, [iteration], name=f"economy-{policy}"))
    finished = harness.run_to_end(space, plan, run_id, policy)
    first_step = "wait 1" if policy == "seed" else "check 1"
    start = next(at for at, line in finished.lines if line.endswith(f"] {first_step}"))
    end = finished.passed_at("check 1")
    checks = [c.at for c in harness.calls(space, start, end, harness.is_check_call)]
    watches = [c.at for c in harness.calls(space, start, end, harness.is_watch_call)]
    return {
        "waited": end - start,
        "checks": len(checks), "checks_per_min": harness.per_minute(len(checks), end - start),
        "check_gap": harness.mean(gaps_after(start, checks, SETTLED)),
        "watches": len(watches), "watches_per_min": harness.per_minute(len(watches), end - start),
        "watch_gap": harness.mean(gaps_after(start, watches, SETTLED)),
        "longest_watch_gap": max(gaps_after(start, watches + [end], 0.0)),
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
    rows = [[policy, r["waited"], r["checks"], r["checks_per_min"], r["check_gap"], r["watches"],
             r["watches_per_min"], r["watch_gap"], r["longest_watch_gap"]] for policy, r in results.items()]
    print(harness.table(
        f"2. API calls while one check waits {args.wait:g}s for its data ('gap' = mean seconds between "
        f"calls once the check has waited {SETTLED:g}s)",
        ["policy", "waited s", "check calls", "check calls/min", "check gap s", "watch calls",
         "watch calls/min", "watch gap s", "longest watch gap s"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
