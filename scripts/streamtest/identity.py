"""How streamtest names what it creates: run ids, job tags, idempotency tokens.

Kept in one place because cleanup, sweep and job-create recovery all depend on these names
matching exactly what the runner wrote.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from typing import Mapping, Optional

TAG = "streamtest"
TAG_RUN = "streamtest-run"
TAG_EXPIRES = "streamtest-expires"
RUN_ID = re.compile(r"[A-Za-z0-9_]{1,48}")


def new_run_id(env: Mapping[str, str]) -> str:
    """``<GITHUB_RUN_ID>_<GITHUB_RUN_ATTEMPT>`` in Actions, ``local_<hex>`` elsewhere.

    Letters, digits and underscores only, so it is safe in job names, workspace paths and
    Unity Catalog schema names without quoting (a hyphen would need backticks in SQL).
    """
    run, attempt = env.get("GITHUB_RUN_ID"), env.get("GITHUB_RUN_ATTEMPT", "1")
    if run and RUN_ID.fullmatch(f"{run}_{attempt}"):
        return f"{run}_{attempt}"
    return f"local_{secrets.token_hex(5)}"


def job_tags(run_id: str, expires_epoch: float) -> dict[str, str]:
    """The tags every created job carries; ``sweep`` trusts only these."""
    return {TAG: "true", TAG_RUN: run_id, TAG_EXPIRES: str(int(expires_epoch))}


def expires_at(tags: Mapping[str, str]) -> float | None:
    """Epoch seconds from a ``streamtest-expires`` tag (epoch or ISO-8601), None if unreadable."""
    value = (tags or {}).get(TAG_EXPIRES)
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        from datetime import datetime
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


SCRATCH_COMMENT = re.compile(r"streamtest run ([A-Za-z0-9_]{1,48}): dropped with everything in it when the run "
                             r"ends(?: \(streamtest-expires (\d+)\))?")


def scratch_comment(run_id: str, expires_epoch: Optional[float] = None) -> str:
    """The comment of the scratch schema a run creates: how cleanup tells the schema this run
    made (its create reply lost) from one of the same name that was there before, and how
    ``sweep`` finds the schema of a run that never cleaned up and knows when its time is up
    (a schema has no tags; the comment is the one field every workspace shows and keeps)."""
    expiry = f" ({TAG_EXPIRES} {int(expires_epoch)})" if expires_epoch is not None else ""
    return f"streamtest run {run_id}: dropped with everything in it when the run ends{expiry}"


def scratch_owner(comment: str) -> Optional[tuple[str, Optional[float]]]:
    """(run id, expiry epoch or None) of a comment ``scratch_comment`` wrote; None for any other."""
    match = SCRATCH_COMMENT.fullmatch(comment or "")
    if match is None:
        return None
    return match.group(1), float(match.group(2)) if match.group(2) else None


def idempotency_token(run_id: str, purpose: str) -> str:
    """A stable token (<= 64 chars) for run-now/runs-submit: a retried call returns the same run."""
    digest = hashlib.sha256(f"{run_id}/{purpose}".encode()).hexdigest()[:40]
    return f"streamtest-{digest}"
