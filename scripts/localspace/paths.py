"""The one place that maps Databricks paths to folders under the emulator's root.

Databricks has three storage namespaces a pipeline touches: the workspace tree
(``/Workspace/...``, also addressed without the prefix by the Workspace API), Unity Catalog
volumes (``/Volumes/<catalog>/<schema>/<volume>/...``) and DBFS (``dbfs:/...``, ``/dbfs/...``).
Each maps to one folder under ``--root`` so notebooks can ``open()`` them and tests can look.
"""
from __future__ import annotations

import posixpath
from pathlib import Path


# Cloud object storage a Databricks cluster reads directly; localspace has no cloud account
# behind it, so these are refused in one line (dbutils.fs, CloudStorageNotEmulated.java).
CLOUD_SCHEMES = ("s3", "s3a", "s3n", "abfs", "abfss", "wasb", "wasbs", "adl", "gs", "r2")


def cloud_storage_refusal(path: str) -> str:
    return (f"localspace does not emulate cloud object storage ({path}): land the files in a volume, "
            "/Volumes/<catalog>/<schema>/<volume>/..., and point the notebook's path setting there "
            "(README section 'What each engine does')")


class PathOutsideRoot(ValueError):
    """A path that would escape its namespace (``..`` above the top)."""


class Paths:
    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()
        self.workspace_root = self.root / "workspace"
        self.volumes_root = self.root / "volumes"
        self.dbfs_root = self.root / "dbfs"
        for folder in (self.workspace_root, self.volumes_root, self.dbfs_root):
            folder.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _clean(path: str) -> str:
        normal = posixpath.normpath("/" + path.lstrip("/"))
        if normal.startswith("/.."):
            raise PathOutsideRoot(path)
        return normal

    @staticmethod
    def workspace_path(path: str) -> str:
        """Canonical workspace path without the /Workspace prefix: '/Shared/x'."""
        normal = Paths._clean(path)
        if normal == "/Workspace":
            return "/"
        if normal.startswith("/Workspace/"):
            normal = normal[len("/Workspace"):]
        return normal

    def workspace(self, path: str) -> Path:
        return self.workspace_root / self.workspace_path(path).lstrip("/")

    def volume(self, path: str) -> Path:
        normal = self._clean(path)
        if not (normal == "/Volumes" or normal.startswith("/Volumes/")):
            raise PathOutsideRoot(path)
        return self.volumes_root / normal[len("/Volumes"):].lstrip("/")

    def dbfs(self, path: str) -> Path:
        if path.startswith("dbfs:"):
            path = path[len("dbfs:"):]
        normal = self._clean(path)
        if normal == "/dbfs" or normal.startswith("/dbfs/"):
            normal = normal[len("/dbfs"):] or "/"
        return self.dbfs_root / normal.lstrip("/")

    def local(self, path: str) -> Path:
        """Any Databricks path a notebook may use, as a local path under the root."""
        if path.startswith("dbfs:/Volumes"):  # volumes are also addressed through DBFS
            path = path[len("dbfs:"):]
        if path.startswith("dbfs:") or path == "/dbfs" or path.startswith("/dbfs/"):
            return self.dbfs(path)
        if path == "/Volumes" or path.startswith("/Volumes/"):
            return self.volume(path)
        if path == "/Workspace" or path.startswith("/Workspace/"):
            return self.workspace(path)
        # Bare paths are DBFS paths on Databricks (dbutils.fs.ls("/tmp") means dbfs:/tmp).
        return self.dbfs(path)
