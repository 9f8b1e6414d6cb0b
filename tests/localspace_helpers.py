"""Helpers for the localspace tests: an SDK client on the emulator, notebooks (and the one
condition wait, re-exported from waiting.py for these tests)."""
from __future__ import annotations

import base64

from databricks.sdk import WorkspaceClient
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


def client(server, token: str, **kwargs) -> WorkspaceClient:
    """The official SDK pointed at the emulator with a PAT (nothing read from the environment)."""
    return WorkspaceClient(host=server.url, token=token, auth_type="pat", **kwargs)


def import_notebook(w: WorkspaceClient, path: str, source: str) -> None:
    w.workspace.mkdirs(path.rsplit("/", 1)[0])
    w.workspace.import_(path, content=base64.b64encode(source.encode()).decode(),
                        format=ws_service.ImportFormat.SOURCE, language=ws_service.Language.PYTHON,
                        overwrite=True)


def life(w: WorkspaceClient, run_id: int) -> str:
    return w.jobs.get_run(run_id).state.life_cycle_state.value
