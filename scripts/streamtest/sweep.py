"""``sweep``: delete jobs and scratch schemas streamtest created whose time is up, wherever
their runner went.

A job qualifies only with the ``streamtest`` tag, and then when its ``streamtest-expires``
has passed or, with ``--older-than``, when it was created longer ago than that. A
continuous job is paused first (so ending its run starts no other), its active runs are
cancelled, then the job is deleted.

A scratch schema qualifies only with the comment a run wrote on it
(``identity.scratch_comment``: the run id and its ``streamtest-expires``), by the same two
rules, and never while a streamtest job of the same run still stands (its run may still
write into it): it is dropped with everything in it, as the run's own cleanup would.
"""
from __future__ import annotations

import time
from typing import Callable, Optional

from streamtest import identity
from streamtest.client import ApiError
from streamtest.databricks.jobs import Job
from streamtest.databricks.unity import Schema
from streamtest.databricks.workspace import Workspace
from streamtest.durations import format_duration


def _due(expires: Optional[float], created: Optional[float], older_than: Optional[float], now: float) -> bool:
    return (expires is not None and expires <= now) or (
        older_than is not None and bool(created) and now - created >= older_than)


def expired_jobs(jobs: list[Job], older_than: Optional[float], now: float) -> list[Job]:
    return [job for job in jobs if identity.TAG in job.tags
            and _due(identity.expires_at(job.tags), job.created, older_than, now)]


def expired_schemas(ws: Workspace, standing: set[str], older_than: Optional[float], now: float,
                    log: Callable[[str], None]) -> list[tuple[Schema, str]]:
    """(schema, run id) of every scratch schema due, in every catalog the caller can list."""
    out = []
    for catalog in ws.list_catalogs():
        try:
            schemas = list(ws.list_schemas(catalog))
        except ApiError as exc:      # a catalog this principal may not browse: not ours to judge
            log(f"sweep: could not list the schemas of catalog {catalog}: {exc}")
            continue
        for schema in schemas:
            owner = identity.scratch_owner(schema.comment)
            if owner and owner[0] not in standing and _due(owner[1], schema.created, older_than, now):
                out.append((schema, owner[0]))
    return out


def sweep(ws: Workspace, older_than: Optional[float], dry_run: bool, log: Callable[[str], None],
          now: Optional[float] = None) -> tuple[int, int]:
    """Returns (jobs and schemas found, those that could not be deleted)."""
    now = time.time() if now is None else now
    everything = list(ws.list_jobs())
    jobs = expired_jobs(everything, older_than, now)
    failed, gone = 0, set()
    for job in jobs:
        job_id = job.job_id
        age = now - (job.created or now)
        label = f"job {job_id} '{job.name}' (run {job.tags.get(identity.TAG_RUN, '?')}, " \
                f"created {format_duration(age)} ago)"
        if dry_run:
            log(f"would delete {label}")
            gone.add(job_id)
            continue
        try:
            if job.continuous:
                ws.pause_job(job_id)
            for run_id in ws.active_runs(job_id):
                ws.cancel_run(run_id)
            ws.delete_job(job_id)
            gone.add(job_id)
            log(f"deleted {label}")
        except ApiError as exc:
            failed += 1
            log(f"could not delete {label}: {exc}")
    if not jobs:
        log("sweep: no expired streamtest jobs")
    standing = {job.tags.get(identity.TAG_RUN) for job in everything
                if identity.TAG in job.tags and job.job_id not in gone}
    schemas = expired_schemas(ws, standing, older_than, now, log)
    for schema, run in schemas:
        label = f"scratch schema {schema.full_name} (run {run}" + (
            f", created {format_duration(now - schema.created)} ago)" if schema.created else ")")
        if dry_run:
            log(f"would drop {label}")
            continue
        try:
            ws.delete_schema(schema.full_name)
            log(f"dropped {label} with everything in it")
        except ApiError as exc:
            failed += 1
            log(f"could not drop {label}: {exc}")
    if not schemas:
        log("sweep: no expired scratch schemas")
    return len(jobs) + len(schemas), failed
