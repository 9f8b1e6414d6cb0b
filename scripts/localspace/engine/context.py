"""The notebook context a run can read: ``dbutils.notebook.entry_point.getDbutils().notebook()
.getContext()`` and the ``spark.databricks.clusterUsageTags.*`` settings.

On Databricks the context is a Scala object reached through Py4J, so its getters answer Scala
``Option`` values (``notebookPath().get()``, ``tags().get("jobId").isDefined()``) and its
``tags()`` a Scala ``Map``. It is not in the Databricks docs; what pipelines (and mlflow's
``databricks_utils``, its best-known reader) call is: ``notebookPath``, ``currentRunId``,
``rootRunId``, ``tags`` (``jobId``, ``runId``, ``multitaskParentRunId``, ``jobName``,
``taskKey``, ``clusterId``, ``clusterName``, ``user``, ``browserHostName``, ``orgId``),
``extraContext`` (``notebook_path``, ``api_url``), ``apiUrl``, ``apiToken``, ``userName``,
``clusterId`` and ``toJson``. The same shapes are answered here from the run's
``RunContext``. The token is the run's own (issued by the emulator for this run); it is never
part of ``toJson``, ``repr`` or any message.
"""
from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, Optional

# The workspace (org) id localspace reports; any number is fine, one is needed.
ORG_ID = "1234567890123456"


@dataclass
class RunContext:
    """What the jobs room knows about a task run, for the notebook's context."""

    job_id: int = 0
    job_run_id: int = 0              # the job run (multitaskParentRunId)
    run_id: int = 0                  # this task's run (currentRunId)
    job_name: str = ""
    task_key: str = ""
    cluster_id: str = ""
    cluster_name: str = ""
    api_url: str = ""
    api_token: str = ""
    user: str = "localspace-user@example.com"

    def __repr__(self) -> str:  # the token stays out of every printed form
        return f"RunContext(job_id={self.job_id}, run_id={self.run_id}, task_key={self.task_key!r})"


class ScalaOption:
    """A Scala ``Option`` as Py4J hands it to Python: ``get()`` raises on None."""

    def __init__(self, value: Any):
        self._value = value

    def get(self):
        if self._value is None:
            raise ValueError("None.get")  # Scala's NoSuchElementException text
        return self._value

    def isDefined(self) -> bool:
        return self._value is not None

    def isEmpty(self) -> bool:
        return self._value is None

    def nonEmpty(self) -> bool:
        return self._value is not None

    def getOrElse(self, default):
        return default if self._value is None else self._value

    def toString(self) -> str:
        return "None" if self._value is None else f"Some({self._value})"

    __str__ = toString

    def __repr__(self) -> str:
        return "Some(...)" if self._value is not None else "None"


class ScalaMap:
    """A Scala ``Map[String, String]``: ``apply(k)``, ``get(k)`` (an Option), ``contains(k)``."""

    def __init__(self, values: dict[str, str]):
        self._values = dict(values)

    def apply(self, key: str) -> str:
        if key not in self._values:
            raise KeyError(f"key not found: {key}")
        return self._values[key]

    def get(self, key: str) -> ScalaOption:
        return ScalaOption(self._values.get(key))

    def getOrElse(self, key: str, default):
        return self._values.get(key, default)

    def contains(self, key: str) -> bool:
        return key in self._values

    def keys(self):
        return list(self._values)

    def size(self) -> int:
        return len(self._values)

    def toString(self) -> str:
        return "Map(" + ", ".join(f"{k} -> {v}" for k, v in self._values.items()) + ")"

    __str__ = toString


class RunId:
    """``currentRunId().get()``: prints as ``RunId(123)``, ``id()`` is the number."""

    def __init__(self, value: int):
        self._id = int(value)

    def id(self) -> int:
        return self._id

    def toString(self) -> str:
        return f"RunId({self._id})"

    __str__ = __repr__ = toString


class NotebookContext:
    """``getContext()`` of one run."""

    def __init__(self, notebook_path: str, run: RunContext):
        self._path = notebook_path
        self._run = run

    def _tags(self) -> dict[str, str]:
        run = self._run
        tags = {"jobId": str(run.job_id), "runId": str(run.run_id),
                "multitaskParentRunId": str(run.job_run_id), "jobName": run.job_name,
                "taskKey": run.task_key, "clusterId": run.cluster_id, "clusterName": run.cluster_name,
                "user": run.user, "browserHostName": run.api_url.split("//", 1)[-1], "orgId": ORG_ID,
                "jobType": "NORMAL", "jobTriggerType": "manual"}
        return {k: v for k, v in tags.items() if v and v != "0"}

    def _extra(self) -> dict[str, str]:
        return {"notebook_path": self._path, "api_url": self._run.api_url}

    def notebookPath(self) -> ScalaOption:
        return ScalaOption(self._path)

    def currentRunId(self) -> ScalaOption:
        return ScalaOption(RunId(self._run.run_id) if self._run.run_id else None)

    def rootRunId(self) -> ScalaOption:
        return ScalaOption(RunId(self._run.job_run_id) if self._run.job_run_id else None)

    def tags(self) -> ScalaMap:
        return ScalaMap(self._tags())

    def extraContext(self) -> ScalaMap:
        return ScalaMap(self._extra())

    def apiUrl(self) -> ScalaOption:
        return ScalaOption(self._run.api_url or None)

    def apiToken(self) -> ScalaOption:
        return ScalaOption(self._run.api_token or None)

    def browserHostName(self) -> ScalaOption:
        return ScalaOption(self._tags().get("browserHostName"))

    def userName(self) -> ScalaOption:
        return ScalaOption(self._run.user)

    def clusterId(self) -> ScalaOption:
        return ScalaOption(self._run.cluster_id or None)

    def notebookId(self) -> ScalaOption:
        return ScalaOption(None)

    def workspaceId(self) -> ScalaOption:
        return ScalaOption(ORG_ID)

    def toJson(self) -> str:
        """The context as JSON, without the token."""
        run_id = {"id": self._run.run_id} if self._run.run_id else None
        root = {"id": self._run.job_run_id} if self._run.job_run_id else None
        return json.dumps({"rootRunId": root, "currentRunId": run_id, "tags": self._tags(),
                           "extraContext": self._extra()})

    def __repr__(self) -> str:
        return f"NotebookContext({self._path})"


class EntryPoint:
    """``dbutils.notebook.entry_point``: ``getDbutils().notebook().getContext()`` and
    ``getCurrentBindings()`` (the run's widget values)."""

    def __init__(self, context: NotebookContext, bindings):
        self._context = context
        self._bindings = bindings

    def getDbutils(self) -> "EntryPoint":
        return self

    def notebook(self) -> "EntryPoint":
        return self

    def getContext(self) -> NotebookContext:
        return self._context

    def getCurrentBindings(self) -> dict[str, str]:
        return self._bindings()


def cluster_conf(run: RunContext, spark_version: str) -> dict[str, str]:
    """``spark.databricks.clusterUsageTags.*`` and ``spark.databricks.workspaceUrl`` as a
    Databricks driver's conf has them (notebooks read them to log where they ran or to build
    links: the workspace's host without a scheme, the org id, the runtime's key)."""
    if not run.cluster_id:
        return {}
    tags = "spark.databricks.clusterUsageTags."
    conf = {tags + "clusterId": run.cluster_id, tags + "clusterName": run.cluster_name,
            tags + "orgId": ORG_ID, tags + "clusterOwnerOrgId": ORG_ID}
    if spark_version:
        conf[tags + "sparkVersion"] = spark_version
    if run.api_url:
        conf["spark.databricks.workspaceUrl"] = urllib.parse.urlsplit(run.api_url).netloc
    return conf


def runtime_environ(spark_version: str) -> dict[str, str]:
    """The environment variable a Databricks cluster's driver has for its runtime
    (``DATABRICKS_RUNTIME_VERSION=15.4`` on 15.4.x-scala2.12), by which code tells that it runs
    on Databricks; none for serverless, whose runtime key localspace does not know."""
    found = re.match(r"(\d+\.\d+)\.", spark_version or "")
    return {"DATABRICKS_RUNTIME_VERSION": found[1]} if found else {}


def context_from(data: Optional[dict]) -> RunContext:
    """A RunContext from its fields (as the python engine's child receives them)."""
    return RunContext(**(data or {}))
