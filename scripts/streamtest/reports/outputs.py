"""Step outputs for ``$GITHUB_OUTPUT``: result, junit-path, job-id, run-id, run-url, duration."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Mapping

from streamtest import redaction


def render(values: Mapping[str, object]) -> str:
    """``name<<DELIM`` blocks, which stay correct even if a value holds a newline."""
    lines = []
    for name, value in values.items():
        text = redaction.redact("" if value is None else str(value))
        if "\n" in text:
            delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
            lines += [f"{name}<<{delimiter}", text, delimiter]
        else:
            lines.append(f"{name}={text}")
    return "\n".join(lines) + "\n"


def append(path: Path, values: Mapping[str, object]) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(render(values))
