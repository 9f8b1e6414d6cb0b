"""§5 under cancellation: a signal in every phase leaves nothing behind.

For each phase a request of that phase is held in flight by the emulator (a 3 s delay on its
first match) and the signal lands while it is: "github" sends SIGINT, SIGTERM 7.5 s later
and SIGKILL 2.5 s after that, as GitHub's runner does on a cancelled workflow; the runner
must exit by itself with 1, its runs ended within 10 s of the first signal. "kill" sends
SIGKILL at once. Either way the action's always() step (``streamtest cleanup --state``)
runs once the held request has been answered, and then nothing may be left.
"""
from __future__ import annotations

import pytest

from guarantees_support import PHASES, cancel_cases, run_cancel

FAST = {"github-check", "kill-wait"}
CASES = [pytest.param(case, id=case.id, marks=() if case.id in FAST else pytest.mark.slow)
         for case in cancel_cases()]


def test_every_phase_is_cancelled_both_ways():
    ids = {case.id for case in cancel_cases()}
    assert {f"{mode}-{phase}" for mode in ("github", "kill") for phase in PHASES} <= ids


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES)
def test_cancel_case(case, tmp_path):
    result = run_cancel(case, tmp_path)
    assert not result.problems, result.report()
