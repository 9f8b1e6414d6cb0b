"""The workspace tree: notebooks, files and folders under ``root/workspace``.

Content lives on disk (a notebook is its source text, first line ``# Databricks notebook
source``), so engines read what was imported. Whether a file is a notebook is remembered in
memory for what was imported here; for files found on disk (a ``--root`` reused across
restarts) a header line and no extension mean a notebook.
Paths are accepted with and without the ``/Workspace`` prefix and answered without it.
"""
from __future__ import annotations

import itertools
import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from localspace.errors import (DirectoryNotEmpty, InvalidParameterValue, ResourceAlreadyExists,
                               ResourceDoesNotExist)
from localspace.paths import PathOutsideRoot, Paths

# First line of a notebook in source format, per language; the file extension AUTO drops.
HEADERS = {
    "PYTHON": ("# Databricks notebook source", ".py"),
    "SQL": ("-- Databricks notebook source", ".sql"),
    "SCALA": ("// Databricks notebook source", ".scala"),
    "R": ("# Databricks notebook source", ".r"),
}
TOP_LEVEL = ("/Shared", "/Users")          # folders every workspace has; not leftovers


@dataclass
class ObjectInfo:
    path: str
    object_type: str                        # NOTEBOOK | DIRECTORY | FILE
    object_id: int
    language: Optional[str] = None
    size: Optional[int] = None
    modified_at: int = 0
    created_at: int = 0

    def to_dict(self) -> dict:
        out = {"path": self.path, "object_type": self.object_type, "object_id": self.object_id,
               "resource_id": str(self.object_id)}
        if self.language:
            out["language"] = self.language
        if self.object_type != "DIRECTORY":
            out["size"] = self.size
            out["created_at"] = self.created_at
            out["modified_at"] = self.modified_at
        return out


class WorkspaceModel:
    def __init__(self, paths: Paths):
        self.paths = paths
        self._ids: dict[str, int] = {}
        self._languages: dict[str, Optional[str]] = {}   # canonical path -> notebook language or None
        self._counter = itertools.count(1_000_000_001)
        self._lock = threading.RLock()
        for top in TOP_LEVEL:
            self.paths.workspace(top).mkdir(parents=True, exist_ok=True)

    # -- lookups ---------------------------------------------------------------------------

    def canonical(self, path: Optional[str]) -> str:
        if not path or not path.startswith("/"):
            raise InvalidParameterValue(f"Path ({path}) is not absolute.")
        try:
            return Paths.workspace_path(path)
        except PathOutsideRoot:
            raise InvalidParameterValue(f"Path ({path}) is not valid.") from None

    def _local(self, canonical: str) -> Path:
        return self.paths.workspace(canonical)

    def _object_id(self, canonical: str) -> int:
        with self._lock:
            if canonical not in self._ids:
                self._ids[canonical] = next(self._counter)
            return self._ids[canonical]

    def info(self, path: str) -> Optional[ObjectInfo]:
        canonical = self.canonical(path)
        local = self._local(canonical)
        if local.is_dir():
            return ObjectInfo(canonical, "DIRECTORY", self._object_id(canonical))
        if not local.is_file():
            return None
        stat = local.stat()
        if canonical in self._languages:
            language = self._languages[canonical]
        else:
            language = notebook_language(local) if not local.suffix else None
        return ObjectInfo(canonical, "NOTEBOOK" if language else "FILE", self._object_id(canonical),
                          language=language, size=stat.st_size,
                          created_at=int(stat.st_ctime * 1000), modified_at=int(stat.st_mtime * 1000))

    def get_status(self, path: str) -> ObjectInfo:
        found = self.info(path)
        if found is None:
            raise ResourceDoesNotExist(f"Path ({self.canonical(path)}) doesn't exist.")
        return found

    def list(self, path: str) -> list[ObjectInfo]:
        found = self.get_status(path)
        if found.object_type != "DIRECTORY":
            return [found]
        local = self._local(found.path)
        children = (found.path.rstrip("/") + "/" + child.name for child in sorted(local.iterdir()))
        return [info for info in map(self.info, children) if info is not None]

    def read_notebook(self, path: str) -> str:
        """The engine's way in (engine.base.NotebookReader): source text, or KeyError."""
        try:
            found = self.info(path)
        except InvalidParameterValue:
            raise KeyError(path) from None
        if found is None or found.object_type != "NOTEBOOK":
            raise KeyError(path)
        return self._local(found.path).read_text(encoding="utf-8")

    # -- changes ---------------------------------------------------------------------------

    def mkdirs(self, path: str) -> None:
        canonical = self.canonical(path)
        with self._lock:
            probe = canonical
            while probe != "/":
                if self._local(probe).is_file():
                    raise ResourceAlreadyExists(f"Cannot create directory {canonical}: {probe} is not a directory.")
                probe = probe.rsplit("/", 1)[0] or "/"
            self._local(canonical).mkdir(parents=True, exist_ok=True)

    def import_(self, path: str, content: bytes, fmt: str, language: Optional[str], overwrite: bool) -> ObjectInfo:
        canonical = self.canonical(path)
        fmt = (fmt or "SOURCE").upper()
        if fmt == "SOURCE":
            language = (language or "").upper()
            target, data = canonical, _as_notebook(content, language, canonical)
        elif fmt == "AUTO":
            target, data, language = _auto(canonical, content)
        elif fmt == "JUPYTER":
            target, data, language = _strip(canonical, ".ipynb"), *from_jupyter(content, canonical)
        elif fmt == "RAW":
            target, data, language = canonical, content, None
        else:
            raise InvalidParameterValue(f"Import format {fmt} is not supported by localspace "
                                        "(use SOURCE, AUTO, JUPYTER or RAW).")
        with self._lock:
            parent = target.rsplit("/", 1)[0] or "/"
            if not self._local(parent).is_dir():
                raise ResourceDoesNotExist(f"The parent folder ({parent}) does not exist.")
            local = self._local(target)
            if local.is_dir():
                raise ResourceAlreadyExists(f"Path ({target}) already exists.")
            if local.exists() and not overwrite:
                raise ResourceAlreadyExists(f"Path ({target}) already exists.")
            local.write_bytes(data)
            self._languages[target] = language
        return self.get_status(target)

    def export(self, path: str, fmt: str) -> tuple[bytes, ObjectInfo]:
        found = self.get_status(path)
        fmt = (fmt or "SOURCE").upper()
        if found.object_type == "DIRECTORY":
            raise InvalidParameterValue(f"Path ({found.path}) is a directory; localspace exports files and notebooks.")
        if fmt not in ("SOURCE", "AUTO", "RAW"):
            raise InvalidParameterValue(f"Export format {fmt} is not supported by localspace.")
        return self._local(found.path).read_bytes(), found

    def delete(self, path: str, recursive: bool) -> None:
        canonical = self.canonical(path)
        if canonical == "/" or canonical in TOP_LEVEL:
            raise InvalidParameterValue(f"Cannot delete {canonical}.")
        with self._lock:
            local = self._local(canonical)
            if local.is_dir():
                if any(local.iterdir()) and not recursive:
                    raise DirectoryNotEmpty(f"Folder ({canonical}) is not empty.")
                shutil.rmtree(local)
            elif local.is_file():
                local.unlink()
            else:
                raise ResourceDoesNotExist(f"Path ({canonical}) doesn't exist.")
            prefix = canonical + "/"
            for table in (self._ids, self._languages):
                for known in [p for p in table if p == canonical or p.startswith(prefix)]:
                    del table[known]

    def count_objects(self) -> int:
        """Objects anywhere in the tree except the built-in top-level folders."""
        tops = {self._local(t) for t in TOP_LEVEL}
        return sum(1 for p in self.paths.workspace_root.rglob("*") if p not in tops)


def notebook_language(local: Path) -> Optional[str]:
    try:
        with local.open("rb") as handle:
            first = handle.readline(128).decode("utf-8", "replace").strip()
    except OSError:
        return None
    for language, (header, _) in HEADERS.items():
        if first == header:
            return language
    return None


def _as_notebook(content: bytes, language: str, path: str) -> bytes:
    if language not in HEADERS:
        raise InvalidParameterValue(f"The language of {path} is required for format SOURCE "
                                    "(PYTHON, SQL, SCALA or R).")
    header = HEADERS[language][0]
    text = content.decode("utf-8", "replace")
    if text.split("\n", 1)[0].strip() != header:
        text = f"{header}\n{text}"
    return text.encode("utf-8")


def _auto(path: str, content: bytes) -> tuple[str, bytes, Optional[str]]:
    """AUTO: a source file whose first line is the notebook header, or a Jupyter ``.ipynb``,
    becomes a notebook named without its extension; anything else is kept as a file."""
    first = content.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    lower = path.lower()
    if lower.endswith(".ipynb"):
        return (_strip(path, ".ipynb"), *from_jupyter(content, path))
    for language, (header, extension) in HEADERS.items():
        if lower.endswith(extension) and first == header:
            return path[: -len(extension)], content, language
    return path, content, None


def _strip(path: str, extension: str) -> str:
    return path[: -len(extension)] if path.lower().endswith(extension) else path


def from_jupyter(content: bytes, path: str) -> tuple[bytes, str]:
    """A Jupyter notebook as source format (what engines read): code cells split by
    ``# COMMAND ----------``, markdown cells as ``%md`` magic; the language from its kernel."""
    try:
        notebook = json.loads(content)
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError):
        raise InvalidParameterValue(f"{path} is not a valid Jupyter notebook.") from None
    metadata = notebook.get("metadata") or {}
    kernel = ((metadata.get("language_info") or {}).get("name")
              or (metadata.get("kernelspec") or {}).get("language") or "python").upper()
    language = kernel if kernel in HEADERS else "PYTHON"
    prefix = "--" if language == "SQL" else "//" if language == "SCALA" else "#"
    blocks = []
    for cell in cells:
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "markdown":
            text = "\n".join([f"{prefix} MAGIC %md"] + [f"{prefix} MAGIC {line}" for line in text.splitlines()])
        elif cell.get("cell_type") != "code":
            continue
        blocks.append(text.rstrip("\n"))
    body = f"\n\n{prefix} COMMAND ----------\n\n".join(blocks)
    return f"{HEADERS[language][0]}\n{body}\n".encode("utf-8"), language
