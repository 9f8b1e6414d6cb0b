"""Volumes (Files API) and DBFS, both plain folders under the emulator's root.

The two APIs differ in how they speak (raw bytes and 404 NOT_FOUND / 409 ALREADY_EXISTS
for the Files API; base64 in JSON and RESOURCE_DOES_NOT_EXIST for DBFS), not in what they
store, so each gets a small model over ``Paths`` and nothing is cached in memory.
"""
from __future__ import annotations

import itertools
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from localspace.errors import (AlreadyExists, DirectoryNotEmpty, InvalidParameterValue,
                               MaxBlockSizeExceeded, NotFound, ResourceAlreadyExists,
                               ResourceDoesNotExist)
from localspace.paths import PathOutsideRoot, Paths
from localspace.unity import models as unity

MAX_BLOCK = 1024 * 1024


@dataclass
class Entry:
    path: str
    is_dir: bool
    size: int
    modified_ms: int


def _entry(path: str, local: Path) -> Entry:
    stat = local.stat()
    return Entry(path, local.is_dir(), 0 if local.is_dir() else stat.st_size, int(stat.st_mtime * 1000))


class VolumesModel:
    """Files API semantics: a volume path is /Volumes/<catalog>/<schema>/<volume>/...; the
    volume must exist (Unity Catalog, see unity/models.py) before anything is written in it,
    and inside it uploads create parent folders."""

    def __init__(self, paths: Paths):
        self.paths = paths

    def _local(self, path: str, *, file: bool = False) -> Path:
        if not path.startswith("/Volumes/"):
            raise InvalidParameterValue(f"Path {path} is not a Unity Catalog volume path (/Volumes/...).")
        depth = len([p for p in path.split("/") if p])
        if depth < (5 if file else 4):
            raise InvalidParameterValue(f"Path {path} must be inside a volume: /Volumes/<catalog>/<schema>/<volume>/...")
        try:
            return self.paths.volume(path)
        except PathOutsideRoot:
            raise InvalidParameterValue(f"Path {path} is not valid.") from None

    def _in_volume(self, path: str, *, file: bool = False) -> Path:
        """For writes: 404 NOT_FOUND when the catalog, schema or volume does not exist."""
        local = self._local(path, file=file)
        missing = unity.missing_volume(self.paths, path)
        if missing:
            raise NotFound(f"{missing} does not exist.")
        return local

    def upload(self, path: str, data: bytes, overwrite: bool) -> None:
        local = self._in_volume(path, file=True)
        if local.is_dir():
            raise AlreadyExists(f"The path {path} is a directory.")
        if local.exists() and not overwrite:
            raise AlreadyExists(f"The file being created already exists: {path}")
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_name(f".{local.name}.localspace-upload")
        tmp.write_bytes(data)
        tmp.replace(local)

    def file(self, path: str) -> Path:
        local = self._local(path, file=True)
        if not local.is_file():
            raise NotFound("The file being accessed is not found.")
        return local

    def delete_file(self, path: str) -> None:
        self.file(path).unlink()

    def mkdirs(self, path: str) -> None:
        local = self._in_volume(path)
        if local.is_file():
            raise AlreadyExists(f"A file exists at {path}")
        local.mkdir(parents=True, exist_ok=True)

    def directory(self, path: str) -> Path:
        local = self._local(path)
        if not local.is_dir():
            raise NotFound("The directory being accessed is not found.")
        return local

    def list(self, path: str) -> list[Entry]:
        local = self.directory(path)
        base = path.rstrip("/")
        return [_entry(f"{base}/{child.name}", child) for child in sorted(local.iterdir())
                if not child.name.endswith(".localspace-upload")]

    def delete_directory(self, path: str) -> None:
        local = self.directory(path)
        if any(local.iterdir()):
            raise InvalidParameterValue(f"The directory {path} is not empty.")  # FAILED_PRECONDITION on the real API
        local.rmdir()


class DbfsModel:
    """DBFS semantics, including the streaming upload handles of create/add-block/close."""

    def __init__(self, paths: Paths):
        self.paths = paths
        self._handles: dict[int, Path] = {}
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def _local(self, path: str) -> Path:
        if not path or not (path.startswith("/") or path.startswith("dbfs:/")):
            raise InvalidParameterValue(f"Path must be absolute: {path}")
        try:
            bare = _display(path)
            return self.paths.volume(bare) if bare.startswith("/Volumes/") else self.paths.dbfs(path)
        except PathOutsideRoot:
            raise InvalidParameterValue(f"Path {path} is not valid.") from None

    def _writable(self, path: str) -> Path:
        """``dbfs:/Volumes/c/s/v/...`` is a Unity Catalog volume: it must exist to be written."""
        bare = _display(path)
        if bare.startswith("/Volumes/"):
            missing = unity.missing_volume(self.paths, bare)
            if missing:
                raise ResourceDoesNotExist(f"{missing} does not exist.")
        return self._local(path)

    def _existing(self, path: str) -> Path:
        local = self._local(path)
        if not local.exists():
            raise ResourceDoesNotExist(f"No file or directory exists on path {path}.")
        return local

    def _prepare_write(self, path: str, overwrite: bool) -> Path:
        local = self._writable(path)
        if local.is_dir():
            raise ResourceAlreadyExists(f"A directory already exists at {path}.")
        if local.exists() and not overwrite:
            raise ResourceAlreadyExists(f"A file or directory already exists at the input path {path}.")
        local.parent.mkdir(parents=True, exist_ok=True)
        return local

    def put(self, path: str, data: bytes, overwrite: bool, limit: Optional[int] = MAX_BLOCK) -> None:
        """``limit`` is the 1 MB of an inline (JSON) put; a multipart put has none."""
        if limit is not None and len(data) > limit:
            raise MaxBlockSizeExceeded("The contents of a put request may not exceed 1 MB; use create/add-block/close.")
        self._prepare_write(path, overwrite).write_bytes(data)

    def create(self, path: str, overwrite: bool) -> int:
        local = self._prepare_write(path, overwrite)
        local.write_bytes(b"")
        with self._lock:
            handle = next(self._counter)
            self._handles[handle] = local
        return handle

    def _handle(self, handle: int) -> Path:
        with self._lock:
            local = self._handles.get(handle)
        if local is None:
            raise ResourceDoesNotExist(f"No file handle {handle} is open.")
        return local

    def add_block(self, handle: int, data: bytes) -> None:
        if len(data) > MAX_BLOCK:
            raise MaxBlockSizeExceeded("A block may not exceed 1 MB.")
        with self._handle(handle).open("ab") as out:
            out.write(data)

    def close(self, handle: int) -> None:
        self._handle(handle)
        with self._lock:
            self._handles.pop(handle, None)

    def read(self, path: str, offset: int, length: int) -> bytes:
        local = self._existing(path)
        if local.is_dir():
            raise InvalidParameterValue(f"Cannot read {path}: it is a directory.")
        if offset < 0 or length < 0:
            raise InvalidParameterValue("offset and length must not be negative.")
        if length > MAX_BLOCK:
            raise MaxBlockSizeExceeded("length may not exceed 1 MB.")
        with local.open("rb") as handle:
            handle.seek(offset)
            return handle.read(length)

    def status(self, path: str) -> Entry:
        return _entry(_display(path), self._existing(path))

    def list(self, path: str) -> list[Entry]:
        local = self._existing(path)
        if not local.is_dir():
            return [_entry(_display(path), local)]
        base = _display(path).rstrip("/")
        return [_entry(f"{base}/{child.name}", child) for child in sorted(local.iterdir())]

    def mkdirs(self, path: str) -> None:
        local = self._writable(path)
        if local.is_file():
            raise ResourceAlreadyExists(f"A file exists at {path}.")
        local.mkdir(parents=True, exist_ok=True)

    def delete(self, path: str, recursive: bool) -> None:
        local = self._local(path)
        if not local.exists():
            return  # DBFS delete of a missing path succeeds
        if local.is_dir():
            if any(local.iterdir()) and not recursive:
                raise DirectoryNotEmpty(f"Directory {path} is not empty; use recursive delete.")
            shutil.rmtree(local)
        else:
            local.unlink()

    def move(self, source: str, destination: str) -> None:
        src = self._existing(source)
        dst = self._writable(destination)
        if dst.exists():
            raise ResourceAlreadyExists(f"A file or directory already exists at {destination}.")
        dst.parent.mkdir(parents=True, exist_ok=True)
        src.replace(dst)


def _display(path: str) -> str:
    """DBFS answers paths without the dbfs: scheme."""
    return path[len("dbfs:"):] if path.startswith("dbfs:") else path
