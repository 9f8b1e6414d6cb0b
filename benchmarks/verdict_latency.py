"""Benchmark 1: how long after the data is there does each check pass?

    .venv/bin/python benchmarks/verdict_latency.py [--checks 10] [--max-delay 10] [--seed-wait 12]

One emulator (python engine), three runs of the same test, one per policy (see harness.py):
a stream job that commits one row per payload, ``--checks`` payloads, each committed a
delay after its upload (spread evenly over 0.2 s to ``--max-delay``, shuffled; the same list
for every policy),
and after each upload a SQL check that waits for that row. For every check:

    latency = when the runner printed "passed"  -  when the emulator committed the row

(the commit time is the emulator's own record, ``LocalSpace.table_versions()``). The seed
sleeps 2 minutes after every payload; that would make this benchmark take an hour, so its
wait is scaled down to ``--seed-wait`` (default 12 s: like the seed's, long enough for the
slowest payload), and the table also gives the seed's latency at full scale, computed:
measured latency + (120 s - seed wait), since a fixed wait ends at the same time whatever
the data does. Also printed: each run's wall time and the stream's billed time (its run's
start to TERMINATED).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import harness

SEED_FULL_WAIT = 120.0


def measure(space, workdir: Path, policy: str, delays: list[float], seed_wait: float) -> dict:
    run_id = f"lat_{policy.replace('-', '')}"
    project = harness.Project(workdir, run_id)
    iterations = [harness.payload_iteration(run_id, i, project.payload(i, delay), policy, seed_wait=seed_wait)
                  for i, delay in enumerate(delays, start=1)]
    plan = project.write(harness.stream_plan(run_id, iterations, name=f"latency-{policy}"))
    finished = harness.run_to_end(space, plan, run_id, policy)
    committed = space.table_versions()[harness.table_for(run_id)]
    latencies = [finished.passed_at(f"check {i}") - committed[i - 1] for i in range(1, len(delays) + 1)]
    run = harness.job_run(space)
    return {"latencies": latencies, "wall": finished.wall,
            "billed": (run.end_time - run.start_time) / 1000, "cpu": finished.cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=10)
    parser.add_argument("--max-delay", type=float, default=10.0)
    parser.add_argument("--seed-wait", type=float, default=12.0)
    parser.add_argument("--seed", type=int, default=7, help="random seed for the order of the delays")
    args = parser.parse_args()
    delays = harness.spread(args.checks, 0.2, args.max_delay, args.seed)
    print(f"machine: {harness.machine()}")
    print(f"delays (s, commit after upload): {', '.join(f'{d:g}' for d in delays)}\n")
    results = {}
    with harness.emulator("python") as space, tempfile.TemporaryDirectory() as tmp:
        for policy in harness.POLICIES:
            results[policy] = measure(space, Path(tmp), policy, delays, args.seed_wait)
            print(f"  {policy}: done in {results[policy]['wall']:.1f}s", file=sys.stderr)

    def row(name: str, latencies: list[float], wall: float, billed: float) -> list:
        return [name, len(latencies), harness.median(latencies), harness.percentile(latencies, 0.9),
                max(latencies), wall, billed]

    rows = [row(policy if policy != "seed" else f"seed ({args.seed_wait:g}s wait)", r["latencies"], r["wall"],
                r["billed"]) for policy, r in results.items()]
    extra = SEED_FULL_WAIT - args.seed_wait  # a fixed wait ends this much later at full scale, every time
    seed, seed_full = results["seed"], [x + extra for x in results["seed"]["latencies"]]
    rows.append(row(f"seed ({SEED_FULL_WAIT:g}s wait, computed)", seed_full, seed["wall"] + len(delays) * extra,
                    seed["billed"] + len(delays) * extra))
    print(harness.table("1. Verdict latency per check (s): runner says passed - emulator committed the row",
                        ["policy", "checks", "median", "p90", "max", "test wall", "stream billed"], rows))

    per_check = [[i, f"{d:g}", *(f"{results[p]['latencies'][i - 1]:.2f}" for p in harness.POLICIES)]
                 for i, d in enumerate(delays, start=1)]
    print(harness.table("1. Per check: the payload's delay after its upload, and each policy's latency (s)",
                        ["check", "delay", *harness.POLICIES], per_check))

    base = harness.median(results["streamtest"]["latencies"])
    print(f"median latency: streamtest {base:.2f}s; fixed 5 s poll "
          f"{harness.median(results['fixed-5s']['latencies']) / base:.1f}x; seed scaled "
          f"{harness.median(results['seed']['latencies']) / base:.1f}x; seed full scale "
          f"{harness.median(seed_full) / base:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
