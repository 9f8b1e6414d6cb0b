"""Cold workspaces: time to the first verdict when the job's cluster and the SQL warehouse
both have to start, with streamtest's order (warehouse started first, so it warms while the
cluster starts) and the sequential one (the warehouse starts at the first statement).

    .venv/bin/python benchmarks/cold_start.py [--pending 60s] [--warehouse-start 30s] [--repeats 1]

One emulator (python engine) with ``--pending`` (the job cluster's start) and
``--warehouse-start``; the warehouse is stopped before each run. The two orders run side by
side, alternating, in one process. "first verdict" is the runner's start to its first check
passing (the setup check that the stream's table exists, the first SQL statement).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import harness

sys.path.insert(0, str(harness.SCRIPTS))
from localspace.cli import duration  # noqa: E402
from localspace.server import LocalSpace  # noqa: E402

ORDERS = {"streamtest": (sys.executable, "-m", "streamtest"),
          "sequential": (sys.executable, str(harness.BENCHMARKS / "sequential_compute.py"))}


def one(space: LocalSpace, workdir: Path, order: str, n: int) -> float:
    run_id = f"{order[:3]}{n}"
    project = harness.Project(workdir, run_id)
    plan = project.write(harness.stream_plan(run_id, [harness.payload_iteration(
        run_id, 1, project.payload(1, 0.0), "streamtest")], name=run_id) | {"start": {"timeout": "10m"}})
    space.sql.warehouses.stop("localspace")
    runner = harness.Runner(space, plan, run_id, command=ORDERS[order])
    finished = runner.finish(timeout=900)
    if finished.code != 0:
        raise RuntimeError(f"cold_start: {order} exited {finished.code}:\n{finished.text()[-2000:]}")
    return finished.passed_at("table exists") - finished.started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=duration, default=60.0)
    parser.add_argument("--warehouse-start", type=duration, default=30.0)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    times: dict[str, list[float]] = {order: [] for order in ORDERS}
    with tempfile.TemporaryDirectory(prefix="streamtest-bench-") as root:
        space = LocalSpace(Path(root) / "localspace", engine="python", token=harness.TOKEN,
                           pending=args.pending, warehouse_start=args.warehouse_start).start()
        try:
            for n in range(args.repeats):
                for order in ORDERS:
                    times[order].append(one(space, Path(root), order, n))
        finally:
            space.stop()
    longer, total = max(args.pending, args.warehouse_start), args.pending + args.warehouse_start
    rows = [[order, f"{harness.median(values):.1f}s", f"{harness.median(values) / longer:.2f}",
             f"{harness.median(values) / total:.2f}"] for order, values in times.items()]
    print(harness.table(f"Time to first verdict (job cluster {args.pending:g}s, warehouse "
                        f"{args.warehouse_start:g}s; median of {args.repeats}; {harness.machine()})",
                        ["order", "first verdict", "÷ longer start", "÷ sum of starts"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
