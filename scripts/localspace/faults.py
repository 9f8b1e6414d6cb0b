"""Injected faults: the bad days of a real workspace, on demand and reproducibly.

A rule names the requests it hits (``path`` regex searched in the URL path, optional
``method``), what happens (``kind``) and how often (``rate`` with a seeded RNG, ``count``
for the first N matches, ``nth`` for exactly the Nth match; none of them = every match).
Each rule counts its own matches and owns its RNG, so a given request sequence meets the
same faults on every run.

HTTP kinds, applied by the server before the request is handled:
  429 / 503 (with ``Retry-After: retry_after``), 500, ``drop`` (close the socket, no reply),
  ``delay`` (wait ``delay`` seconds, then handle normally).
  With ``after_processing: true`` a 500 or drop happens *after* the request was applied, so
  the client sees a failure for something that did happen (how jobs/create gets duplicated).
Run kinds, which only count requests that create runs (jobs/run-now, jobs/runs/submit, and
POST pipelines/{id}/updates, where the update fails or waits for resources):
  ``fail_run`` (the run fails with RUN_EXECUTION_ERROR and ``message``),
  ``stuck_pending`` (the run stays PENDING until cancelled or timed out).

A rules file is YAML: either a list of rules or ``{seed: N, rules: [...]}``.
"""
from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

HTTP_KINDS = {"429", "503", "500", "drop", "delay"}
RUN_KINDS = {"fail_run", "stuck_pending"}
RUN_CREATING = re.compile(r"/api/2\.[0-9]/jobs/(run-now|runs/submit)$|/api/2\.0/pipelines/[^/]+/updates$")
_KEYS = {"path", "method", "kind", "retry_after", "delay", "rate", "count", "nth", "seed",
         "message", "after_processing"}


class FaultConfigError(ValueError):
    """A rules file that cannot be used; names the rule and the problem."""


@dataclass
class Rule:
    path: re.Pattern
    kind: str
    method: Optional[str] = None
    retry_after: int = 1
    delay: float = 0.0
    rate: Optional[float] = None
    count: Optional[int] = None
    nth: Optional[int] = None
    message: Optional[str] = None
    after_processing: bool = False
    seed: int = 0
    matches: int = 0
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def applies_to(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        if self.kind in RUN_KINDS and (method != "POST" or not RUN_CREATING.search(path)):
            return False
        return bool(self.path.search(path))

    def fire(self) -> bool:
        """Count one match and decide, deterministically, whether the fault happens."""
        self.matches += 1
        if self.nth is not None:
            hit = self.matches == self.nth
        elif self.count is not None:
            hit = self.matches <= self.count
        elif self.rate is not None:
            hit = self._rng.random() < self.rate
        else:
            hit = True
        self.fired += hit
        return hit


@dataclass
class Decision:
    """What the server must do to one request."""

    delay: float = 0.0
    http: Optional[Rule] = None       # the 429/503/500/drop rule that fired, if any
    run: list[Rule] = field(default_factory=list)   # fail_run / stuck_pending rules that fired


class FaultPlan:
    def __init__(self, rules: list[Rule]):
        self.rules = rules
        self._lock = threading.Lock()

    @classmethod
    def load(cls, source: None | str | Path | list | dict) -> "FaultPlan":
        if source is None:
            return cls([])
        if isinstance(source, (str, Path)):
            try:
                source = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                raise FaultConfigError(f"cannot read fault rules from {source}: {exc}") from None
        seed = 0
        if isinstance(source, dict):
            seed = source.get("seed", 0)
            source = source.get("rules", [])
        if not isinstance(source, list):
            raise FaultConfigError("fault rules must be a list (or {seed, rules})")
        return cls([_rule(raw, index, seed) for index, raw in enumerate(source, 1)])

    def decide(self, method: str, path: str) -> Decision:
        decision = Decision()
        if not self.rules:
            return decision
        with self._lock:
            for rule in self.rules:
                if not rule.applies_to(method, path) or not rule.fire():
                    continue
                if rule.kind == "delay":
                    decision.delay += rule.delay
                elif rule.kind in RUN_KINDS:
                    decision.run.append(rule)
                else:
                    decision.http = rule
                    break
        return decision

    def summary(self) -> list[dict[str, Any]]:
        """How often each rule matched and fired (for tests and the benchmark)."""
        with self._lock:
            return [{"path": r.path.pattern, "kind": r.kind, "matches": r.matches, "fired": r.fired}
                    for r in self.rules]


def _rule(raw: Any, index: int, plan_seed: int) -> Rule:
    where = f"fault rule {index}"
    if not isinstance(raw, dict):
        raise FaultConfigError(f"{where}: must be a mapping")
    unknown = set(raw) - _KEYS
    if unknown:
        raise FaultConfigError(f"{where}: unknown keys {sorted(unknown)}")
    kind = str(raw.get("kind", ""))
    if kind not in HTTP_KINDS | RUN_KINDS:
        raise FaultConfigError(f"{where}: kind must be one of {sorted(HTTP_KINDS | RUN_KINDS)}")
    if "path" not in raw:
        raise FaultConfigError(f"{where}: path (a regex) is required")
    try:
        pattern = re.compile(str(raw["path"]))
    except re.error as exc:
        raise FaultConfigError(f"{where}: path is not a valid regex: {exc}") from None
    how = [k for k in ("rate", "count", "nth") if raw.get(k) is not None]
    if len(how) > 1:
        raise FaultConfigError(f"{where}: give at most one of rate, count, nth")
    rate = raw.get("rate")
    if rate is not None and not (isinstance(rate, (int, float)) and 0 <= rate <= 1):
        raise FaultConfigError(f"{where}: rate must be between 0 and 1")
    for key in ("count", "nth", "retry_after", "seed"):
        if raw.get(key) is not None and (not isinstance(raw[key], int) or raw[key] < 0):
            raise FaultConfigError(f"{where}: {key} must be a non-negative integer")
    if raw.get("after_processing") and kind not in ("500", "drop"):
        raise FaultConfigError(f"{where}: after_processing applies to 500 and drop only")
    seed = raw.get("seed", plan_seed * 1000 + index)
    return Rule(path=pattern, kind=kind, method=str(raw["method"]).upper() if raw.get("method") else None,
                retry_after=raw.get("retry_after", 1), delay=float(raw.get("delay", 0)),
                rate=rate, count=raw.get("count"), nth=raw.get("nth"), message=raw.get("message"),
                after_processing=bool(raw.get("after_processing")), seed=seed,
                _rng=random.Random(seed))


def run_faults(rules: list, default_message: str) -> dict:
    """The run-level rules that fired for one request, as the room that starts the run reads
    them: {"fail_run": message} and/or {"stuck_pending": True}."""
    faults: dict = {}
    for rule in rules:
        if rule.kind == "fail_run":
            faults["fail_run"] = rule.message or default_message
        elif rule.kind == "stuck_pending":
            faults["stuck_pending"] = True
    return faults
