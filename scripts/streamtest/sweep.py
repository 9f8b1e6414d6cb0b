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


def _delete_each(items: list[tuple[str, Callable[[], None]]], kind: str, dry_run: bool,
                 log: Callable[[str], None]) -> int:
    """(label, remove) per expired object; returns how many could not be removed."""
    failed = 0
    for label, remove in items:
        if dry_run:
            log(f"would delete {label}")
            continue
        try:
            remove()
            log(f"deleted {label}")
        except ApiError as exc:
            failed += 1
            log(f"could not delete {label}: {exc}")
    if not items:
        log(f"sweep: no expired streamtest {kind}")
    return failed


def _remove_job(ws: Workspace, job: Job) -> None:
    if job.continuous:
        ws.pause_job(job.job_id)
    for run_id in ws.active_runs(job.job_id):
        ws.cancel_run(run_id)
    ws.delete_job(job.job_id)


def _remove_pipeline(ws: Workspace, info: PipelineInfo) -> None:
    ws.stop_pipeline(info.pipeline_id)
    ws.delete_pipeline(info.pipeline_id)


def sweep(ws: Workspace, older_than: Optional[float], dry_run: bool, log: Callable[[str], None],
          now: Optional[float] = None) -> tuple[int, int]:
    """Returns (jobs and pipelines found, those that could not be deleted)."""
    now = time.time() if now is None else now
    jobs = [(f"job {job.job_id} '{job.name}' (run {job.tags.get(identity.TAG_RUN, '?')}, "
             f"created {format_duration(now - (job.created or now))} ago)", lambda j=job: _remove_job(ws, j))
            for job in expired_jobs(ws, older_than, now)]
    failed = _delete_each(jobs, "jobs", dry_run, log)
    try:
        found = expired_pipelines(ws, older_than, now)
    except ApiError as exc:
        if not is_gone(exc):
            raise
        log(f"sweep: this workspace serves no pipelines API ({exc.error_code}); no pipelines to sweep")
        found = []
    pipelines = [(f"pipeline {p.pipeline_id} '{p.name}' (run {p.tags.get(identity.TAG_RUN, '?')})",
                  lambda p=p: _remove_pipeline(ws, p)) for p in found]
    failed += _delete_each(pipelines, "pipelines", dry_run, log)
    return len(jobs) + len(pipelines), failed
