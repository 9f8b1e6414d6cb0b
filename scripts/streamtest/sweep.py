"""``sweep``: delete jobs, pipelines and scratch schemas streamtest created whose time is up,
wherever their runner went.

A job or pipeline qualifies only with the ``streamtest`` tag, and then when its
``streamtest-expires`` has passed or, with ``--older-than``, when it was created (a pipeline:
last modified; the API gives no creation time) longer ago than that. A continuous job is
paused first (so ending its run starts no other), its active runs are cancelled, then the
job is deleted; a pipeline is stopped, then deleted with its tables. Pipeline list entries
carry no tags, so each pipeline is read once (pipelines/get).

A scratch schema qualifies only with the comment a run wrote on it
(``identity.scratch_comment``: the run id and its ``streamtest-expires``), by the same two
rules, and never while a streamtest job or pipeline of the same run still stands (its run
may still write into it): it is dropped with everything in it, as the run's own cleanup would.
"""
from __future__ import annotations

import time
from typing import Callable, Optional

from streamtest import identity
from streamtest.client import ApiError
from streamtest.databricks.jobs import Job
from streamtest.databricks.pipelines import PipelineInfo
from streamtest.databricks.unity import Schema
from streamtest.databricks.workspace import Workspace, is_gone
from streamtest.durations import format_duration

# (key, label, remove): one expired object and how to remove it
Expired = tuple[object, str, Callable[[], None]]


def _due(expires: Optional[float], created: Optional[float], older_than: Optional[float], now: float) -> bool:
    return (expires is not None and expires <= now) or (
        older_than is not None and bool(created) and now - created >= older_than)


def _expired(tags: dict, created: Optional[float], older_than: Optional[float], now: float) -> bool:
    return identity.TAG in tags and _due(identity.expires_at(tags), created, older_than, now)


def expired_jobs(jobs: list[Job], older_than: Optional[float], now: float) -> list[Job]:
    return [job for job in jobs if _expired(job.tags, job.created, older_than, now)]


def streamtest_pipelines(ws: Workspace, log: Callable[[str], None]) -> list[PipelineInfo]:
    """Every pipeline with the streamtest tag (read one by one: list entries carry no tags)."""
    try:
        infos = [ws.get_pipeline(listed.pipeline_id) for listed in ws.list_pipelines()]
    except ApiError as exc:
        if not is_gone(exc):
            raise
        log(f"sweep: this workspace serves no pipelines API ({exc.error_code}); no pipelines to sweep")
        return []
    return [info for info in infos if info is not None and identity.TAG in info.tags]


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


def _delete_each(items: list[Expired], kind: str, dry_run: bool, log: Callable[[str], None],
                 verb: str = "delete", done: str = "deleted", after: str = "") -> tuple[int, set]:
    """Removes each expired object; returns (how many could not be removed, the keys of
    those gone, or in a dry run those that would be)."""
    failed, gone = 0, set()
    for key, label, remove in items:
        if dry_run:
            log(f"would {verb} {label}")
            gone.add(key)
            continue
        try:
            remove()
            gone.add(key)
            log(f"{done} {label}{after}")
        except ApiError as exc:
            failed += 1
            log(f"could not {verb} {label}: {exc}")
    if not items:
        log(f"sweep: no expired {kind}")
    return failed, gone


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
    """Returns (jobs, pipelines and schemas found, those that could not be deleted)."""
    now = time.time() if now is None else now
    all_jobs = [job for job in ws.list_jobs() if identity.TAG in job.tags]
    jobs = [(job.job_id, f"job {job.job_id} '{job.name}' (run {job.tags.get(identity.TAG_RUN, '?')}, "
             f"created {format_duration(now - (job.created or now))} ago)", lambda j=job: _remove_job(ws, j))
            for job in expired_jobs(all_jobs, older_than, now)]
    failed, gone_jobs = _delete_each(jobs, "streamtest jobs", dry_run, log)
    all_pipelines = streamtest_pipelines(ws, log)
    pipelines = [(p.pipeline_id, f"pipeline {p.pipeline_id} '{p.name}' (run {p.tags.get(identity.TAG_RUN, '?')})",
                  lambda p=p: _remove_pipeline(ws, p))
                 for p in all_pipelines if _expired(p.tags, p.modified, older_than, now)]
    not_deleted, gone_pipelines = _delete_each(pipelines, "streamtest pipelines", dry_run, log)
    failed += not_deleted
    standing = ({job.tags.get(identity.TAG_RUN) for job in all_jobs if job.job_id not in gone_jobs}
                | {p.tags.get(identity.TAG_RUN) for p in all_pipelines if p.pipeline_id not in gone_pipelines})
    schemas = [(schema.full_name, f"scratch schema {schema.full_name} (run {run}" + (
                    f", created {format_duration(now - schema.created)} ago)" if schema.created else ")"),
                lambda s=schema: ws.delete_schema(s.full_name))
               for schema, run in expired_schemas(ws, standing, older_than, now, log)]
    not_dropped, _ = _delete_each(schemas, "scratch schemas", dry_run, log, "drop", "dropped", " with everything in it")
    return len(jobs) + len(pipelines) + len(schemas), failed + not_dropped
