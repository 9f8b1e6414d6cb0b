"""A declarative pipeline as streamtest reads it: ``Update``, ``PipelineInfo`` and the
expectation counts of its event log, each built once from a Pipelines API 2.0 reply.

Update states (UpdateInfoState of the Pipelines API,
https://docs.databricks.com/api/workspace/pipelines/getupdate): QUEUED, CREATED,
WAITING_FOR_RESOURCES, INITIALIZING, RESETTING, SETTING_UP_TABLES come before RUNNING;
STOPPING leads to COMPLETED, FAILED or CANCELED, the terminal ones. A continuous pipeline's
update stays RUNNING until stopped; a triggered one ends COMPLETED.

Expectations are read from ``flow_progress`` events: ``details.flow_progress.data_quality.
expectations`` is a list of ``{name, dataset, passed_records, failed_records}`` per event
(the event log schema, https://docs.databricks.com/aws/dlt/monitor-event-log-schema).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

STARTING = ("QUEUED", "CREATED", "WAITING_FOR_RESOURCES", "INITIALIZING", "RESETTING", "SETTING_UP_TABLES")
TERMINAL = ("COMPLETED", "FAILED", "CANCELED")


@dataclass(frozen=True)
class Update:
    pipeline_id: str
    update_id: str
    state: str                    # an UpdateInfoState ('' when the reply had none)
    url: str

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def running(self) -> bool:
        return self.state == "RUNNING"

    @property
    def waiting(self) -> bool:
        """Not processing yet (queued, getting resources, setting up tables): what start.timeout bounds."""
        return self.state in STARTING

    @property
    def succeeded(self) -> bool:
        return self.state == "COMPLETED"

    def line(self) -> str:
        return self.state or "UNKNOWN"


@dataclass(frozen=True)
class PipelineInfo:
    pipeline_id: str
    name: str
    tags: dict = field(default_factory=dict)
    modified: Optional[float] = None  # epoch seconds (the API gives ms); pipelines carry no creation time
    latest: tuple = ()                # (update_id, state) of its latest updates, newest first


def update_url(host: str, pipeline_id: str, update_id: str) -> str:
    """The update's page in the workspace UI."""
    return f"{host}/pipelines/{pipeline_id}/updates/{update_id}"


def parse_update(body: dict, host: str) -> Update:
    """``body`` is a get-update reply (``{"update": {...}}``)."""
    update = body.get("update") or body
    pipeline_id, update_id = str(update.get("pipeline_id") or ""), str(update.get("update_id") or "")
    return Update(pipeline_id, update_id, str(update.get("state") or ""), update_url(host, pipeline_id, update_id))


def parse_pipeline(body: dict) -> PipelineInfo:
    """A get reply (``spec`` holds the settings, tags included) or a list entry (no spec)."""
    spec = body.get("spec") or {}
    modified = body.get("last_modified")
    latest = tuple((str(u.get("update_id") or ""), str(u.get("state") or ""))
                   for u in body.get("latest_updates") or [] if isinstance(u, dict))
    return PipelineInfo(str(body.get("pipeline_id") or ""), str(body.get("name") or spec.get("name") or ""),
                        dict(spec.get("tags") or {}), modified / 1000.0 if modified else None, latest)


@dataclass(frozen=True)
class Counts:
    """One expectation's records, summed over every flow_progress event that reports it."""
    passed: int = 0
    failed: int = 0
    events: int = 0               # how many events reported it (0: never seen)


def _expectations(events: Iterable[dict], updates: Optional[set]) -> Iterable[dict]:
    """Each expectation entry of the flow_progress events of ``updates`` (None: every update)."""
    for event in events:
        if event.get("event_type") != "flow_progress":
            continue
        if updates is not None and (event.get("origin") or {}).get("update_id") not in updates:
            continue
        quality = ((event.get("details") or {}).get("flow_progress") or {}).get("data_quality") or {}
        yield from (item for item in quality.get("expectations") or [] if isinstance(item, dict))


def expectation_counts(events: Iterable[dict], dataset: str, name: str,
                       updates: Optional[set] = None) -> Counts:
    """Sum ``passed_records`` / ``failed_records`` of expectation ``name`` on ``dataset``
    (case-insensitive, as dataset names are table names) over the events of ``updates``."""
    passed = failed = seen = 0
    for item in _expectations(events, updates):
        if str(item.get("name")) == name and same_dataset(str(item.get("dataset") or ""), dataset):
            passed += int(item.get("passed_records") or 0)
            failed += int(item.get("failed_records") or 0)
            seen += 1
    return Counts(passed, failed, seen)


def same_dataset(reported: str, wanted: str) -> bool:
    """``silver_users`` matches ``cat.sch.silver_users`` (the event may name it in full)."""
    reported, wanted = reported.lower().replace("`", ""), wanted.lower().replace("`", "")
    return reported == wanted or reported.endswith("." + wanted) or wanted.endswith("." + reported)


def expectations_seen(events: Iterable[dict], updates: Optional[set] = None) -> list[str]:
    """'dataset.name' of every expectation the events report, for a failure line that shows
    what there is when the wanted one is missing."""
    return list(dict.fromkeys(f"{item.get('dataset')}.{item.get('name')}" for item in _expectations(events, updates)))


def error_message(events: Iterable[dict], update_id: str = "") -> str:
    """The first ERROR event's message and its exceptions (of ``update_id`` when given):
    what the test says when an update fails."""
    for event in events:
        if event.get("level") != "ERROR":
            continue
        if update_id and (event.get("origin") or {}).get("update_id") not in (None, update_id):
            continue
        parts = [str(event.get("message") or "")]
        for exc in ((event.get("error") or {}).get("exceptions") or []):
            text = ": ".join(p for p in (exc.get("class_name"), exc.get("message")) if p)
            if text and text not in parts[0]:
                parts.append(text)
        return "; ".join(p for p in parts if p)
    return ""
