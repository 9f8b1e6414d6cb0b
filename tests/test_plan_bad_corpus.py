"""Every plan in tests/bad_plans/ is refused whole: exit 2, FILE:LINE: message, zero API calls.

Each plan says what it expects in a header comment (``# expect: text``; ``# where: FILE``
when the problem is in another file) and marks the offending line with ``# <--``.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from streamtest.cli import main

CORPUS = Path(__file__).parent / "bad_plans"
PLANS = sorted(p for p in CORPUS.glob("*.yml") if not p.name.endswith(".job.yml"))


def expectation(plan: Path) -> tuple[Path, int, str]:
    header = plan.read_text().splitlines()
    text = next(line.split(":", 1)[1].strip() for line in header if line.startswith("# expect:"))
    where = next((plan.parent / line.split(":", 1)[1].strip() for line in header if line.startswith("# where:")), plan)
    line = next(n for n, content in enumerate(where.read_text().splitlines(), 1) if "# <--" in content)
    return where, line, text


def test_corpus_is_large_enough():
    assert len(PLANS) >= 25


@pytest.mark.parametrize("plan", PLANS, ids=[p.stem for p in PLANS])
def test_bad_plan_is_refused_before_any_api_call(plan, localspace, workspace_env, capsys, monkeypatch):
    monkeypatch.delenv("STREAMTEST_SURELY_UNSET_VAR", raising=False)
    where, line, text = expectation(plan)
    code = main(["run", "-c", str(plan), "--state", str(plan.parent / "never-written.json")])
    err = capsys.readouterr().err
    assert code == 2, err
    prefix = f"{where}:{line}: "
    matching = [row for row in err.splitlines() if row.startswith(prefix)]
    assert matching, f"no problem reported at {prefix}\n{err}"
    assert any(text in row for row in matching), f"{text!r} not in {matching}"
    assert "nothing was created" in err
    assert localspace.request_log == []
    assert not (plan.parent / "never-written.json").exists()
