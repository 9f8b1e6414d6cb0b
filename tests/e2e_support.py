"""Helpers for the runner's end-to-end tests: a copy of the fixture project per test, plans
on its stream notebook, and one way to run ``streamtest`` in-process or as a real subprocess
against localspace."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

from junitparser import JUnitXml

from streamtest import auth, config, redaction
from streamtest.cli import main
from streamtest.client import HttpClient
from streamtest.databricks.workspace import Workspace
from waiting import wait_until

wait_for = wait_until  # the name guarantees_support and test_sbit_e2e still import

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "stream"


@dataclass
class Result:
    code: int
    err: str
    out: str
    workdir: Path

    @property
    def junit(self) -> dict:
        """{suite name: {case name: case}} read back with junitparser."""
        xml = JUnitXml.fromfile(str(self.workdir / "junit.xml"))
        return {suite.name: {case.name: case for case in suite} for suite in xml}

    @property
    def state(self) -> dict:
        return json.loads((self.workdir / "state.json").read_text())

    def text_of_everything(self) -> str:
        """Every output a user or CI could see, for leak scans."""
        parts = [self.err, self.out]
        for path in self.workdir.rglob("*"):
            if path.is_file() and path.suffix in (".xml", ".md", ".json", ".txt", ""):
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)


STREAM_JOB = """
version: 1
name: {name}
vars:
  schema: st_${{run.id}}
  root: /Workspace/Shared/streamtest/${{run.id}}
  landing: /Volumes/main/${{var.schema}}/landing
deploy: {{from: notebooks, to: "${{var.root}}"}}
job:
  name: {name}-${{run.id}}
{job_extra}  tasks:
    - task_key: run
      notebook_task:
        notebook_path: ${{var.root}}/run
        base_parameters: {{landing: "${{var.landing}}", schema: "${{var.schema}}"}}
start: {{timeout: {start}}}
{compute}before:
  - {{name: schema, sql: "CREATE SCHEMA IF NOT EXISTS main.${{var.schema}}"}}
  - {{name: landing volume, sql: "CREATE VOLUME IF NOT EXISTS main.${{var.schema}}.landing"}}
"""


DEFAULT_COMPUTE = "compute: {warehouse_id: localspace}\n"


def _top_level_block(text: str, key: str) -> tuple[str, Optional[list[str]]]:
    """``text`` without its top-level ``key:`` block, and that block's lines below the key
    (None when there is none)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == f"{key}:"), None)
    if start is None:
        if any(line.startswith(f"{key}:") for line in lines):
            raise ValueError(f"stream_plan: write the body's {key!r} as a block (\"{key}:\" on its own line)")
        return text, None
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].strip() and not lines[i][0].isspace()), len(lines))
    return "".join(lines[:start] + lines[end:]), lines[start + 1:end]


def stream_plan(name: str, body: str, start: str = "30s", job_extra: str = "") -> str:
    """A plan on the fixture's stream notebook; ``body`` adds steps, ``job_extra`` job settings.

    The plan always creates its schema and landing volume first (volumes must exist before
    uploads). A ``before:`` in ``body`` adds its steps after those two; a ``compute:`` in
    ``body`` replaces the default ``{warehouse_id: localspace}``."""
    extra = "".join(f"  {line}\n" for line in textwrap.dedent(job_extra).splitlines() if line.strip())
    plan = STREAM_JOB.format(name=name, start=start, job_extra=extra, compute=DEFAULT_COMPUTE)
    body = textwrap.dedent(body)
    if any(line.startswith("compute:") for line in body.splitlines()):
        plan = plan.replace(DEFAULT_COMPUTE, "")
    body, steps = _top_level_block(body, "before")
    if steps:
        items = [line for line in steps if line.strip()]
        shift = 2 - (len(items[0]) - len(items[0].lstrip()))
        plan += "".join((" " * shift + line if shift >= 0 else line[-shift:]) if line.strip() else line
                        for line in steps)
    return plan + body


def project(tmp_path: Path, plan_text: Optional[str] = None, plan_name: str = "streamtest.yml") -> Path:
    """A copy of tests/fixtures/stream with an optional replacement plan; returns the plan path."""
    workdir = tmp_path / "project"
    shutil.copytree(FIXTURE, workdir)
    if plan_text is not None:
        (workdir / plan_name).write_text(plan_text)
    return workdir / plan_name


def run(plan: Path, capsys, *extra: str, env_files: bool = True, monkeypatch=None) -> Result:
    """``streamtest run`` in this process, with reports, state and GITHUB_* files in the plan's folder."""
    workdir = plan.parent
    if env_files and monkeypatch is not None:
        monkeypatch.setenv("GITHUB_OUTPUT", str(workdir / "github_output.txt"))
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(workdir / "step_summary.md"))
    capsys.readouterr()
    code = main(["run", "-c", str(plan), "--junit", str(workdir / "junit.xml"), "--summary",
                 str(workdir / "summary.md"), "--state", str(workdir / "state.json"), *extra])
    captured = capsys.readouterr()
    redaction.forget_all()
    return Result(code, captured.err, captured.out, workdir)


def spawn(plan: Path, env: dict, *args: str) -> subprocess.Popen:
    """``python -m streamtest run`` as its own process (for signals)."""
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO / "scripts")}
    return subprocess.Popen([sys.executable, "-m", "streamtest", "run", "-c", str(plan), "--state",
                             str(plan.parent / "state.json"), "--junit", str(plan.parent / "junit.xml"), *args],
                            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextlib.contextmanager
def running(plan: Path, env: dict, space, *args: str) -> Iterator[subprocess.Popen]:
    """``spawn``, then wait until its job's run is RUNNING and in the state file; on leaving
    the block the process is killed if it still lives, and its pipes are closed."""
    process = spawn(plan, env, *args)
    try:
        wait_until(state_has(plan.parent / "state.json", "job_run_id", "run_url"), 30, "the job to run")
        wait_until(lambda: space.leftovers()["active_runs"] == 1, 10, "the run")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


# A setup check that cannot pass for ten minutes: the runner sits in its wait, the run RUNNING.
WAITING_PLAN = """
    setup:
      - name: waits forever
        sql: SELECT 0
        expect: 1
        within: 10m
"""


# An iteration that kills the stream (the notebook raises on poison.csv) while a check waits.
DYING_STREAM = """
    iterations:
      - name: poison
        produce: [{upload: data/poison, to: "${var.landing}"}]
        validate:
          - name: waits for a row that never comes
            sql: SELECT count(*) FROM main.${var.schema}.bronze
            expect: 99
            within: 2m
"""


def state_has(path: Path, *keys: str) -> Callable[[], Optional[dict]]:
    def check():
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return data if all(data.get(k) for k in keys) else None
    return check


def clean(space, timeout: float = 10.0) -> bool:
    """No job, run or statement is left. Runs of a deleted job end in the background, as on
    Databricks (runs/get already says they are gone), so this waits a little for them."""
    def empty() -> bool:
        left = space.leftovers()
        return left["jobs"] == 0 and left["active_runs"] == 0 and left["active_statements"] == 0
    try:
        return wait_until(empty, timeout, "zero leftovers")
    except AssertionError:
        return False


def workspace(env) -> Workspace:
    """The runner's own workspace client on the environment's host and credentials."""
    cfg = config.from_env(env)
    return Workspace(HttpClient(cfg.host, auth.for_config(cfg)))
