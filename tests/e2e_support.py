"""Helpers for the runner's end-to-end tests: a copy of the fixture project per test, and
one way to run ``streamtest`` in-process or as a real subprocess against localspace."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from junitparser import JUnitXml

from streamtest import redaction
from streamtest.cli import main

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


def wait_for(condition: Callable[[], object], timeout: float, what: str):
    """Wait on a condition with a deadline (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    interval = 0.05
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)
        interval = min(0.5, interval * 1.5)


def state_has(path: Path, *keys: str) -> Callable[[], Optional[dict]]:
    def check():
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return data if all(data.get(k) for k in keys) else None
    return check


def clean(space) -> bool:
    left = space.leftovers()
    return left["jobs"] == 0 and left["active_runs"] == 0 and left["active_statements"] == 0
