"""Databricks path and name rules, without any HTTP: where uploads may go, which workspace
folders are top-level (never ours to create or delete), which Unity Catalog names a
scratch namespace may have.

The plan checker refuses a deploy into a top-level folder; deploy and cleanup use ``depth``
to know which missing ancestors a run creates and may remove again.
"""
from __future__ import annotations

import re

UPLOAD_TARGETS = ("/Volumes/", "dbfs:/", "/Workspace/")  # where an upload step may write
# folders every workspace has; '/Workspace/...' and the legacy form without it name the same
TOP_LEVEL = ("/", "/Workspace", "/Workspace/Shared", "/Workspace/Users", "/Workspace/Repos",
             "/Shared", "/Users", "/Repos")


# a Unity Catalog name streamtest creates: usable unquoted in SQL (`dev.sbit_1.bronze`) and in
# /Volumes paths; Unity Catalog itself allows more, but a name that needs backticks would
# break every `${scratch.schema}` in a statement
UC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")


def workspace_relative(path: str) -> str:
    """'/Workspace/Shared/x' and '/Shared/x' name the same object: the form without the prefix."""
    if path == "/Workspace":
        return "/"
    return path[len("/Workspace"):] if path.startswith("/Workspace/") else path


def depth(path: str) -> int:
    """'/Shared/x' and '/Workspace/Shared/x' are both depth 2; top-level folders are depth <= 1."""
    return workspace_relative(path).rstrip("/").count("/")


def is_top_level(path: str) -> bool:
    """A folder every workspace has (or the root): deploying into it would mean deleting it."""
    return (path.rstrip("/") or "/") in TOP_LEVEL


def same_object(a: str, b: str) -> bool:
    return workspace_relative(a.rstrip("/")) == workspace_relative(b.rstrip("/"))


def upload_api(to: str) -> str:
    """Which API writes under ``to``: files (volumes), dbfs or workspace."""
    if to.startswith("/Volumes/"):
        return "files"
    if to.startswith("dbfs:/"):
        return "dbfs"
    return "workspace"
