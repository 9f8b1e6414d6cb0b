"""§5 under kills at instants the suite does not pick: a seeded sample of random moments,
each phase in turn (benchmarks/chaos.py runs 100+).

The plan has a scratch namespace (guarantees_support.SCRATCH). SIGKILL: the runner gets no
say; the action's always() step (``streamtest cleanup --state``) must then leave no job, run,
deployed folder or scratch schema, and jobs/create has reached the workspace at most once.
SIGTERM: the runner must clean up by itself and exit (1, or 0 once the verdict was in) within
GitHub's 7.5 s grace, leaving nothing; the always() step then finds nothing to do.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from chaos_support import ORDER, Kill, kills, run_kill
from e2e_support import REPO
from guarantees_support import TOKEN, project, start_space
from streamtest.cli import main
from streamtest.log import Progress
from streamtest.signals import Interrupted

SIGKILLS = kills(10, seed=13)
SIGTERMS = kills(8, seed=17, signum=signal.SIGTERM)


def test_each_sample_takes_every_phase():
    assert {k.phase for k in SIGKILLS} == set(ORDER) == {k.phase for k in SIGTERMS}
    assert kills(10, seed=13) == SIGKILLS                     # seeded: the same instants every run
    assert len({k.offset for k in SIGKILLS}) == len(SIGKILLS)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("kill", SIGKILLS + SIGTERMS, ids=lambda k: k.id)
def test_random_kill_leaves_nothing(kill, tmp_path):
    result = run_kill(kill, tmp_path)
    assert not result.problems, result.report()


def python(script: str) -> subprocess.CompletedProcess:
    """A script of the runner's signal handling in a process of its own (signals are per process)."""
    return subprocess.run([sys.executable, "-c", script], env={"PYTHONPATH": str(REPO / "scripts")},
                          capture_output=True, text=True, timeout=50)


def test_a_signal_after_the_verdict_does_not_change_the_exit_code():
    """Once settled, SIGTERM is logged inside the block and ignored after it, up to the exit
    (the interpreter's shutdown would otherwise reset a Python handler and die by it, -15)."""
    script = ("import os, signal, sys\n"
              "from streamtest.signals import interrupts_as_exceptions\n"
              "with interrupts_as_exceptions(lambda line: print(line, file=sys.stderr)) as settle:\n"
              "    settle()\n"
              "    os.kill(os.getpid(), signal.SIGTERM)\n"
              "os.kill(os.getpid(), signal.SIGTERM)\n"
              "sys.exit(0)\n")
    done = python(script)
    assert done.returncode == 0, done.stderr
    assert "SIGTERM received after the verdict" in done.stderr


def test_a_signal_as_a_step_begins_fails_the_test_not_errors_it(tmp_path, monkeypatch):
    """A SIGTERM that lands between a step's start and its own handling (here: while its name
    is logged) once left the step 'running', so the verdict was ERROR and the exit 3."""
    plain = Progress.__call__
    fired = []

    def log(self, message):
        if message == "create job" and not fired:
            fired.append(message)
            plain(self, message)
            raise Interrupted(signal.SIGTERM)
        plain(self, message)

    monkeypatch.setattr(Progress, "__call__", log)
    space = start_space(tmp_path / "space")
    try:
        plan = project(tmp_path, "project")
        code = main(["run", "-c", str(plan), "--run-id", "begin_1", "--state", str(plan.parent / "state.json")],
                    env={"DATABRICKS_HOST": space.url, "DATABRICKS_TOKEN": TOKEN})
        assert fired and code == 1
        assert {k: v for k, v in space.leftovers().items() if v} == {}
    finally:
        space.stop()


HELD = [Kill(0, signal.SIGTERM, phase, 0.05, hold=0.5) for phase in ("scratch", "create", "run-now")] + [
    Kill(1, signal.SIGKILL, "run-now", 0.05, hold=0.5)]   # run-now lands unrecorded: always() must end its run


@pytest.mark.timeout(90)
@pytest.mark.parametrize("kill", HELD, ids=lambda k: k.id)
def test_a_sigterm_while_a_create_is_on_the_wire_is_cleaned_up_by_the_runner(kill, tmp_path):
    """The create's reply held 0.5 s at localspace, SIGTERM 50 ms into it: the runner waits for
    the reply (signals.held), so its own cleanup removes what it made, by id. Found by the full
    chaos run: it looked for the scratch schema before the create landed and left it to the
    always() step; and a SIGKILL while run-now was on the wire left a run nobody recorded, which
    outlived the job and wrote its schema back after the drop (cleanup now ends the job's
    active runs when none is recorded)."""
    result = run_kill(kill, tmp_path)
    assert not result.problems, result.report()


def test_a_held_signal_is_raised_at_the_end_of_the_block_or_after_the_hold():
    """signals.held: a SIGTERM inside waits for the block's end; one whose block does not end
    (a create that never answers) is raised anyway once HOLD has passed, inside the block."""
    script = ("import os, signal, sys, threading\n"
              "from streamtest.signals import Interrupted, held, interrupts_as_exceptions\n"
              "with interrupts_as_exceptions(lambda line: print(line, file=sys.stderr)):\n"
              "    try:\n"
              "        with held():\n"
              "            os.kill(os.getpid(), signal.SIGTERM)\n"
              "            print('inside, after the signal')\n"
              "    except Interrupted:\n"
              "        print('raised at the end')\n"
              "with interrupts_as_exceptions():\n"
              "    try:\n"
              "        with held():\n"
              "            os.kill(os.getpid(), signal.SIGTERM)\n"
              "            threading.Event().wait(60)\n"
              "            print('never raised')\n"
              "    except Interrupted:\n"
              "        print('raised inside')\n")
    done = python(script)
    assert done.stdout.splitlines() == ["inside, after the signal", "raised at the end", "raised inside"], done
    assert "SIGTERM received while a create is on the wire" in done.stderr


def test_cleanup_of_a_job_already_gone_with_no_run_recorded_succeeds(tmp_path):
    """With no run recorded, cleanup lists the job's active runs; a job already deleted (by the
    run's own cleanup, before always()) has none: that is done, not a failure (found by
    chaos.py --quick: the always() step exited 3 on "Job 101 does not exist")."""
    space = start_space(tmp_path / "space")
    try:
        state = tmp_path / "state.json"
        state.write_text(json.dumps({"version": 1, "host": space.url, "run_id": "gone_1", "job_id": 4242,
                                     "job_name": "guarantees-gone_1", "policy": {"timeout": 5}}))
        assert main(["cleanup", "--state", str(state)], env={"DATABRICKS_HOST": space.url,
                                                              "DATABRICKS_TOKEN": TOKEN}) == 0
        assert json.loads(state.read_text())["cleaned"] is True
    finally:
        space.stop()
