"""Benchmark 5: the runner's own cost: start-up, and CPU as plans grow.

    .venv/bin/python benchmarks/overhead.py [--repeats 5] [--sizes 2,20,200]

One emulator (python engine).
- Start-up: from launching ``python -m streamtest run`` to the first API call the emulator
  sees, next to interpreters that only import the run-time dependencies or the CLI module
  (so the table shows where the time goes). Target: under 0.3 s.
- Growth: plans of 2, 20 and 200 iterations, each iteration one trivial SQL check
  (``SELECT 1``, expect 1) while the stream job runs; the runner's CPU seconds
  (user + system, from wait4), its wall time, its API calls and the TCP connections they
  used, with JUnit and summary written as in CI. The cost per iteration between sizes
  shows whether it grows linearly.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness


# What a launch costs before the runner's own work: the interpreter, its run-time
# dependencies (requirements.txt), and the runner's modules on top of them.
LAUNCHES = ("pass", "import requests", "import requests, yaml, junit_xml", "import streamtest.cli")


def startup(space, workdir: Path, n: int) -> float:
    run_id = f"start_{n}"
    project = harness.Project(workdir, run_id)
    plan = project.write(harness.stream_plan(run_id, [], name=run_id))
    since = time.time()
    finished = harness.run_to_end(space, plan, run_id)
    first_call = harness.calls(space, since)[0].at
    return first_call - finished.started


def interpreter(code: str) -> float:
    """Wall time of ``python -c code`` with the project on the path."""
    started = time.time()
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(harness.SCRIPTS)})
    return time.time() - started


def growth(space, workdir: Path, size: int) -> dict:
    run_id = f"grow_{size}"
    project = harness.Project(workdir, run_id)
    iterations = [{"name": f"iteration {i}", "validate": [{"name": f"check {i}", "sql": "SELECT 1", "expect": 1}]}
                  for i in range(1, size + 1)]
    plan = project.write(harness.stream_plan(run_id, iterations, name=run_id))
    since, connections = time.time(), space.connections()
    finished = harness.run_to_end(space, plan, run_id)
    return {"cpu": finished.cpu, "wall": finished.wall, "calls": len(harness.calls(space, since)),
            "connections": space.connections() - connections}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="2,20,200")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"machine: {harness.machine()}\n")
    with harness.emulator("python") as space, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        launches = {code: [] for code in LAUNCHES}
        starts = []
        for n in range(args.repeats):  # interleaved, so load spikes hit every row alike
            for code in LAUNCHES:
                launches[code].append(interpreter(code))
            starts.append(startup(space, workdir, n))
        grown = {size: growth(space, workdir, size) for size in sizes}

    rows = [[f"python -c '{code}'", harness.median(t), max(t)] for code, t in launches.items()]
    rows.append(["streamtest run: launch -> first API call", harness.median(starts), max(starts)])
    print(harness.table(f"5a. Start-up, seconds (median of {args.repeats})", ["what", "median", "max"], rows))
    rows = []
    previous = None
    for size in sizes:
        g = grown[size]
        marginal = "-" if previous is None else \
            f"{1000 * (g['cpu'] - grown[previous]['cpu']) / (size - previous):.1f}"
        rows.append([size, g["cpu"], g["wall"], g["calls"], g["connections"], f"{1000 * g['cpu'] / size:.1f}",
                     marginal])
        previous = size
    print(harness.table("5b. Runner cost by plan size (one SQL check per iteration)",
                        ["iterations", "runner CPU s", "wall s", "API calls", "TCP connections",
                         "CPU ms / iteration", "CPU ms / added iteration"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
