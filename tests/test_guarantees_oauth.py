"""§5 "OAuth tokens are refreshed before they expire" and "no secret in any output", with
OAuth M2M tokens that live 3 seconds over a one-minute test, and GitHub OIDC federation."""
from __future__ import annotations

import pytest

from guarantees_support import run_long_oauth, run_oidc


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_minute_on_three_second_tokens(tmp_path):
    result = run_long_oauth(tmp_path, ttl=3)
    assert not result.problems, result.report()


def test_github_oidc_leaves_no_token_in_any_output(tmp_path):
    result = run_oidc(tmp_path)
    assert not result.problems, result.report()
