"""Checking and completing JobSettings the way jobs/create, update and reset do.

Kept out of models.py so the run life cycle reads on its own: this module only knows what
a well-formed job definition is, what Databricks fills in, and how update merges.
"""
from __future__ import annotations

import copy
import re
from typing import Any, Optional

from localspace.errors import ClusterDoesNotExist, InvalidParameterValue
from localspace.jobs.jobschema import check_schema

MAX_TAGS = 25              # "A maximum of 25 tags can be added to the job" (SDK jobs.JobSettings.tags)
# Job tags "are subject to the same limitations as cluster tags" (same docstring); cluster tag
# keys are 1-127 characters and values at most 255 (Databricks docs, "Monitor usage using tags").
MAX_TAG_KEY, MAX_TAG_VALUE = 127, 255
COMPUTE = ("job_cluster_key", "new_cluster", "existing_cluster_id", "environment_key")
NEEDS_COMPUTE = ("notebook_task", "spark_python_task", "python_wheel_task", "spark_jar_task",
                 "spark_submit_task")
# The exact text Databricks answers for a task without compute where serverless jobs compute
# is off (quoted in databricks/cli#1039 for runs/submit, terraform-provider-databricks#3414 for create).
NO_COMPUTE = "One of job_cluster_key, new_cluster, or existing_cluster_id must be specified."
_KEYED_ARRAYS = {"tasks": "task_key", "job_clusters": "job_cluster_key",
                 "environments": "environment_key", "parameters": "name"}


def check_tasks(tasks: Any, *, where: str = "tasks") -> list[dict]:
    if not isinstance(tasks, list) or not tasks:
        raise InvalidParameterValue(f"At least one task is required ({where}).")
    keys = set()
    for task in tasks:
        if not isinstance(task, dict):
            raise InvalidParameterValue(f"Each element of {where} must be an object.")
        key = task.get("task_key")
        if not isinstance(key, str) or not key:
            raise InvalidParameterValue("Missing required field: task_key")
        if not re.fullmatch(r"[\w\-]{1,100}", key):
            raise InvalidParameterValue(f"Invalid task_key {key!r}: use letters, digits, - and _.")
        if key in keys:
            raise InvalidParameterValue(f"Task key {key} is not unique.")
        keys.add(key)
        notebook = task.get("notebook_task")
        if notebook is not None:
            path = notebook.get("notebook_path") if isinstance(notebook, dict) else None
            if not isinstance(path, str) or not path:
                raise InvalidParameterValue(f"Missing required field: notebook_task.notebook_path (task {key})")
            if notebook.get("source", "WORKSPACE") == "WORKSPACE" and not path.startswith("/"):
                raise InvalidParameterValue(f"The notebook path must be absolute: {path} (task {key})")
            params = notebook.get("base_parameters", {})
            if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
                raise InvalidParameterValue(f"base_parameters must map names to strings (task {key})")
    for task in tasks:
        for dep in task.get("depends_on") or []:
            if not isinstance(dep, dict) or dep.get("task_key") not in keys:
                raise InvalidParameterValue(
                    f"Task {task['task_key']} depends on {dep.get('task_key') if isinstance(dep, dict) else dep}, "
                    "which is not a task of this job.")
    _check_acyclic(tasks)
    return tasks


def _check_acyclic(tasks: list[dict]) -> None:
    deps = {t["task_key"]: [d["task_key"] for d in t.get("depends_on") or []] for t in tasks}
    done: set[str] = set()
    while len(done) < len(deps):
        ready = [k for k, ds in deps.items() if k not in done and all(d in done for d in ds)]
        if not ready:
            raise InvalidParameterValue("The task dependencies form a cycle.")
        done.update(ready)


class JobRules:
    """What this workspace accepts as a job: JobSettings' schema, then the rules a schema cannot
    say (keys that refer to each other, compute per task, clusters that exist)."""

    def __init__(self, serverless: bool, clusters):
        self.serverless = serverless
        self.clusters = clusters

    def check(self, settings: Any, api_version: str) -> dict:
        """A complete copy of ``settings`` (defaults filled in), or 400 with Databricks' reason."""
        if not isinstance(settings, dict):
            raise InvalidParameterValue("Job settings must be an object.")
        check_schema(settings)
        settings = check_settings(settings, api_version)
        self._check_compute(settings)
        return settings

    def _check_compute(self, settings: dict) -> None:
        job_clusters = _unique_keys(settings.get("job_clusters"), "job_cluster_key", "Job cluster key")
        environments = _unique_keys(settings.get("environments"), "environment_key", "Environment key")
        for task in settings["tasks"]:
            key, chosen = task["task_key"], [k for k in COMPUTE if task.get(k)]
            if len(chosen) > 1:
                raise InvalidParameterValue(f"Task {key} may name only one of {', '.join(COMPUTE)}; "
                                            f"it names {' and '.join(chosen)}.")
            if not chosen:
                if any(kind in task for kind in NEEDS_COMPUTE) and not self.serverless:
                    raise InvalidParameterValue(NO_COMPUTE)
                continue
            kind, value = chosen[0], task[chosen[0]]
            if kind == "job_cluster_key" and value not in job_clusters:
                raise InvalidParameterValue(f"Task {key} refers to job cluster {value}, which is not "
                                            "defined in job_clusters.")
            if kind == "environment_key":
                if value not in environments:
                    raise InvalidParameterValue(f"Task {key} refers to environment {value}, which is "
                                                "not defined in environments.")
                if not self.serverless:
                    raise InvalidParameterValue(NO_COMPUTE)
            if kind == "existing_cluster_id" and not self.clusters.exists(value):
                raise ClusterDoesNotExist(f"Cluster {value} does not exist")


def _unique_keys(items: Any, name: str, label: str) -> set:
    keys: set = set()
    for item in items or []:
        key = item.get(name) if isinstance(item, dict) else None
        if key in keys:
            raise InvalidParameterValue(f"{label} {key} is not unique.")
        keys.add(key)
    return keys


def check_settings(settings: dict, api_version: str) -> dict:
    """A complete copy of ``settings`` with the defaults a real jobs/get shows."""
    settings = copy.deepcopy(settings)
    check_tasks(settings.get("tasks"))
    tags = settings.get("tags") or {}
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise InvalidParameterValue("tags must map names to strings.")
    if len(tags) > MAX_TAGS:
        raise InvalidParameterValue(f"A job may have at most {MAX_TAGS} tags.")
    for name, value in tags.items():
        if not 1 <= len(name) <= MAX_TAG_KEY:
            raise InvalidParameterValue(f"Tag keys must be between 1 and {MAX_TAG_KEY} characters; "
                                        f"{name[:20]}... has {len(name)}.")
        if len(value) > MAX_TAG_VALUE:
            raise InvalidParameterValue(f"The value of tag {name} must be at most {MAX_TAG_VALUE} characters.")
    for field in ("timeout_seconds", "max_concurrent_runs"):
        value = settings.get(field)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise InvalidParameterValue(f"{field} must be a non-negative integer.")
    for param in settings.get("parameters") or []:
        if not isinstance(param, dict) or not param.get("name") or not isinstance(param.get("default"), str):
            raise InvalidParameterValue("Each job parameter needs a name and a string default.")
    settings.setdefault("name", "Untitled")
    settings.setdefault("email_notifications", {})
    settings.setdefault("webhook_notifications", {})
    settings.setdefault("timeout_seconds", 0)
    settings.setdefault("max_concurrent_runs", 1)
    settings.setdefault("format", "MULTI_TASK")
    if api_version == "2.2":
        settings.setdefault("queue", {"enabled": True})
    for task in settings.get("tasks") or []:
        task.setdefault("run_if", "ALL_SUCCESS")
        task.setdefault("timeout_seconds", 0)
        task.setdefault("email_notifications", {})
        if isinstance(task.get("notebook_task"), dict):
            task["notebook_task"].setdefault("source", "WORKSPACE")
    return settings


_TASK_FIELDS = ("existing_cluster_id", "new_cluster", "libraries", "max_retries", "min_retry_interval_millis",
                "retry_on_timeout")


def single_task(body: dict) -> dict:
    """Jobs API 2.0 (what databricks-cli 0.18 speaks without ``--version=2.1``) defines a job or
    a one-time run as one task at the top level: ``notebook_task`` beside ``existing_cluster_id``
    or ``new_cluster``. Seen as 2.1, that is a job of one task named ``task``."""
    if not isinstance(body, dict) or body.get("tasks") is not None:
        return body
    kinds = [k for k in body if k.endswith("_task")]
    if not kinds:
        return body
    moved = set(kinds) | {k for k in _TASK_FIELDS if k in body}
    task = {"task_key": "task", **{k: body[k] for k in body if k in moved}}
    return {**{k: v for k, v in body.items() if k not in moved}, "tasks": [task]}


def merge_update(current: dict, new_settings: Optional[dict], fields_to_remove: Optional[list]) -> dict:
    """jobs/update: top-level fields are replaced, except keyed arrays (tasks, job_clusters,
    ...) which merge element by element on their key; ``fields_to_remove`` names top-level
    fields or ``tasks/<task_key>``-style elements."""
    merged = copy.deepcopy(current)
    for name, value in (new_settings or {}).items():
        key = _KEYED_ARRAYS.get(name)
        if key and isinstance(value, list) and isinstance(merged.get(name), list):
            by_key = {item.get(key): item for item in merged[name]}
            for item in value:
                by_key[item.get(key)] = copy.deepcopy(item)
            merged[name] = list(by_key.values())
        else:
            merged[name] = copy.deepcopy(value)
    for field in fields_to_remove or []:
        array, _, element = str(field).partition("/")
        if element and array in _KEYED_ARRAYS:
            merged[array] = [i for i in merged.get(array, []) if i.get(_KEYED_ARRAYS[array]) != element]
        else:
            merged.pop(array, None)
    return merged
