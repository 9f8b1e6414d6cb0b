"""Benchmark 6: the SBIT demo end to end, as written and seed-style.

    .venv/bin/python benchmarks/end_to_end.py [--seed-wait 2m]

One emulator with the spark engine (real Structured Streaming; needs Java), two runs of the
runner on a copy of examples/sbit:
- ``streamtest.yml`` as shipped: each check waits with ``within`` until its data is there;
- the same plan seed-style, derived from it here so the two never drift apart: after the
  history load and after each payload a fixed ``sleep`` (the seed's 2 minutes by default),
  then every check once, without ``within``.
Printed: each run's wall time (launch to exit), the stream's billed time (its run's start to
TERMINATED), the verdict, and the API calls. The JVM's start-up happens before either run.
"""
from __future__ import annotations

import argparse
import copy
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

import harness

EXAMPLE = harness.REPO / "examples" / "sbit"


def seed_style(plan: dict, wait: str) -> dict:
    """The same test, the seed's way: a fixed wait after each load, then each check once."""
    seed = copy.deepcopy(plan)
    seed["name"] = f"{plan['name']}-seed"

    def fixed(steps: list[dict]) -> list[dict]:
        return [{"name": f"fixed wait {wait}", "sleep": wait}] + \
            [{k: v for k, v in step.items() if k != "within"} for step in steps]

    seed["setup"] = fixed(plan.get("setup") or [])
    for iteration in seed["iterations"]:
        iteration["validate"] = fixed(iteration["validate"])
    return seed


def measure(space, plan: Path, run_id: str) -> dict:
    since = time.time()
    finished = harness.run_to_end(space, plan, run_id, expect_code=None)
    runs = space.jobs.list_runs(None, active_only=False, completed_only=False, run_type="JOB_RUN")
    billed = (runs[0].end_time - runs[0].start_time) / 1000 if runs and runs[0].start_time >= since * 1000 else 0.0
    return {"wall": finished.wall, "billed": billed,
            "verdict": {0: "passed", 1: "failed"}.get(finished.code, f"exit {finished.code}"),
            "calls": len(harness.calls(space, since)), "log": finished.text()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-wait", default="2m",
                        help="the seed-style plan's fixed wait (default 2m, the seed's)")
    parser.add_argument("--engine", default="spark")
    args = parser.parse_args()
    print(f"machine: {harness.machine()}\n")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "sbit"
        shutil.copytree(EXAMPLE, project)
        plan = yaml.safe_load((project / "streamtest.yml").read_text())
        seed_plan = project / "streamtest-seed.yml"
        seed_plan.write_text(yaml.safe_dump(seed_style(plan, args.seed_wait), sort_keys=False))
        started = time.time()
        with harness.emulator(args.engine) as space:
            engine_start = time.time() - started
            results = {"streamtest.yml (within)": measure(space, project / "streamtest.yml", "e2e_within"),
                       f"seed-style ({args.seed_wait} fixed waits)": measure(space, seed_plan, "e2e_seed")}
    checks = len(plan.get("setup") or []) + sum(len(i["validate"]) for i in plan["iterations"])
    rows = [[name, r["verdict"], r["wall"], r["billed"], r["calls"]] for name, r in results.items()]
    print(harness.table(f"6. SBIT demo end to end ({args.engine} engine, {checks} checks; engine start "
                        f"{engine_start:.0f}s before both runs)",
                        ["plan", "verdict", "test wall s", "stream billed s", "API calls"], rows))
    within, seed = results.values()
    print(f"seed-style / streamtest wall time: {seed['wall'] / within['wall']:.1f}x")
    for name, r in results.items():
        if r["verdict"] != "passed":
            print(f"\n{name} did not pass; its log ends:\n" + "\n".join(r["log"].splitlines()[-30:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
