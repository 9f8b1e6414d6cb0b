"""Every secret this process holds, and the one function that removes them from text.

Tokens arrive from the environment (PAT, client secret), from token endpoints (OAuth access
tokens, the GitHub OIDC JWT) and from plan variables taken from secret-looking environment
variables. Rather than trusting every log line, report and exception to avoid them, each
secret is registered here the moment it is read, and every writer (progress log, reports,
state file, error messages) passes its text through ``redact``. The registry is
process-wide on purpose: a secret must be hidden wherever it shows up.
"""
from __future__ import annotations

import json
import re
import threading

MASK = "***"
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|PWD|CREDENTIAL|PRIVATE|API_?KEY",
                          re.IGNORECASE)
_lock = threading.Lock()
_values: set[str] = set()


def looks_secret(env_name: str) -> bool:
    """True for environment variable names whose values must never be shown."""
    return bool(_SECRET_NAME.search(env_name))


def register(value: str | None) -> None:
    """Remember a secret value; short values (< 6 chars) are too common to mask safely.

    Its escaped spellings too: an exception's ``repr`` or a JSON report shows a secret holding
    a line break or a quote as ``\\n`` or ``\\"``, which the raw value would not match."""
    if value and len(value) >= 6:
        with _lock:
            _values.update({value, repr(value)[1:-1], json.dumps(value)[1:-1]})


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (longest first)."""
    if not text:
        return text
    with _lock:
        values = sorted(_values, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


def forget_all() -> None:
    """For tests that run several commands in one process."""
    with _lock:
        _values.clear()
