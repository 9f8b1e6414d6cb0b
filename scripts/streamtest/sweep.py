"""``sweep``: delete jobs and pipelines streamtest created whose time is up, wherever their
runner went.

A job or pipeline qualifies only with the ``streamtest`` tag, and then when its
``streamtest-expires`` has passed or, with ``--older-than``, when it was created (a pipeline:
last modified; the API gives no creation time) longer ago than that. A continuous job is
paused first (so ending its run starts no other), its active runs are cancelled, then the
job is deleted; a pipeline is stopped, then deleted with its tables. Pipeline list entries
carry no tags, so each pipeline is read once (pipelines/get).
"""
from __future__ import annotations

import time
from typing import Callable, Optional

from streamtest import identity
from streamtest.client import ApiError
from streamtest.databricks.jobs import Job
from streamtest.databricks.pipelines import PipelineInfo
from streamtest.databricks.workspace import Workspace, is_gone
from streamtest.durations import format_duration


def expired_jobs(ws: Workspace, older_than: Optional[float], now: float) -> list[Job]:
    out = []
    for job in ws.list_jobs():
        if _expired(job.tags, job.created, older_than, now):
            out.append(job)
    return out


def _expired(tags: dict, created: Optional[float], older_than: Optional[float], now: float) -> bool:
    if identity.TAG not in tags:
        return False
    expires = identity.expires_at(tags)
    return (expires is not None and expires <= now) or (
        older_than is not None and created is not None and now - created >= older_than)


def expired_pipelines(ws: Workspace, older_than: Optional[float], now: float) -> list[PipelineInfo]:
    out = []
    for listed in ws.list_pipelines():
        info = ws.get_pipeline(listed.pipeline_id)
        if info is not None and _expired(info.tags, info.modified, older_than, now):
            out.append(info)
    return out


def sweep_pipelines(ws: Workspace, older_than: Optional[float], dry_run: bool, log: Callable[[str], None],
                    now: float) -> tuple[int, int]:
    """Returns (pipelines found, pipelines that could not be deleted)."""
    try:
        pipelines = expired_pipelines(ws, older_than, now)
    except ApiError as exc:
        if not is_gone(exc):
            raise
        log(f"sweep: this workspace serves no pipelines API ({exc.error_code}); no pipelines to sweep")
        return 0, 0
    failed = 0
    for info in pipelines:
        label = f"pipeline {info.pipeline_id} '{info.name}' (run {info.tags.get(identity.TAG_RUN, '?')})"
        if dry_run:
            log(f"would delete {label}")
            continue
        try:
            ws.stop_pipeline(info.pipeline_id)
            ws.delete_pipeline(info.pipeline_id)
            log(f"deleted {label}")
        except ApiError as exc:
            failed += 1
            log(f"could not delete {label}: {exc}")
    if not pipelines:
        log("sweep: no expired streamtest pipelines")
    return len(pipelines), failed


def sweep(ws: Workspace, older_than: Optional[float], dry_run: bool, log: Callable[[str], None],
          now: Optional[float] = None) -> tuple[int, int]:
    """Returns (jobs and pipelines found, those that could not be deleted)."""
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
    found, not_deleted = sweep_pipelines(ws, older_than, dry_run, log, now)
    return len(jobs) + found, failed + not_deleted
