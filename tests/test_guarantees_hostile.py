"""Hostile input: each adversarial plan, argument or environment is refused with exit 2 or 3
and one clear line (no traceback), creates nothing (no mutating call reaches the emulator),
leaks no secret and never hangs (each command has 20 s).

tests/bad_plans/ (test_plan_bad_corpus.py) covers ordinary mistakes; this covers attacks and
accidents: YAML bombs, huge and non-text plans, paths leaving the plan's folder, template
injection, bad hosts, and credentials carrying line breaks.
"""
from __future__ import annotations

import pytest

from guarantees_support import TOKEN, hostile_cases, project, run_hostile, runner_env, scan_secrets, start_space, streamtest

CASES = [pytest.param(case, id=case.id) for case in hostile_cases()]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CASES)
def test_hostile_input_is_refused(case, tmp_path):
    result = run_hostile(case, tmp_path)
    assert not result.problems, result.report()


def test_a_var_override_is_never_evaluated(tmp_path):
    """--var values are taken literally: a template inside one is text, never the token."""
    space = start_space(tmp_path / "space")
    try:
        plan = project(tmp_path, "project")
        env = runner_env(space, plan.parent)
        checked = streamtest(plan.parent, env, ["check", "-c", str(plan), "--run-id", "inj_1",
                                                "--var", "expected=${env.DATABRICKS_TOKEN}",
                                                "--var", "root=/Workspace/Shared/x/$(touch pwned)"], "check", 20)
    finally:
        space.stop()
    assert checked.code == 0, checked.stderr
    assert "expect: ${env.DATABRICKS_TOKEN}" in checked.stdout
    assert "/Workspace/Shared/x/$(touch pwned)/stream" in checked.stdout
    assert TOKEN not in checked.stdout + checked.stderr and not (plan.parent / "pwned").exists()
    assert space.request_log == []
    assert scan_secrets([plan.parent]) == []
