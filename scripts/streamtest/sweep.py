"""``sweep``: delete jobs streamtest created whose time is up, wherever their runner went.

A job qualifies only with the ``streamtest`` tag, and then when its ``streamtest-expires``
has passed or, with ``--older-than``, when it was created longer ago than that. A
continuous job is paused first (so ending its run starts no other), its active runs are
cancelled, then the job is deleted.
"""
from __future__ import annotations

import time
from typing import Callable, Optional

from streamtest import identity
from streamtest.client import ApiError
from streamtest.databricks.jobs import Job
from streamtest.databricks.workspace import Workspace
from streamtest.durations import format_duration


def expired_jobs(ws: Workspace, older_than: Optional[float], now: float) -> list[Job]:
    out = []
    for job in ws.list_jobs():
        if identity.TAG not in job.tags:
            continue
        expires = identity.expires_at(job.tags)
        if (expires is not None and expires <= now) or (
                older_than is not None and job.created and now - job.created >= older_than):
            out.append(job)
    return out


def sweep(ws: Workspace, older_than: Optional[float], dry_run: bool, log: Callable[[str], None],
          now: Optional[float] = None) -> tuple[int, int]:
    """Returns (jobs found, jobs that could not be deleted)."""
    now = time.time() if now is None else now
    jobs = expired_jobs(ws, older_than, now)
    failed = 0
    for job in jobs:
        job_id = job.job_id
        age = now - (job.created or now)
        label = f"job {job_id} '{job.name}' (run {job.tags.get(identity.TAG_RUN, '?')}, " \
                f"created {format_duration(age)} ago)"
        if dry_run:
            log(f"would delete {label}")
            continue
        try:
            if job.continuous:
                ws.pause_job(job_id)
            for run_id in ws.active_runs(job_id):
                ws.cancel_run(run_id)
            ws.delete_job(job_id)
            log(f"deleted {label}")
        except ApiError as exc:
            failed += 1
            log(f"could not delete {label}: {exc}")
    if not jobs:
        log("sweep: no expired streamtest jobs")
    return len(jobs), failed
