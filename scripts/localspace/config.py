"""What kind of workspace localspace pretends to be: one object, built once by the server.

A real workspace differs from another in what it has (clusters, SQL warehouses, catalogs)
and what it allows (serverless jobs compute). Rooms and engines read these facts from this
one object instead of taking a flag each, so ``serve --serverless off`` means the same to the
jobs room (tasks without compute are refused) and to an engine (serverless limits).
"""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CLUSTER = "localspace-all-purpose"   # the demo's DATABRICKS_CLUSTER_ID
DEFAULT_WAREHOUSE = "localspace"             # the example plans' default warehouse_id
DEFAULT_CATALOG = "main"                     # every Unity Catalog metastore has main.default
DEFAULT_SCHEMA = "default"


@dataclass(frozen=True)
class WorkspaceConfig:
    serverless: bool = True                  # serverless jobs compute enabled
    clusters: tuple[str, ...] = (DEFAULT_CLUSTER,)       # all-purpose cluster ids
    cluster_start: float = 0.0               # seconds from clusters/start to RUNNING
    warehouses: tuple[str, ...] = (DEFAULT_WAREHOUSE,)   # SQL warehouse ids
    warehouse_start: float = 0.0             # seconds from STARTING to RUNNING
    catalogs: tuple[str, ...] = ()           # catalogs that exist at start, besides main
