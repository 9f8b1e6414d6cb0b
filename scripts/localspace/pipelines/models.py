"""Pipelines, their updates and the update life cycle, without HTTP.

An update walks the states Databricks documents (SDK ``UpdateInfoState``): QUEUED, CREATED,
WAITING_FOR_RESOURCES (the pipeline's compute starting: ``cluster_start`` seconds on classic
compute, none on serverless), INITIALIZING (the sources are read), RESETTING (full refresh),
SETTING_UP_TABLES, RUNNING, then COMPLETED, FAILED or CANCELED (STOPPING on the way when
stopped). One driver thread per update walks it; the engine runs the graph and reports the
states it owns. The pipeline's ``state`` follows its active update (STARTING, RESETTING,
RUNNING, STOPPING) and is IDLE otherwise, ``health`` UNHEALTHY after a failed update.
Every step is an event in the pipeline's event log (events.py).
"""
from __future__ import annotations

import itertools
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

from localspace.engine.base import PipelineSource, PipelineUpdateTask
from localspace.errors import InvalidParameterValue, ResourceConflict, ResourceDoesNotExist
from localspace.pipelines import settings
from localspace.pipelines.events import EventLog, iso
from localspace.unity.models import exists as namespace_exists

USER = "localspace-user@example.com"
ACTIVE = ("QUEUED", "CREATED", "WAITING_FOR_RESOURCES", "INITIALIZING", "RESETTING",
          "SETTING_UP_TABLES", "RUNNING", "STOPPING")
TERMINAL = ("COMPLETED", "FAILED", "CANCELED")
PIPELINE_STATE = {"RESETTING": "RESETTING", "RUNNING": "RUNNING", "STOPPING": "STOPPING"}
STOP_GRACE = 15.0          # seconds an engine gets to stop before the update is CANCELED anyway


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Update:
    update_id: str
    pipeline: "Pipeline"
    spec: dict                                  # the pipeline's spec when the update started
    cause: str
    full_refresh: bool
    creation_time: int = field(default_factory=now_ms)
    state: str = "QUEUED"
    error: Optional[str] = None
    stop: threading.Event = field(default_factory=threading.Event)
    handle: Any = None
    fail_message: Optional[str] = None          # fault: the update fails without running
    stuck: bool = False                         # fault: compute never comes up

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def to_dict(self, with_config: bool = True) -> dict:
        out = {"pipeline_id": self.pipeline.pipeline_id, "update_id": self.update_id, "cause": self.cause,
               "state": self.state, "creation_time": self.creation_time, "full_refresh": self.full_refresh,
               "validate_only": False, "mode": "CONTINUOUS" if self.spec.get("continuous") else "DEFAULT"}
        if self.pipeline.cluster_id:
            out["cluster_id"] = self.pipeline.cluster_id
        if with_config:
            out["config"] = self.spec
        return out

    def state_info(self) -> dict:
        return {"update_id": self.update_id, "state": self.state, "creation_time": iso(self.creation_time)}


@dataclass
class Pipeline:
    pipeline_id: str
    spec: dict
    creator: str
    events: EventLog
    last_modified: int = field(default_factory=now_ms)
    updates: list[Update] = field(default_factory=list)     # newest first
    tables: set[str] = field(default_factory=set)           # full names the engine wrote
    cause: Optional[str] = None

    @property
    def name(self) -> str:
        return self.spec.get("name", "")

    @property
    def cluster_id(self) -> Optional[str]:
        return None if self.spec.get("serverless") else f"dlt-{self.pipeline_id[:8]}"

    @property
    def active_update(self) -> Optional[Update]:
        return next((u for u in self.updates if u.active), None)

    @property
    def state(self) -> str:
        update = self.active_update
        if update is None:
            return "IDLE"
        return PIPELINE_STATE.get(update.state, "STARTING")

    @property
    def health(self) -> str:
        last = next((u for u in self.updates if not u.active), None)
        return "UNHEALTHY" if last is not None and last.state == "FAILED" and self.active_update is None \
            else "HEALTHY"

    def state_info(self) -> dict:
        out = {"pipeline_id": self.pipeline_id, "name": self.name, "state": self.state, "health": self.health,
               "creator_user_name": self.creator, "run_as_user_name": self.creator,
               "latest_updates": [u.state_info() for u in self.updates[:5]]}
        if self.cluster_id:
            out["cluster_id"] = self.cluster_id
        if not out["latest_updates"]:
            del out["latest_updates"]
        return out

    def to_dict(self) -> dict:
        out = {**self.state_info(), "spec": self.spec, "last_modified": self.last_modified,
               "effective_publishing_mode": "DEFAULT_PUBLISHING_MODE"}
        if self.cause:
            out["cause"] = self.cause
        return out


class PipelinesModel:
    def __init__(self, engine, workspace, paths, config):
        self.engine = engine
        self.workspace = workspace
        self.paths = paths
        self.config = config
        self._pipelines: dict[str, Pipeline] = {}
        self._lock = threading.RLock()
        self._threads: set[threading.Thread] = set()
        self._closing = threading.Event()
        self._update_numbers = itertools.count(1)

    # -- pipelines ---------------------------------------------------------------------------

    def _spec(self, body: dict, pipeline_id: str) -> dict:
        return settings.spec_of(
            body, pipeline_id, serverless_enabled=self.config.serverless,
            namespace_exists=lambda *names: namespace_exists(self.paths, *names),
            library_kind=self._object_type, workspace_glob=self._glob)

    def _object_type(self, path: str) -> Optional[str]:
        try:
            found = self.workspace.info(path)
        except InvalidParameterValue:
            return None
        return found.object_type if found is not None else None

    def _glob(self, pattern: str) -> list[str]:
        """Every notebook and file under the pattern's fixed prefix that the pattern matches."""
        top = pattern.split("*")[0].rsplit("/", 1)[0] or "/"
        found, folders = [], [top]
        while folders:
            folder = folders.pop()
            try:
                children = self.workspace.list(folder)
            except Exception:  # noqa: BLE001 - a missing folder matches nothing
                continue
            for child in children:
                if child.object_type == "DIRECTORY":
                    folders.append(child.path)
                elif settings.glob_match(self.workspace.canonical(pattern), child.path):
                    found.append(child.path)
        return sorted(found)

    def _check_name(self, name: str, allow_duplicates: bool, pipeline_id: str) -> None:
        if allow_duplicates or not name:
            return
        clash = next((p for p in self._pipelines.values() if p.name == name and p.pipeline_id != pipeline_id), None)
        if clash is not None:
            raise ResourceConflict(f"Pipeline with name '{name}' already exists (pipeline {clash.pipeline_id}). "
                                   "Use a different name or set allow_duplicate_names to true.")

    def create(self, body: dict, creator: str) -> Pipeline:
        settings.check_body(body, settings.CREATE_ONLY)
        pipeline_id = str(uuid.uuid4())
        spec = self._spec(body, pipeline_id)
        with self._lock:
            self._check_name(spec.get("name", ""), bool(body.get("allow_duplicate_names")), pipeline_id)
            pipeline = Pipeline(pipeline_id, spec, creator or USER,
                                EventLog({"pipeline_id": pipeline_id, "pipeline_name": spec.get("name", ""),
                                          "cloud": "localspace", "org_id": 0}))
            if not body.get("dry_run"):
                self._pipelines[pipeline_id] = pipeline
        pipeline.events.add("user_action", f"User {pipeline.creator} created pipeline '{pipeline.name}'.",
                            details={"user_action": {"action": "CREATE", "user_name": pipeline.creator}},
                            now_ms=now_ms())
        return pipeline

    def get(self, pipeline_id: str) -> Pipeline:
        with self._lock:
            pipeline = self._pipelines.get(pipeline_id)
        if pipeline is None:
            raise ResourceDoesNotExist(f"Pipeline {pipeline_id} does not exist.")
        return pipeline

    def list(self) -> list[Pipeline]:
        with self._lock:
            return sorted(self._pipelines.values(), key=lambda p: p.pipeline_id)

    def edit(self, pipeline_id: str, body: dict) -> None:
        settings.check_body(body, settings.EDIT_ONLY)
        pipeline = self.get(pipeline_id)
        if body.get("pipeline_id") not in (None, pipeline_id):
            raise InvalidParameterValue("pipeline_id in the body does not match the path.")
        expected = body.get("expected_last_modified")
        if expected is not None and int(expected) != pipeline.last_modified:
            raise InvalidParameterValue(f"Pipeline {pipeline_id} was modified at {pipeline.last_modified}, "
                                        f"not {expected}.")
        spec = self._spec({k: v for k, v in body.items() if k not in settings.EDIT_ONLY}, pipeline_id)
        with self._lock:
            self._check_name(spec.get("name", ""), bool(body.get("allow_duplicate_names")), pipeline_id)
            pipeline.spec, pipeline.last_modified = spec, now_ms()
        pipeline.events.add("user_action", f"User {pipeline.creator} edited pipeline '{pipeline.name}'.",
                            details={"user_action": {"action": "EDIT", "user_name": pipeline.creator}},
                            now_ms=now_ms())

    def delete(self, pipeline_id: str) -> None:
        """The pipeline goes at once; its active update is stopped and its tables dropped
        (Databricks: deleting a pipeline deletes the datasets it defined)."""
        pipeline = self.get(pipeline_id)
        with self._lock:
            self._pipelines.pop(pipeline_id, None)
        update = pipeline.active_update
        if update is not None:
            self._request_stop(update)
            self._wait_ended(update, STOP_GRACE)
        for table in sorted(pipeline.tables):
            try:
                self.engine.execute_sql(f"DROP TABLE IF EXISTS {table}")
            except Exception:  # noqa: BLE001 - a table someone dropped already
                pass
        shutil.rmtree(self.paths.dbfs(self.storage(pipeline)), ignore_errors=True)

    def storage(self, pipeline: Pipeline) -> str:
        return pipeline.spec.get("storage") or f"dbfs:/pipelines/{pipeline.pipeline_id}"

    # -- updates -----------------------------------------------------------------------------

    def start_update(self, pipeline_id: str, *, full_refresh: bool, cause: str,
                     faults: Optional[dict] = None) -> Update:
        pipeline = self.get(pipeline_id)
        refusal = getattr(self.engine, "pipelines_refusal", "localspace has no engine")
        if refusal:
            raise InvalidParameterValue(refusal)
        with self._lock:
            active = pipeline.active_update
            if active is not None:
                raise ResourceConflict(f"Pipeline {pipeline_id} has an active update {active.update_id} "
                                       f"({active.state}); stop it before starting another.")
            update = Update(str(uuid.uuid4()), pipeline, dict(pipeline.spec), cause, full_refresh,
                            fail_message=(faults or {}).get("fail_run"), stuck=bool((faults or {}).get("stuck_pending")))
            pipeline.updates.insert(0, update)
            pipeline.cause = None
        self._event(update, "create_update", f"Update {update.update_id[:6]} started by {cause}.",
                    details={"create_update": {"cause": cause, "config": update.spec, "full_refresh": full_refresh,
                                               "full_refresh_selection": [], "refresh_selection": [],
                                               "validate_only": False}})
        self._announce(update)
        thread = threading.Thread(target=self._drive, args=(update,), daemon=True,
                                  name=f"localspace-pipeline-{update.update_id[:8]}")
        with self._lock:
            self._threads = {t for t in self._threads if t.is_alive()} | {thread}
        thread.start()
        return update

    def update(self, pipeline_id: str, update_id: str) -> Update:
        pipeline = self.get(pipeline_id)
        found = next((u for u in pipeline.updates if u.update_id == update_id), None)
        if found is None:
            raise ResourceDoesNotExist(f"Update {update_id} does not exist for pipeline {pipeline_id}.")
        return found

    def stop(self, pipeline_id: str) -> None:
        """Asynchronous, like Databricks: the update goes STOPPING, then CANCELED."""
        update = self.get(pipeline_id).active_update
        if update is not None:
            self._request_stop(update)

    def _request_stop(self, update: Update) -> None:
        with self._lock:
            if not update.active or update.stop.is_set():
                return
            update.stop.set()
            handle = update.handle
        self._set(update, "STOPPING")
        if handle is not None:
            handle.stop()

    # -- the driver thread -------------------------------------------------------------------

    def _event(self, update: Update, event_type: str, message: str, **kwargs) -> None:
        update.pipeline.events.add(event_type, message, now_ms=now_ms(), update_id=update.update_id,
                                   cluster_id=update.pipeline.cluster_id, **kwargs)

    def _announce(self, update: Update) -> None:
        self._event(update, "update_progress", f"Update {update.update_id[:6]} is {update.state}.",
                    details={"update_progress": {"state": update.state}})

    def _set(self, update: Update, state: str, error: Optional[str] = None) -> bool:
        """Move the update on (never out of a terminal state); False when it had ended."""
        with self._lock:
            if update.state in TERMINAL or update.state == state:
                return update.state == state
            if update.state == "STOPPING" and state not in TERMINAL:
                return True   # a stop was asked: engine progress no longer shows
            update.state, update.error = state, error
            if state == "FAILED":
                update.pipeline.cause = error
        if state == "FAILED":
            self._event(update, "update_progress", f"Update {update.update_id[:6]} is FAILED.", level="ERROR",
                        details={"update_progress": {"state": "FAILED"}},
                        error={"exceptions": [_exception(error or "")], "fatal": True})
        else:
            self._announce(update)
        return True

    def _drive(self, update: Update) -> None:
        try:
            self._walk(update)
        except Exception as exc:  # noqa: BLE001 - a bug here must still end the update
            self._set(update, "FAILED", f"localspace internal error: {type(exc).__name__}: {exc}")

    def _walk(self, update: Update) -> None:
        for state in ("CREATED", "WAITING_FOR_RESOURCES"):
            if update.stop.is_set():
                return self._set(update, "CANCELED")
            self._set(update, state)
        delay = 0.0 if update.spec.get("serverless") else self.config.cluster_start
        if update.stuck:
            delay = float("inf")
        if update.stop.wait(min(delay, 10 ** 6)) or self._closing.is_set():
            return self._set(update, "CANCELED")
        self._set(update, "INITIALIZING")
        if update.fail_message:
            return self._set(update, "FAILED", update.fail_message)
        try:
            sources = self._sources(update.spec)
        except InvalidParameterValue as err:
            return self._set(update, "FAILED", err.message)
        task = self._task(update, sources)
        with self._lock:
            if update.stop.is_set():
                return self._set(update, "CANCELED")
            update.handle = self.engine.start_pipeline(task)
        while True:
            result = update.handle.result(timeout=0.5)
            if result is not None:
                return self._set(update, result.state, result.error)
            if update.stop.is_set() and not self._wait_ended(update, STOP_GRACE, handle_only=True):
                return self._set(update, "CANCELED")

    def _wait_ended(self, update: Update, timeout: float, handle_only: bool = False) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            handle = update.handle
            if handle_only and handle is not None:
                result = handle.result(timeout=0.2)
                if result is not None:
                    self._set(update, result.state, result.error)
                    return True
            elif not update.active:
                return True
            else:
                time.sleep(0.05)
        return False

    def _task(self, update: Update, sources: list[PipelineSource]) -> PipelineUpdateTask:
        pipeline = update.pipeline
        catalog, schema = settings.dataset_namespace(update.spec)

        def emit(event_type: str, message: str, **kwargs) -> None:
            self._event(update, event_type, message, **kwargs)

        def tables(names: list[str]) -> None:
            pipeline.tables.update(names)

        return PipelineUpdateTask(
            pipeline_id=pipeline.pipeline_id, update_id=update.update_id, catalog=catalog, schema=schema,
            sources=sources, configuration=dict(update.spec.get("configuration") or {}),
            continuous=bool(update.spec.get("continuous")), full_refresh=update.full_refresh,
            storage=self.storage(pipeline), emit=emit, set_state=lambda s: self._set(update, s), tables=tables)

    def _sources(self, spec: dict) -> list[PipelineSource]:
        """Every library's source text, in the spec's order (a glob's matches sorted by path)."""
        paths: list[str] = []
        for library in spec.get("libraries") or []:
            (kind, value), = library.items()
            paths.extend(self._glob(value["include"]) if kind == "glob" else [value["path"]])
        sources = []
        for path in dict.fromkeys(paths):
            info = self.workspace.info(path)
            if info is None:
                raise InvalidParameterValue(f"The library at path {path} does not exist.")
            local = self.paths.workspace(info.path)
            text = local.read_text(encoding="utf-8")
            if info.object_type == "NOTEBOOK":
                language = info.language or "PYTHON"
            else:
                language = {".py": "PYTHON", ".sql": "SQL"}.get(local.suffix.lower())
                if language is None:
                    raise InvalidParameterValue(f"The file {path} is neither Python (.py) nor SQL (.sql).")
            if language not in ("PYTHON", "SQL"):
                raise InvalidParameterValue(settings.not_emulated(f"{language.title()} pipeline sources").message)
            sources.append(PipelineSource(info.path, language, text))
        return sources

    def close(self) -> None:
        self._closing.set()
        with self._lock:
            updates = [u for p in self._pipelines.values() for u in p.updates if u.active]
            threads = list(self._threads)
        for update in updates:
            self._request_stop(update)
        for thread in threads:
            thread.join(timeout=STOP_GRACE)

    def count_pipelines(self) -> int:
        with self._lock:
            return len(self._pipelines)

    def count_active(self) -> int:
        with self._lock:
            return sum(1 for p in self._pipelines.values() if p.active_update is not None)


def _exception(message: str) -> dict:
    """The event log's SerializedException: the user's exception class (when the one-line
    error starts with one) and the whole line as the message."""
    head, sep, _rest = message.partition(": ")
    named = sep and head.replace(".", "").replace("_", "").isalnum()
    return {"class_name": head if named else "", "message": message}
