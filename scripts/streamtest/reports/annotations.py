"""GitHub Actions workflow commands: ``::group::`` folds and ``::error::`` annotations.

Only the escaping rules live here; the runner decides when to print them.
"""
from __future__ import annotations

from typing import Iterable

from streamtest import redaction
from streamtest.reports.records import StepResult


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def group_start(title: str) -> str:
    return f"::group::{_data(redaction.redact(title))}"


def group_end() -> str:
    return "::endgroup::"


def error(message: str, title: str = "") -> str:
    props = f" title={_property(redaction.redact(title))}" if title else ""
    return f"::error{props}::{_data(redaction.redact(message))}"


def errors(results: Iterable[StepResult]) -> list[str]:
    """One ``::error::`` per failed or errored step, naming expected and last seen values."""
    lines = []
    for r in results:
        if r.outcome not in ("failed", "error"):
            continue
        parts = [r.message]
        if r.expected and r.expected not in r.message:
            parts.append(f"expected: {r.expected}")
        if r.last_seen and r.last_seen not in r.message:
            parts.append(f"last seen: {r.last_seen}")
        if r.link:
            parts.append(f"run: {r.link}")
        lines.append(error("\n".join(p for p in parts if p), f"{r.phase}: {r.name}"))
    return lines
