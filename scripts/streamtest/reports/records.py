"""Plain step records, collected while the test runs and rendered once at the end.

Every step the plan will run is recorded up front as ``skipped`` ("not reached"), so steps
after a failure are reported as skipped rather than missing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Optional

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"
NOT_REACHED = "not reached"


@dataclass
class StepResult:
    phase: str                    # "setup", an iteration's name, or "cleanup"
    name: str
    outcome: str = SKIPPED
    started: Optional[float] = None   # epoch seconds
    duration: float = 0.0
    message: str = NOT_REACHED
    expected: str = ""
    last_seen: str = ""
    link: str = ""


@dataclass
class Recorder:
    clock: Callable[[], float] = time.time
    results: list[StepResult] = field(default_factory=list)
    run_url: str = ""
    run_label: str = "Job run"    # what run_url is the page of ("Pipeline update" for a pipeline)
    started: float = field(default_factory=time.time)

    def expect(self, phase: str, name: str) -> StepResult:
        """Announce a step the plan will run; it stays skipped unless it starts."""
        result = StepResult(phase, name)
        self.results.append(result)
        return result

    def begin(self, result: StepResult) -> StepResult:
        result.started = self.clock()
        result.outcome, result.message = "running", ""
        return result

    def end(self, result: StepResult, outcome: str, message: str = "", *, expected: str = "",
            last_seen: str = "", link: str = "") -> StepResult:
        if result.started is None:
            result.started = self.clock()
        result.duration = max(0.0, self.clock() - result.started)
        result.outcome, result.message = outcome, message
        result.expected, result.last_seen = expected, last_seen
        result.link = link or result.link
        return result

    def record(self, phase: str, name: str, outcome: str, message: str = "", *, started: Optional[float] = None,
               duration: float = 0.0, link: str = "") -> StepResult:
        """A step that is recorded when it has happened (cleanup actions, a cancellation)."""
        result = self.begin(self.expect(phase, name))
        if started is not None:
            result.started = started
        self.end(result, outcome, message, link=link)
        if started is not None:
            result.duration = duration
        return result

    def phases(self) -> list[tuple[str, list[StepResult]]]:
        """Results grouped by phase, in the order phases were first announced; within a phase
        the steps that ran in the order they started (cleanup's teardown steps, announced up
        front, run between cleanup actions recorded as they happen), then those that did not."""
        order: dict[str, list[StepResult]] = {}
        for result in self.results:
            order.setdefault(result.phase, []).append(result)
        return [(phase, sorted(results, key=lambda r: (r.started is None, r.started or 0.0)))
                for phase, results in order.items()]

    def verdict(self) -> str:
        """passed | failed | error: a failed check outranks an error in a later step."""
        outcomes = {r.outcome for r in self.results}
        if FAILED in outcomes:
            return FAILED
        if ERROR in outcomes or "running" in outcomes:
            return ERROR
        return PASSED

    def failures(self) -> list[StepResult]:
        return [r for r in self.results if r.outcome in (FAILED, ERROR)]

    def notices(self) -> list[StepResult]:
        """What a reader must see besides failures: steps skipped on purpose, with a reason."""
        return [r for r in self.results if r.outcome == SKIPPED and r.message != NOT_REACHED]


def explained(message: str, expected: str, seen: str) -> str:
    """``message`` plus the expected and last seen values, each only when the message does
    not already say it, so no failure reads 'got "7", expected 8 (expected 8; last seen "7")'."""
    parts = []
    if expected and expected not in message:
        parts.append(f"expected {expected}")
    if seen and seen not in message and seen.removeprefix("error: ") not in message:
        parts.append(f"last seen {seen}")
    if not parts:
        return message
    return f"{message} ({'; '.join(parts)})" if message else "; ".join(parts)
