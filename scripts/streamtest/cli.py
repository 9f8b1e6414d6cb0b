"""``streamtest run | check | cleanup | sweep``: arguments in, exit code out.

Exit codes: 0 passed; 1 the test failed; 2 the plan or the arguments are wrong (nothing was
created); 3 the workspace could not be used (auth, API, network) after retries.
This module wires the parts together and renders the reports; it makes no decisions of its own.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Mapping, Optional, Sequence

import yaml

from streamtest import __version__, auth, config, identity, redaction
from streamtest.cleanup import Cleaner
from streamtest.client import ApiError, HttpClient, Unreachable
from streamtest.databricks.workspace import Workspace
from streamtest.durations import DurationError, format_duration, parse_duration
from streamtest.log import Progress
from streamtest.plan import PlanInvalid, load_plan
from streamtest.plan.model import describe
from streamtest.poll import Poller
from streamtest.reports import annotations, junit, outputs, summary
from streamtest.reports.records import Recorder
from streamtest.runner import Runner
from streamtest.signals import Interrupted, interrupts_as_exceptions
from streamtest.state import State, StateError

PASSED, FAILED, USAGE, UNUSABLE = 0, 1, 2, 3
DEFAULT_STATE = ".streamtest/state.json"
EXIT = {"passed": PASSED, "failed": FAILED, "error": UNUSABLE}


RUN_EPILOG = f"""\
environment:
  DATABRICKS_HOST           the workspace URL (https://...; http://127.0.0.1:PORT for localspace)
  DATABRICKS_TOKEN          a personal access token, or
  DATABRICKS_CLIENT_ID      with DATABRICKS_CLIENT_SECRET: OAuth M2M (a service principal), or
  DATABRICKS_AUTH_TYPE      =github-oidc with DATABRICKS_CLIENT_ID (and DATABRICKS_TOKEN_AUDIENCE):
                            GitHub OIDC federation, no stored secret
  GITHUB_STEP_SUMMARY, GITHUB_OUTPUT   set by GitHub Actions: the summary is appended there, outputs written
  {"STREAMTEST_RETRY_BUDGET":<25} seconds of retries for transient API faults (default 300)

reports:
  progress goes to stderr as it happens. JUnit XML is written only with --junit PATH and the
  markdown summary only with --summary PATH (in GitHub Actions it is also appended to
  $GITHUB_STEP_SUMMARY). The state file (--state) lists what the run created, for `cleanup`.

exit codes: 0 passed, 1 the test failed, 2 the plan or the arguments are wrong (nothing was
created), 3 the workspace could not be used (unreachable, auth, API) after retries.
"""


class UsageError(Exception):
    """Wrong arguments or environment: exit 2, nothing created."""


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def duration(text: str) -> float:
    """A command-line duration through the one duration parser."""
    try:
        seconds = parse_duration(text)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return seconds


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="streamtest", description="Integration-test a Databricks streaming pipeline.")
    top.add_argument("--version", action="version", version=f"streamtest {__version__}")
    sub = top.add_subparsers(dest="command", required=True)

    def plan_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("-c", "--config", default="streamtest.yml", help="the plan file (default streamtest.yml)")
        p.add_argument("--var", action="append", default=[], metavar="K=V", help="override a plan variable")
        p.add_argument("--run-id", help="the ${run.id} to use (default: from GITHUB_RUN_ID, else random)")

    run = sub.add_parser("run", help="run the test against the workspace", epilog=RUN_EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    plan_args(run)
    run.add_argument("--junit", type=Path, metavar="PATH", help="write JUnit XML here (no JUnit file without it)")
    run.add_argument("--summary", type=Path, metavar="PATH",
                     help="write the markdown summary here (no summary file without it)")
    run.add_argument("--iterations", type=count, metavar="N",
                     help="run only the first N iterations (0: setup only; the rest are reported as skipped; "
                          "cleanup as always)")
    run.add_argument("--heartbeat", type=duration, default=30.0, metavar="DURATION",
                     help="during any wait, a sign of life at least this often (default 30s)")
    run.add_argument("--state", type=Path, metavar="PATH", default=Path(DEFAULT_STATE),
                     help=f"state file (default {DEFAULT_STATE})")
    run.add_argument("--keep-on-failure", action="store_true",
                     help="when a check fails, keep the job, the deployed folder and the scratch schema for "
                          "debugging (the run is still cancelled); `cleanup --state` removes them later")
    check = sub.add_parser("check", help="validate the plan offline and print it resolved")
    plan_args(check)
    clean = sub.add_parser("cleanup", help="remove what a run created, from its state file")
    clean.add_argument("--state", type=Path, default=Path(DEFAULT_STATE))
    sweep = sub.add_parser("sweep", help="delete expired jobs and scratch schemas streamtest created")
    sweep.add_argument("--older-than", help="also delete streamtest jobs and scratch schemas created longer ago "
                                            "than this (e.g. 2h)")
    sweep.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    return top


def main(argv: Optional[Sequence[str]] = None, env: Optional[Mapping[str, str]] = None) -> int:
    env = dict(os.environ if env is None else env)
    args = parser().parse_args(argv)
    config.register_secrets(env)
    progress = Progress(actions=env.get("GITHUB_ACTIONS") == "true")
    try:
        return COMMANDS[args.command](args, env, progress)
    except UsageError as exc:
        progress.write(f"streamtest: {exc}")
        return USAGE
    except config.SchemeError as exc:
        progress.write(f"streamtest: the workspace cannot be reached: {exc} (nothing was created)")
        return UNUSABLE
    except config.ConfigError as exc:
        progress.write(f"streamtest: {exc} (nothing was created)")
        return USAGE
    except PlanInvalid as exc:
        for problem in exc.problems:
            progress.write(str(problem))
        progress.write(f"streamtest: the plan has {len(exc.problems)} problem(s); nothing was created")
        return USAGE
    except Unreachable as exc:
        progress.write(f"streamtest: the workspace cannot be reached: {exc.message} (nothing was created)")
        return UNUSABLE
    except ApiError as exc:
        progress.write(f"streamtest: workspace error: {exc}")
        return UNUSABLE


def _plan(args, env, progress: Optional[Progress] = None):
    overrides = {}
    for item in args.var:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--var wants NAME=VALUE, not {item!r}")
        overrides[name.strip()] = value
    run_id = args.run_id or identity.new_run_id(env)
    if not identity.RUN_ID.fullmatch(run_id):
        raise UsageError(f"--run-id may hold only letters, digits and _ (max 48), not {run_id!r}")
    made: list[Workspace] = []

    def workspace() -> Workspace:
        """What a bundle asks of the workspace (``${workspace.current_user.*}`` from SCIM Me, a
        variable's ``lookup``) is asked only when the bundle refers to it, by ``run`` and
        ``check`` alike when DATABRICKS_HOST is set; without it, ``check`` reports such a
        reference as needing the workspace. Read-only calls: nothing is created."""
        made.append(_workspace(env, progress or Progress()))
        return made[-1]
    try:
        return load_plan(args.config, env=env, run_id=run_id, overrides=overrides,
                         workspace=workspace if env.get("DATABRICKS_HOST") else None)
    finally:
        for ws in made:
            ws.client.close()


def _workspace(env, progress: Progress, host: Optional[str] = None, answered_before: bool = False) -> Workspace:
    cfg = config.from_env(env, host=host)
    client = HttpClient(cfg.host, answered_before=answered_before, on_retry=lambda endpoint, error, wait: progress(
        f"  retrying {endpoint} in {wait:.1f}s ({error.error_code}{' HTTP ' + str(error.status) if error.status else ''})"))
    client.auth = auth.for_config(cfg)
    return Workspace(client)


def cmd_check(args, env, progress: Progress) -> int:
    plan = _plan(args, env, progress)
    text = yaml.safe_dump(_redacted(describe(plan)), sort_keys=False, allow_unicode=True, width=100)
    sys.stdout.write(redaction.redact(text))
    progress.write(f"streamtest: {args.config} is valid ({len(plan.iterations)} iteration(s), mode {plan.mode})")
    return PASSED


def _redacted(value):
    """Secrets elided leaf by leaf, so the printed plan is still valid YAML."""
    if isinstance(value, str):
        return redaction.redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def cmd_run(args, env, progress: Progress) -> int:
    plan = _plan(args, env, progress)
    _refuse_unclean_state(args.state)
    ws = _workspace(env, progress)
    ws.reach()  # first contact: an unreachable host or a bad credential ends here, nothing created
    state = State(args.state)
    state.set(run_id=plan.run_id, host=ws.host, plan=str(plan.file), started=time.time(),
              policy={"delete_job": plan.cleanup.delete_job, "delete_deployed": plan.cleanup.delete_deployed,
                      "timeout": plan.cleanup.timeout})
    recorder = Recorder()
    progress(f"streamtest {plan.name}: run {plan.run_id} on {ws.host} ({plan.mode} mode); state in {args.state}")
    started = time.monotonic()
    with interrupts_as_exceptions(progress) as settle:
        poller = Poller(heartbeat=args.heartbeat, beat=progress)
        verdict = Runner(plan, ws, state, progress, poller, recorder, keep_on_failure=args.keep_on_failure,
                         iterations=args.iterations).run()
        settle()
        duration = time.monotonic() - started
        _report(args, env, plan, state, recorder, verdict, duration, progress)
    ws.client.close()
    return EXIT[verdict]


def _refuse_unclean_state(path: Path) -> None:
    if not path.exists():
        return
    try:
        previous = State.load(path)
    except StateError:
        return
    if not previous.get("cleaned") and (previous.get("job_id") or previous.get("pipeline_id") or previous.get("deployed")
                                        or previous.get("one_time_runs") or previous.get("scratch")):
        raise UsageError(f"{path} records a run that was not cleaned up; run "
                         f"`streamtest cleanup --state {path}` first, or pass another --state")


def _report(args, env, plan, state: State, recorder: Recorder, verdict: str, duration: float,
            progress: Progress) -> None:
    """Render the one list of records four ways; a report that cannot be written is logged."""
    for line in annotations.errors(recorder.results) if progress.actions else []:
        print(line, flush=True)
    text = summary.render(recorder, plan.name, duration)
    targets = [(args.summary, "w")] if args.summary else []
    if env.get("GITHUB_STEP_SUMMARY"):
        targets.append((Path(env["GITHUB_STEP_SUMMARY"]), "a"))
    try:
        if args.junit:
            junit.write(recorder, plan.name, args.junit)
        for path, mode in targets:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, mode, encoding="utf-8") as handle:
                handle.write(text)
        if env.get("GITHUB_OUTPUT"):
            outputs.append(Path(env["GITHUB_OUTPUT"]), {
                "result": verdict, "junit-path": str(args.junit or ""),
                "job-id": state.get("job_id") or state.get("pipeline_id") or "",
                "run-id": state.get("job_run_id") or state.get("pipeline_update_id") or "",
                "run-url": state.get("run_url") or "",
                "duration": f"{duration:.1f}"})
    except OSError as exc:
        progress(f"could not write a report: {exc}")
    counts = {o: sum(1 for r in recorder.results if r.outcome == o) for o in ("passed", "failed", "error", "skipped")}
    progress(f"streamtest {plan.name}: {verdict.upper()} in {format_duration(duration)} "
             f"({', '.join(f'{n} {o}' for o, n in counts.items() if n)})")


def cmd_cleanup(args, env, progress: Progress) -> int:
    if not args.state.exists():
        progress(f"cleanup: no state file at {args.state}; nothing to clean")
        return PASSED
    try:
        state = State.load(args.state)
    except StateError as exc:
        raise UsageError(str(exc)) from None
    if state.get("cleaned"):
        progress("cleanup: already done")
        return PASSED
    # the run that wrote this state reached the workspace: a network blip now is retried, not final
    ws = _workspace(env, progress, host=state.get("host"), answered_before=True)
    with interrupts_as_exceptions(progress):
        try:
            ok = Cleaner(ws, state, progress, Poller(beat=progress)).run()
        except Interrupted as exc:  # finish what was started; later signals are only logged
            progress(f"{exc}; finishing cleanup")
            ok = Cleaner(ws, state, progress, Poller(beat=progress)).run()
    return PASSED if ok else UNUSABLE


def cmd_sweep(args, env, progress: Progress) -> int:
    try:
        older_than = parse_duration(args.older_than) if args.older_than else None
    except DurationError as exc:
        raise UsageError(f"--older-than: {exc}") from None
    from streamtest.sweep import sweep
    ws = _workspace(env, progress)
    _, failed = sweep(ws, older_than, args.dry_run, progress)
    return PASSED if not failed else UNUSABLE


COMMANDS = {"run": cmd_run, "check": cmd_check, "cleanup": cmd_cleanup, "sweep": cmd_sweep}
