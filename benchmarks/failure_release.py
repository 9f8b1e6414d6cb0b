"""Benchmarks 3 and 4: how fast a dead stream ends the test, and how fast the cluster is let go.

    .venv/bin/python benchmarks/failure_release.py [--repeats 5]

One emulator (python engine). Every figure comes from the emulator's records (the run's
end time, the time of the jobs/delete call) and the runner process (its stderr lines as
they arrive, its exit):

3. Failure detection: the stream dies (its notebook raises) 1-6 s into a check's wait
   (spread evenly over the repeats); time from the run's TERMINATED FAILED to the moment the
   runner printed the failure, and to its exit (which includes its cleanup). streamtest and
   the fixed 5 s poll are measured; the seed's notebook never looks at the run, so it
   notices only when its 2-minute wait is over and its check fails (computed: 120 s minus
   the time the stream had run, ~60 s on average).
4. Release: from the verdict (the last check passed) or from SIGTERM (a cancelled workflow,
   2 s into a check that would wait for ever) to the run TERMINATED and the job deleted; and
   the stream's billed time (its run's start to TERMINATED) against the test's wall time.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import harness


def _plan(workdir: Path, run_id: str, delay: float, fail: bool = False) -> Path:
    project = harness.Project(workdir, run_id)
    iteration = harness.payload_iteration(run_id, 1, project.payload(1, delay, fail=fail), "streamtest")
    return project.write(harness.stream_plan(run_id, [iteration], name=run_id))


def _deleted_at(space, since: float) -> float:
    return harness.calls(space, since, kind=lambda c: c.path == "/api/2.2/jobs/delete" and c.status == 200)[0].at


def failure(space, workdir: Path, policy: str, n: int, delay: float) -> dict:
    run_id = f"fail_{policy.replace('-', '')}_{n}"
    finished = harness.run_to_end(space, _plan(workdir, run_id, delay, fail=True), run_id, policy, expect_code=1)
    failed = harness.job_run(space).end_time / 1000
    return {"exit": finished.ended - failed, "noticed": finished.line_at(r"FAILED after") - failed}


def release_after_pass(space, workdir: Path, n: int) -> dict:
    run_id = f"pass_{n}"
    finished = harness.run_to_end(space, _plan(workdir, run_id, 1.0), run_id)
    verdict = finished.passed_at("check 1")
    run = harness.job_run(space)
    return {"terminated": run.end_time / 1000 - verdict, "deleted": _deleted_at(space, verdict) - verdict,
            "exit": finished.ended - verdict, "billed": (run.end_time - run.start_time) / 1000,
            "wall": finished.wall}


def release_after_sigterm(space, workdir: Path, n: int) -> dict:
    run_id = f"term_{n}"
    runner = harness.Runner(space, _plan(workdir, run_id, 3600.0), run_id)
    started_check = harness.wait_for(lambda: runner.seen(r"\] check 1$"), 60, "the check to start")
    time.sleep(max(0.0, started_check + 2.0 - time.time()))  # the scenario: cancelled 2 s into the wait
    sent = runner.terminate()
    finished = runner.finish(60)
    run = harness.job_run(space)
    return {"terminated": run.end_time / 1000 - sent, "deleted": _deleted_at(space, sent) - sent,
            "exit": finished.ended - sent, "billed": (run.end_time - run.start_time) / 1000,
            "wall": finished.wall, "code": finished.code}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11, help="random seed for the order of the failure times")
    args = parser.parse_args()
    delays = harness.spread(args.repeats, 1.0, 6.0, args.seed)
    print(f"machine: {harness.machine()}\n")
    detect: dict[str, list[dict]] = {"streamtest": [], "fixed-5s": []}
    passes, terms = [], []
    with harness.emulator("python") as space, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for n in range(args.repeats):
            for policy in detect:
                detect[policy].append(failure(space, workdir, policy, n, delays[n]))
            passes.append(release_after_pass(space, workdir, n))
            terms.append(release_after_sigterm(space, workdir, n))
            print(f"  round {n + 1}/{args.repeats} done", file=sys.stderr)
        leftovers = space.leftovers()

    rows = [[policy, len(r), harness.median([x["noticed"] for x in r]), max(x["noticed"] for x in r),
             harness.median([x["exit"] for x in r]), max(x["exit"] for x in r)] for policy, r in detect.items()]
    rows.append(["seed (computed)", "-", "~60 (120 - time run)", "120", "-", "-"])
    print(harness.table("3. Stream dies while a check waits: seconds from run TERMINATED FAILED to ...",
                        ["policy", "runs", "noticed, median", "noticed, max", "runner exit, median",
                         "runner exit, max"], rows))

    def release_row(name: str, r: list[dict]) -> list:
        return [name, len(r), harness.median([x["terminated"] for x in r]),
                harness.median([x["deleted"] for x in r]),
                max(max(x["terminated"], x["deleted"]) for x in r), harness.median([x["exit"] for x in r]),
                harness.median([x["billed"] for x in r]), harness.median([x["wall"] for x in r])]
    print(harness.table("4. Release: seconds from the verdict or SIGTERM to ... (streamtest)",
                        ["trigger", "runs", "run TERMINATED, median", "job deleted, median", "both, max",
                         "runner exit, median", "stream billed", "test wall"],
                        [release_row("last check passed", passes), release_row("SIGTERM", terms)]))
    print(f"exit codes after SIGTERM: {sorted({x['code'] for x in terms})}; "
          f"emulator leftovers at the end: {leftovers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
