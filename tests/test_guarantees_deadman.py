"""§5 dead-man switch: a runner that vanishes (SIGKILL, no cleanup) cannot leave a stream
running, because the job carries its own ``timeout_seconds``; ``sweep`` then removes the job
and nothing that streamtest did not create."""
from __future__ import annotations

import pytest

from guarantees_support import run_dead_man


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_vanished_runner_is_ended_by_the_job_timeout_and_swept(tmp_path):
    result = run_dead_man(tmp_path)
    assert not result.problems, result.report()
