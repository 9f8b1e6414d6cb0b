"""§5 under API faults: every phase x every fault kind localspace injects, seeded.

A transient fault (the first matches only) must not change the verdict: the plan still
passes. A lasting one ends in exit 3 with a line naming the endpoint and the error code (or
exit 1 when the run itself fails or never leaves PENDING). In every cell nothing is left in
the emulator: no job, no active run or statement, no deployed folder; a lasting fault in
cleanup itself is cleared by the always() step's ``streamtest cleanup --state`` once the fault
is gone. jobs/create is never duplicated, even when its reply is lost after the job was made.

One cell is one test (each starts its own emulator); a few run in the fast tier, the rest are
marked slow. ``benchmarks/selftest.py`` prints the same matrix as a table.
"""
from __future__ import annotations

import pytest

from guarantees_support import HTTP_KINDS, PHASES, matrix, run_cell

FAST = {"create-500-reply-lost-transient", "check-503-transient", "wait-429-lasting",
        "cleanup-drop-lasting", "run-now-fail_run-lasting"}
CELLS = [pytest.param(cell, id=cell.id, marks=() if cell.id in FAST else pytest.mark.slow) for cell in matrix()]


def test_the_matrix_covers_every_phase_and_fault_kind():
    cells = matrix()
    assert {(c.phase, c.kind, c.lasting) for c in cells} >= {
        (phase, kind, lasting) for phase in PHASES for kind in HTTP_KINDS for lasting in (False, True)}
    assert {c.kind for c in cells if c.phase == "run-now"} >= {"fail_run", "stuck_pending"}
    assert [c.id for c in cells if c.after_processing and c.lasting] == ["create-500-reply-lost-lasting",
                                                                          "create-drop-reply-lost-lasting"]
    assert len({c.id for c in cells}) == len(cells)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("cell", CELLS)
def test_fault_cell(cell, tmp_path):
    result = run_cell(cell, tmp_path)
    assert not result.problems, result.report()
