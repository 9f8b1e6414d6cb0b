"""Static checks of the GitHub Actions side: action.yml, its scripts and every workflow.

action.yml is checked against the Actions metadata schema (npm @action-validator/cli), the
workflows with actionlint (which also runs shellcheck on each `run:` script and checks the
inputs given to `uses: ./`), the action's bash scripts with shellcheck. The contract tests
pin what spec §3 and issue 6 promise users, so a rename cannot slip through.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
TOOLS = Path(sys.executable).parent           # actionlint and shellcheck come from PyPI
VALIDATOR = ROOT / "node_modules" / ".bin" / "action-validator"
WORKFLOWS = [path for folder in (".github/workflows", "examples/workflows",
                                  "tests/fixtures/action/workflows")
             for path in sorted((ROOT / folder).glob("*.y*ml"))]
SCRIPTS = sorted((ROOT / "scripts" / "action").glob("*.sh"))
ACTION_REF = "OWNER/streamtest@v1"


def tool(name: str) -> str:
    path = TOOLS / name
    assert path.exists(), f"{name} is missing: pip install -r requirements-dev.txt"
    return str(path)


def run(command: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)


def load(path: Path) -> dict:
    # PyYAML reads the key `on:` as True; workflows are read with it mapped back.
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def validator() -> str:
    assert VALIDATOR.exists(), "@action-validator/cli is missing: run `npm ci` at the repo root"
    return str(VALIDATOR)


# --- schema, lint ------------------------------------------------------------------------

def test_action_yml_matches_the_actions_metadata_schema():
    result = run([validator(), str(ACTION)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_misspelled_key(tmp_path):
    """Proves the validator is live: it names the file's type by its name, action.yml."""
    broken = tmp_path / "action.yml"
    broken.write_text(ACTION.read_text().replace("    description: Path of the plan",
                                                 "    descripton: Path of the plan", 1))
    result = run([validator(), str(broken)])
    assert result.returncode != 0
    assert "descripton" in result.stdout + result.stderr


def test_every_workflow_passes_actionlint():
    assert WORKFLOWS, "no workflows found"
    result = run([tool("actionlint"), *map(str, WORKFLOWS)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_runs_shellcheck_and_checks_local_action_inputs(tmp_path):
    """A lint that silently skipped shellcheck or `uses: ./` would pass anything."""
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".git").mkdir()                        # how actionlint finds the repo root
    shutil.copy(ACTION, repo / "action.yml")
    bad = repo / ".github" / "workflows" / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo $FOO\n      - uses: ./\n        with:\n          plann: x\n")
    result = run([tool("actionlint"), str(bad)], cwd=repo)
    assert result.returncode != 0
    assert "SC2086" in result.stdout and '"plann" is not defined' in result.stdout


def test_action_scripts_pass_shellcheck():
    assert SCRIPTS
    result = run([tool("shellcheck"), "-x", "-P", str(ROOT / "scripts" / "action"),
                  *map(str, SCRIPTS)])
    assert result.returncode == 0, result.stdout + result.stderr


# --- the action's contract (spec §3) ----------------------------------------------------

def action() -> dict:
    return yaml.safe_load(ACTION.read_text())


def steps() -> dict:
    return {step.get("id", step.get("name")): step for step in action()["runs"]["steps"]}


def test_inputs_and_defaults_are_the_specs():
    inputs = {name: spec.get("default") for name, spec in action()["inputs"].items()}
    assert inputs == {
        "plan": "streamtest.yml", "host": "", "token": "", "client-id": "", "client-secret": "",
        "auth-type": "auto", "token-audience": "", "vars": "", "junit-path": "streamtest-junit.xml",
        "keep-on-failure": "false", "working-directory": ".", "python-version": "",
    }
    assert all(spec.get("description") for spec in action()["inputs"].values())


def test_outputs_come_from_the_publish_step():
    outputs = action()["outputs"]
    assert set(outputs) == {"result", "junit-path", "job-id", "run-id", "run-url", "duration"}
    for name, spec in outputs.items():
        assert spec["value"] == f"${{{{ steps.publish.outputs.{name} }}}}"


def test_step_order_and_conditions():
    meta = action()
    assert meta["runs"]["using"] == "composite"
    assert meta["branding"]["icon"] and meta["branding"]["color"]
    order = [step.get("id") or step["uses"].split("@")[0] for step in meta["runs"]["steps"]]
    assert order == ["prepare", "python", "actions/cache", "install", "run", "cleanup", "publish"]
    by_id = steps()
    assert by_id["python"]["if"] == "inputs.python-version != ''"
    assert by_id["cleanup"]["if"].startswith("always()")
    assert by_id["publish"]["if"] == "always()"
    assert "exec" in by_id["run"]["run"]
    assert (ROOT / "scripts" / "action" / "run.sh").read_text().count('exec "$ST_PYTHON"') == 1


def test_no_expression_is_interpolated_into_a_script():
    """Inputs (secrets above all) reach scripts only through env; a ${{ }} in a script body
    is printed in the log before any mask exists, and is a shell-injection hole."""
    for step in action()["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step


def test_secret_inputs_are_masked_first():
    first = action()["runs"]["steps"][0]
    assert first["id"] == "prepare" and "if" not in first
    assert first["env"]["ST_TOKEN"] == "${{ inputs.token }}"
    assert first["env"]["ST_CLIENT_SECRET"] == "${{ inputs.client-secret }}"
    assert "::add-mask::" in (ROOT / "scripts" / "action" / "prepare.sh").read_text()


# --- the workflows users copy (issue 6) --------------------------------------------------

def workflow(name: str) -> dict:
    matches = [path for path in WORKFLOWS if path.name == name]
    assert matches, f"{name} is missing"
    return load(matches[0])


def streamtest_steps(flow: dict) -> list[dict]:
    return [step for job in flow["jobs"].values() for step in job.get("steps", [])
            if step.get("uses") == ACTION_REF]


def test_examples_only_pass_inputs_the_action_has():
    known = set(action()["inputs"])
    for path in WORKFLOWS:
        for step in streamtest_steps(load(path)):
            assert set(step.get("with", {})) <= known, (path.name, step)


def test_pr_check_cancels_superseded_runs_and_reports_junit():
    flow = workflow("pr-check.yml")
    assert "pull_request" in flow["on"]
    assert flow["concurrency"]["cancel-in-progress"] is True
    steps_ = flow["jobs"]["integration"]["steps"]
    reporter = [step for step in steps_ if "test-reporter" in step.get("uses", "")]
    assert reporter and "outputs.junit-path" in reporter[0]["with"]["path"]
    assert reporter[0]["if"].startswith("always()")


def test_manual_run_has_environment_plan_and_keep_on_failure():
    inputs = workflow("manual-run.yml")["on"]["workflow_dispatch"]["inputs"]
    assert {"environment", "plan", "keep-on-failure"} <= set(inputs)


def test_reusable_workflow_is_callable_and_returns_the_result():
    call = workflow("streamtest-reusable.yml")["on"]["workflow_call"]
    assert {"result", "run-url"} <= set(call["outputs"])
    assert re.search(r"streamtest-reusable\.yml@v1", (ROOT / "examples" / "workflows" /
                                                      "call-reusable.yml").read_text())


def test_oidc_example_requests_an_id_token():
    flow = workflow("oidc.yml")
    assert flow["permissions"]["id-token"] == "write"
    (step,) = streamtest_steps(flow)
    assert step["with"]["auth-type"] == "github-oidc" and "token" not in step["with"]


def test_ci_runs_the_test_command():
    flow = workflow("ci.yml")
    runs = [step.get("run", "") for step in flow["jobs"]["test"]["steps"]]
    assert "bash .ci/run" in runs
