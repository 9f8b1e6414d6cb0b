"""Helpers for the localspace tests: an SDK client on the emulator, notebooks (and the one
condition wait, re-exported from waiting.py for these tests)."""
from __future__ import annotations

import base64

from databricks.sdk import WorkspaceClient
from databricks.sdk.service import catalog as catalog_service
from databricks.sdk.service import jobs as jobs_service
from databricks.sdk.service import workspace as ws_service

from waiting import wait_until  # noqa: F401 (the tests import it from here)

LOOP_FOREVER = """# Databricks notebook source
import time
dbutils.widgets.text("env", "none")
print("started", dbutils.widgets.get("env"))

# COMMAND ----------

while True:
    time.sleep(0.05)
"""

EXIT_WITH = """# Databricks notebook source
import json
dbutils.widgets.text("iteration", "0")

# COMMAND ----------

dbutils.notebook.exit(json.dumps({"status": "ok", "iteration": dbutils.widgets.get("iteration")}))
"""

RAISES = """# Databricks notebook source
print("about to fail")

# COMMAND ----------

raise ValueError("bronze is empty")
"""


def one_task(path: str = "/Shared/st/validate") -> list[jobs_service.Task]:
    """The smallest job a workspace accepts: one notebook task (a job needs a task)."""
    return [jobs_service.Task(task_key="t", notebook_task=jobs_service.NotebookTask(notebook_path=path))]


def client(server, token: str, **kwargs) -> WorkspaceClient:
    """The official SDK pointed at the emulator with a PAT (nothing read from the environment)."""
    return WorkspaceClient(host=server.url, token=token, auth_type="pat", **kwargs)


def make_volume(w: WorkspaceClient, full_name: str) -> None:
    """Create catalog, schema and volume through the Unity Catalog API, as a user would
    before writing files into it; parts that exist already are kept."""
    catalog, schema, volume = full_name.split(".")
    if catalog not in {c.name for c in w.catalogs.list()}:
        w.catalogs.create(catalog)
    if schema not in {s.name for s in w.schemas.list(catalog)}:
        w.schemas.create(schema, catalog)
    w.volumes.create(catalog, schema, volume, catalog_service.VolumeType.MANAGED)


def import_notebook(w: WorkspaceClient, path: str, source: str) -> None:
    w.workspace.mkdirs(path.rsplit("/", 1)[0])
    w.workspace.import_(path, content=base64.b64encode(source.encode()).decode(),
                        format=ws_service.ImportFormat.SOURCE, language=ws_service.Language.PYTHON,
                        overwrite=True)


def life(w: WorkspaceClient, run_id: int) -> str:
    return w.jobs.get_run(run_id).state.life_cycle_state.value
