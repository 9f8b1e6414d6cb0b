"""§5 "OAuth tokens are refreshed before they expire" and "no secret in any output", with
OAuth M2M tokens that live 1 second over a test of several seconds (benchmarks/selftest.py runs
a minute on 3-second tokens), and GitHub OIDC federation."""
from __future__ import annotations

import pytest

from guarantees_support import run_long_oauth, run_oidc


@pytest.mark.timeout(60)
def test_seconds_of_one_second_tokens(tmp_path):
    result = run_long_oauth(tmp_path, ttl=1, pause="3s")
    assert not result.problems, result.report()


def test_github_oidc_leaves_no_token_in_any_output(tmp_path):
    result = run_oidc(tmp_path)
    assert not result.problems, result.report()
