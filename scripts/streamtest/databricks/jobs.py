"""A job as jobs/list shows it: ``Job``, the few fields sweep and create-recovery read."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Job:
    job_id: int
    name: str
    tags: dict = field(default_factory=dict)
    created: Optional[float] = None   # epoch seconds (jobs/list gives ms)
    continuous: bool = False


def parse_job(body: dict) -> Job:
    settings = body.get("settings") or {}
    created = body.get("created_time")
    return Job(int(body["job_id"]), str(settings.get("name") or ""), dict(settings.get("tags") or {}),
               created / 1000.0 if created else None, bool(settings.get("continuous")))
