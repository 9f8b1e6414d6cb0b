"""``from databricks.sdk.runtime import spark, dbutils`` in a notebook or a module it imports.

The SDK documents this import ("Interaction with dbutils",
https://databricks-sdk-py.readthedocs.io/en/latest/dbutils.html); on a cluster its
``databricks/sdk/runtime/__init__.py`` takes the names from the notebook's namespace
(``dbruntime.UserNamespaceInitializer``), so a helper module's ``spark`` is the notebook's
session and its ``dbutils`` the notebook's widgets, secrets and files. Both engines hand each
run a module of that name (fileopen.notebook_builtins) whose names are read from the run's own
namespace, so two runs in one process never see each other's.
"""
from __future__ import annotations

import types

NAME = "databricks.sdk.runtime"
# The SDK's dbruntime_objects: what it takes from the notebook's namespace.
NAMES = ("display", "displayHTML", "dbutils", "table", "sql", "udf", "getArgument", "sc",
         "sqlContext", "spark")


def sdk_runtime(namespace: dict) -> types.ModuleType:
    """The module for the run whose globals are ``namespace`` (read at each import)."""
    module = types.ModuleType(NAME, __doc__)
    module.__all__ = list(NAMES)

    def __getattr__(name: str):
        if name == "udf":
            from pyspark.sql.functions import udf
            return udf
        if name in ("sql", "table"):
            return getattr(namespace["spark"], name)
        if name in NAMES:
            return namespace[name]
        raise AttributeError(f"module '{NAME}' has no attribute '{name}'")

    module.__getattr__ = __getattr__
    return module
