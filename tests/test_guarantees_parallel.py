"""§5 "only what this run created is touched": ten runs at once against one workspace.

Every other run fails its check. Each must get its own verdict, delete exactly the job and
folder its state file recorded, and mention no other run in its JUnit, summary, outputs,
state or log; afterwards nothing is left (see guarantees_support._empty_shared_parent for
the one folder the runs share).
"""
from __future__ import annotations

import pytest

from guarantees_support import run_parallel


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ten_runs_at_once_keep_to_themselves(tmp_path):
    results = run_parallel(tmp_path, runs=10)
    assert len(results) == 10
    assert [r.code for r in results] == [0, 1] * 5, [r.report() for r in results]
    problems = [r.report() for r in results if r.problems]
    assert not problems, "\n".join(problems)
