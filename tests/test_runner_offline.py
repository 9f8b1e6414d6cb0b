"""Offline runner parts: the poll primitive (fake clock), expectations, job settings."""
from __future__ import annotations

from pathlib import Path

import pytest

from streamtest import expect
from streamtest.plan import load_plan
from streamtest.plan.model import UNSET
from streamtest.poll import Deadline, Poller


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_poll_grows_to_ceiling_and_stops_at_deadline():
    t = FakeTime()
    poller = Poller(clock=t.clock, sleep=t.sleep)
    calls = []
    with pytest.raises(Deadline):
        poller.until(lambda: calls.append(t.now), timeout=30)
    assert t.sleeps[0] == 0.25 and max(t.sleeps) == 2.0
    assert t.sleeps[:-1] == sorted(t.sleeps[:-1])  # only the last is cut short by the deadline
    assert t.now == pytest.approx(30.0)
    assert calls[-1] == pytest.approx(30.0)  # one last attempt at the deadline


def test_poll_stays_eager_while_the_wait_is_young():
    """At most 1 s between attempts for the first 10 s, then at most one every 2 s."""
    t = FakeTime()
    starts = []
    with pytest.raises(Deadline):
        Poller(clock=t.clock, sleep=t.sleep).until(lambda: starts.append(t.now), timeout=40)
    young = [b - a for a, b in zip(starts, starts[1:]) if b <= 10.0]
    old = [b - a for a, b in zip(starts, starts[1:]) if b > 10.0 and b < 40.0]  # last is cut short
    assert max(young) == pytest.approx(1.0) and young[0] == 0.25
    assert min(old) == pytest.approx(2.0)  # every call after 10 s comes 2 s after the one before
    assert len([s for s in starts if s > 10.0]) <= 16  # 30 s at one per 2 s, plus the one at the deadline


def test_a_fixed_poller_has_no_eager_phase():
    t = FakeTime()
    with pytest.raises(Deadline):
        Poller(clock=t.clock, sleep=t.sleep, first=5, factor=1, ceiling=5, eager_for=0).until(
            lambda: None, timeout=20)
    assert t.sleeps == [5, 5, 5, 5]


def test_poll_returns_first_value_and_runs_between():
    t = FakeTime()
    poller = Poller(clock=t.clock, sleep=t.sleep)
    seen = []
    result = poller.until(lambda: "done" if t.now >= 1 else None, timeout=5, between=lambda: seen.append(t.now))
    assert result == "done" and len(seen) == len(t.sleeps)


def test_poll_attempts_once_with_zero_timeout_and_between_can_abort():
    t = FakeTime()
    poller = Poller(clock=t.clock, sleep=t.sleep)
    assert poller.until(lambda: 1, timeout=0) == 1
    with pytest.raises(RuntimeError):
        poller.until(lambda: None, timeout=5, between=lambda: (_ for _ in ()).throw(RuntimeError("died")))


def test_wait_is_a_poll():
    t = FakeTime()
    Poller(clock=t.clock, sleep=t.sleep).wait(30)
    assert t.now == pytest.approx(30) and max(t.sleeps) == 2.0


@pytest.mark.parametrize("rows, total, want, count, ok", [
    ([["15"]], 1, 15, UNSET, True), ([["15"]], 1, "15.0", UNSET, True), ([["15"]], 1, 16, UNSET, False),
    ([[None]], 1, None, UNSET, True), ([["0"]], 1, None, UNSET, False), ([["true"]], 1, True, UNSET, True),
    ([["abc"]], 1, "abc", UNSET, True), ([["12"]], 1, {">=": 10}, UNSET, True),
    ([["9"]], 1, {">=": 10}, UNSET, False), ([["12"]], 1, {">": 10, "<": 20}, UNSET, True),
    ([["x"]], 1, {">": 1}, UNSET, False), ([["a"]], 1, {"!=": "b"}, UNSET, True),
    ([["1", "a"], ["2", None]], 2, [[1, "a"], [2, None]], UNSET, True),
    ([["1"], ["2"]], 2, [1, 2], UNSET, True), ([["1"], ["2"]], 2, [[2], [1]], UNSET, False),
    ([], 0, UNSET, 0, True), ([["1"]], 1, UNSET, {">=": 1}, True), ([["1"]], 1, UNSET, 2, False),
    ([], 0, 5, UNSET, False),
])
def test_sql_expectations(rows, total, want, count, ok):
    assert expect.sql(rows, total, want, count).ok is ok


def test_sql_failure_names_expected_and_seen():
    verdict = expect.sql([["10"]], 1, 15)
    assert (verdict.expected, verdict.seen) == ("15", '"10"')
    assert expect.sql([["3"]], 1, {">=": 10}).expected == ">= 10"


@pytest.mark.parametrize("value, want, ok", [
    ('{"status": "ok", "rows": 3}', {"status": "ok", "rows": 3}, True), ('{"status": "ok"}', {"status": "no"}, False),
    ('{"status": "ok", "n": 1}', {"status": "ok"}, False), ("clean", "clean", True), ("5", 5, True),
    (None, None, True), ("[1, 2]", [1, 2], True),
])
def test_notebook_expectations(value, want, ok):
    assert expect.notebook(value, want).ok is ok


def test_job_settings_carry_tags_and_dead_man():
    from streamtest.runner import dead_man_seconds, job_settings
    plan = load_plan(Path(__file__).parent / "fixtures" / "stream" / "streamtest.yml", env={}, run_id="9_1")
    settings = job_settings(plan, 1000.0)
    assert settings["timeout_seconds"] == dead_man_seconds(plan) >= 3600
    assert settings["tags"] == {"streamtest": "true", "streamtest-run": "9_1",
                                "streamtest-expires": str(int(1000 + settings["timeout_seconds"] + 300 + 600))}
    assert "tags" not in plan.job  # the plan itself is untouched


def test_a_wait_beats_every_heartbeat_with_what_it_waits_for():
    t = FakeTime()
    beats: list[str] = []
    times: list[float] = []
    poller = Poller(clock=t.clock, sleep=t.sleep, heartbeat=30, beat=lambda line: (beats.append(line), times.append(t.now)))
    with pytest.raises(Deadline):
        poller.until(lambda: None, 95, what="the cluster", last=lambda: "PENDING: Waiting for cluster")
    assert len(beats) == 3  # a 95 s wait: one beat in each 30 s
    assert all(b - a <= 30 for a, b in zip([0.0] + times, times + [95.0]))
    assert beats[0].startswith("  still waiting for the cluster: ") and "s of 1m35s, " in beats[0]
    assert beats[-1].endswith("; last: PENDING: Waiting for cluster") and "attempts" in beats[-1]


def test_a_beat_comes_on_time_between_slow_attempts():
    t = FakeTime()
    times: list[float] = []
    poller = Poller(clock=t.clock, sleep=t.sleep, first=20, factor=1, ceiling=20, eager_for=0, heartbeat=5,
                    beat=lambda line: times.append(t.now))
    with pytest.raises(Deadline):
        poller.until(lambda: None, 40, what="x")
    assert times and all(b - a <= 5 for a, b in zip([0.0] + times, times))


def test_a_wait_without_a_name_stays_silent():
    t = FakeTime()
    beats: list[str] = []
    poller = Poller(clock=t.clock, sleep=t.sleep, heartbeat=1, beat=beats.append)
    with pytest.raises(Deadline):
        poller.until(lambda: None, 10)
    assert beats == []
