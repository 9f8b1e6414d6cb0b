"""The ``dbutils`` object notebooks see, for both engines.

Covers what pipelines and their tests use: widgets filled from the run's parameters,
``notebook.exit``, ``fs`` over the emulator's storage folders, ``secrets`` from the
emulator's config and ``jobs.taskValues`` shared by the tasks of one job run. Everything else raises ``NotSupportedOnLocalspace`` naming the call, so a
notebook fails with a clear message instead of an AttributeError deep in user code.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple, Optional

from ..paths import CLOUD_SCHEMES, Paths, cloud_storage_refusal
from ..unity import models as unity
from .context import EntryPoint, NotebookContext, RunContext
from .fileopen import is_databricks_path


class NotSupportedOnLocalspace(Exception):
    """A Databricks feature the emulator does not provide."""


class NotebookExit(BaseException):
    """Raised by dbutils.notebook.exit: ends the notebook successfully with a value.

    A BaseException so a notebook's ``except Exception`` does not swallow it.
    """

    def __init__(self, value: str):
        super().__init__(value)
        self.value = value


class InputWidgetNotDefined(Exception):
    """Same name and message shape as Databricks' error for a missing widget."""


class SecretNotFound(Exception):
    """A secret scope or key the emulator was not configured with."""


class _Strict:
    """Base for dbutils parts: unknown attributes fail with a clear, named message."""

    _area = "dbutils"

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotSupportedOnLocalspace(f"localspace does not emulate {self._area}.{name} (README section "
                                       '"What each engine does")')


class WidgetsUtil(_Strict):
    """Widgets: a run's parameters win over the defaults declared by text()/dropdown()."""

    _area = "dbutils.widgets"

    def __init__(self, parameters: dict[str, str]):
        self._parameters = {str(k): str(v) for k, v in parameters.items()}
        self._defaults: dict[str, str] = {}

    def _declare(self, name: str, default) -> None:
        self._defaults[name] = "" if default is None else str(default)

    def text(self, name: str, defaultValue: str = "", label: Optional[str] = None) -> None:
        self._declare(name, defaultValue)

    def dropdown(self, name: str, defaultValue: str, choices, label: Optional[str] = None) -> None:
        if str(defaultValue) not in [str(c) for c in choices]:
            raise ValueError(f"Default value {defaultValue!r} of widget {name!r} is not one of its choices")
        self._declare(name, defaultValue)

    def combobox(self, name: str, defaultValue: str, choices, label: Optional[str] = None) -> None:
        self._declare(name, defaultValue)

    def multiselect(self, name: str, defaultValue: str, choices, label: Optional[str] = None) -> None:
        self.dropdown(name, defaultValue, choices, label)

    def get(self, name: str) -> str:
        if name in self._parameters:
            return self._parameters[name]
        if name in self._defaults:
            return self._defaults[name]
        raise InputWidgetNotDefined(f"No input widget named {name} is defined")

    def getArgument(self, name: str, defaultValue: Optional[str] = None) -> Optional[str]:
        try:
            return self.get(name)
        except InputWidgetNotDefined:
            return defaultValue

    def getAll(self) -> dict[str, str]:
        return {**self._defaults, **self._parameters}

    def remove(self, name: str) -> None:
        self._defaults.pop(name, None)

    def removeAll(self) -> None:
        self._defaults.clear()

    def _set_arguments(self, values: dict[str, str]) -> None:
        """%run $name=value arguments act as parameters from that point on."""
        self._parameters.update({str(k): str(v) for k, v in values.items()})


class WorkflowException(Exception):
    """A notebook started with dbutils.notebook.run failed or timed out (as on Databricks,
    where the caller gets com.databricks.WorkflowException)."""


class NotebookUtil(_Strict):
    _area = "dbutils.notebook"

    def __init__(self, run_notebook: Optional[Callable[[str, float, dict], Optional[str]]] = None,
                 context: Optional[NotebookContext] = None, bindings: Callable[[], dict] = dict):
        self._run_notebook = run_notebook
        self._context = context or NotebookContext("", RunContext())
        self.entry_point = EntryPoint(self._context, bindings)

    def getContext(self) -> NotebookContext:
        """The run's context (context.py), as ``entry_point.getDbutils().notebook().getContext()``."""
        return self._context

    def run(self, path: str, timeout_seconds: float = 0, arguments: Optional[dict] = None) -> Optional[str]:
        """Run another notebook as a run of its own and return its exit value (Databricks docs,
        "Run a Databricks notebook from another notebook"); 0 seconds means no time limit."""
        if self._run_notebook is None:
            raise NotSupportedOnLocalspace("localspace does not emulate dbutils.notebook.run on the python "
                                           "engine; use --engine spark (README section 'What each engine does')")
        return self._run_notebook(path, timeout_seconds, {k: str(v) for k, v in (arguments or {}).items()})

    def exit(self, value) -> None:
        """End the notebook; Databricks takes a string, so anything else is str()-ed."""
        raise NotebookExit(value if isinstance(value, str) else str(value))


class FileInfo(NamedTuple):
    """What dbutils.fs.ls returns per entry: a tuple with fields, directories ending in '/',
    paths as ``dbfs:/...`` unless listed through ``file:`` (as on Databricks)."""

    path: str
    name: str
    size: int
    modificationTime: int

    def isDir(self) -> bool:
        return self.name.endswith("/")

    def isFile(self) -> bool:
        return not self.isDir()


# Databricks' sample data, in every spelling dbutils.fs accepts.
_SAMPLE_DATA = re.compile(r"(dbfs:|file:/dbfs|/dbfs)?/databricks-datasets(/|$)")

# Suffixes of files still being written: dbutils' own and the Files API's (files/models.py).
IN_PROGRESS = (".partial", ".localspace-upload")


class FsUtil(_Strict):
    """dbutils.fs over Paths.local.

    ``file:`` paths address the driver's own filesystem, where Databricks mounts
    ``/Workspace``, ``/Volumes`` and ``/dbfs``; those three map under the root as well, any
    other ``file:`` path is the emulator machine's. Writes land under a temporary name and
    are renamed into place, so a streaming file source never reads a half-written file.
    """

    _area = "dbutils.fs"

    def __init__(self, paths: Paths):
        self._paths = paths

    def _local(self, path: str) -> Path:
        if path.split(":", 1)[0].lower() in CLOUD_SCHEMES:
            raise NotSupportedOnLocalspace(cloud_storage_refusal(path))
        if path.startswith("file:"):
            path = path[len("file:"):]
            return self._paths.local(path) if is_databricks_path(path) else Path(path)
        return self._paths.local(path)

    def _existing(self, path: str) -> Path:
        """Where a file or folder to read is; a missing one fails as on Databricks, naming the
        path as the code spelled it (never the emulator's local path)."""
        local = self._local(path)
        if local.exists():
            return local
        if _SAMPLE_DATA.match(path):  # the same line as DbfsFileSystem.java says for Spark
            raise FileNotFoundError(
                "localspace does not emulate /databricks-datasets, Databricks' sample data (see README "
                f'"What each engine does"): {path} is not there; upload the files the notebook reads to '
                "dbfs:/databricks-datasets/... first (a plan's upload step)")
        raise FileNotFoundError(f"java.io.FileNotFoundException: File {path} does not exist.")

    def _writable(self, path: str) -> Path:
        """Where a write goes; under /Volumes the volume must exist, as on Databricks (no
        folders are made up for a catalog, schema or volume that was never created)."""
        bare = path[len("file:"):] if path.startswith("file:") else path
        bare = bare[len("dbfs:"):] if bare.startswith("dbfs:/Volumes/") else bare
        if bare.startswith("/Volumes/"):
            missing = unity.missing_volume(self._paths, bare)
            if missing:
                raise FileNotFoundError(f"{missing} does not exist: cannot write {path}")
        return self._local(path)

    def ls(self, dir: str) -> list[FileInfo]:
        local = self._existing(dir)
        entries = [local] if local.is_file() else sorted(local.iterdir())
        base = dir if local.is_dir() else dir.rsplit("/", 1)[0]
        if not base.startswith(("file:", "dbfs:")):
            base = "dbfs:" + base
        result = []
        for entry in entries:
            if entry.name.endswith(IN_PROGRESS):
                continue  # a write in progress: Databricks never lists a file before it lands
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue  # renamed or removed since the listing: Databricks would not show it
            name = entry.name + ("/" if entry.is_dir() else "")
            result.append(FileInfo(path=f"{base.rstrip('/')}/{name}", name=name,
                                   size=0 if entry.is_dir() else stat.st_size,
                                   modificationTime=int(stat.st_mtime * 1000)))
        return result

    def head(self, file: str, maxBytes: int = 65536) -> str:
        with open(self._existing(file), "rb") as handle:
            return handle.read(maxBytes).decode("utf-8", errors="replace")

    def put(self, file: str, contents: str, overwrite: bool = False) -> bool:
        local = self._writable(file)
        if local.exists() and not overwrite:
            raise FileExistsError(f"File {file} already exists; pass overwrite=True")
        _write_atomically(local, contents.encode("utf-8"))
        return True

    def mkdirs(self, dir: str) -> bool:
        self._writable(dir).mkdir(parents=True, exist_ok=True)
        return True

    def cp(self, from_: str, to: str, recurse: bool = False) -> bool:
        source, target = self._existing(from_), self._writable(to)
        if source.is_dir():
            if not recurse:
                raise IsADirectoryError(f"{from_} is a directory; pass recurse=True")
            for file in sorted(p for p in source.rglob("*") if p.is_file()):
                _write_atomically(target / file.relative_to(source), file.read_bytes())
        else:
            if target.is_dir():
                target = target / source.name
            _write_atomically(target, source.read_bytes())
        return True

    def mv(self, from_: str, to: str, recurse: bool = False) -> bool:
        source, target = self._existing(from_), self._writable(to)
        if source.is_dir() and not recurse:
            raise IsADirectoryError(f"{from_} is a directory; pass recurse=True")
        if target.is_dir():
            target = target / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))
        return True

    def mounts(self) -> list["MountInfo"]:
        """What a Unity Catalog workspace has mounted; localspace mounts nothing else."""
        return [MountInfo("/", "DatabricksRoot", "sse-s3"), MountInfo("/Volumes", "UnityCatalogVolumes", ""),
                MountInfo("/databricks-datasets", "databricks-datasets", "")]

    def refreshMounts(self) -> bool:
        return True

    def help(self, method: str = "") -> None:
        print("dbutils.fs (localspace): ls, head, put, cp, mv, rm, mkdirs, mounts, refreshMounts; "
              "paths: /Volumes/..., dbfs:/..., /dbfs/..., file:/Workspace/...")

    def rm(self, dir: str, recurse: bool = False) -> bool:
        local = self._local(dir)
        if not local.exists():
            return False
        if local.is_dir():
            if recurse:
                shutil.rmtree(local)
            elif any(local.iterdir()):
                raise OSError(f"{dir} is a non-empty directory; pass recurse=True")
            else:
                local.rmdir()
        else:
            local.unlink()
        return True


# Databricks spells the first cp/mv argument "from"; accept it as a keyword too.
def _from_keyword(method: Callable) -> Callable:
    def wrapper(self, *args, **kwargs):
        if "from" in kwargs:
            args = (kwargs.pop("from"),) + args
        return method(self, *args, **kwargs)
    wrapper.__name__, wrapper.__doc__ = method.__name__, method.__doc__
    return wrapper


FsUtil.cp = _from_keyword(FsUtil.cp)
FsUtil.mv = _from_keyword(FsUtil.mv)


class MountInfo(NamedTuple):
    mountPoint: str
    source: str
    encryptionType: str


@dataclass(frozen=True)
class SecretMetadata:
    key: str


@dataclass(frozen=True)
class SecretScope:
    name: str


class SecretsUtil(_Strict):
    """Secrets from the emulator's config; values never appear in messages."""

    _area = "dbutils.secrets"

    def __init__(self, secrets: dict[str, dict[str, str]]):
        self._secrets = secrets or {}

    def get(self, scope: str, key: str) -> str:
        if scope not in self._secrets:
            raise SecretNotFound(f"Secret scope {scope} does not exist")
        if key not in self._secrets[scope]:
            raise SecretNotFound(f"Secret does not exist with scope: {scope} and key: {key}")
        return str(self._secrets[scope][key])

    def getBytes(self, scope: str, key: str) -> bytes:
        return self.get(scope, key).encode("utf-8")

    def list(self, scope: str) -> list[SecretMetadata]:
        if scope not in self._secrets:
            raise SecretNotFound(f"Secret scope {scope} does not exist")
        return [SecretMetadata(k) for k in sorted(self._secrets[scope])]

    def listScopes(self) -> list[SecretScope]:
        return [SecretScope(s) for s in sorted(self._secrets)]


class TaskValuesUtil(_Strict):
    """``dbutils.jobs.taskValues``: values a task sets for the tasks after it in the same job
    run (Databricks docs, "Use task values to pass information between tasks": keys are
    strings, values must be JSON, at most 48 KiB each; get raises ValueError for a key never
    set unless a default is given)."""

    _area = "dbutils.jobs.taskValues"
    MAX_BYTES = 48 * 1024

    def __init__(self, task_key: str, run_values: dict[str, dict]):
        self._task_key = task_key
        self._run_values = run_values    # {task_key: {key: value}}, the job run's, shared

    def set(self, key: str, value) -> None:
        if not isinstance(key, str):
            raise TypeError(f"task value keys are strings, got {type(key).__name__}")
        text = json.dumps(value)         # TypeError for anything that is not JSON
        if len(text.encode()) > self.MAX_BYTES:
            raise ValueError(f"task value {key!r} is {len(text.encode())} bytes as JSON; the limit is 48 KiB")
        self._run_values.setdefault(self._task_key, {})[key] = json.loads(text)

    def get(self, taskKey: str, key: str, default=None, debugValue=None):
        values = self._run_values.get(taskKey, {})
        if key in values:
            return values[key]
        if default is not None:
            return default
        raise ValueError(f"task value {key!r} was not set by task {taskKey!r} in this job run "
                         "(pass default= to tolerate that)")

    def own(self) -> dict:
        """What this task set (the python engine sends it back to the emulator)."""
        return dict(self._run_values.get(self._task_key, {}))


class JobsUtil(_Strict):
    _area = "dbutils.jobs"

    def __init__(self, task_key: str, run_values: dict[str, dict]):
        self.taskValues = TaskValuesUtil(task_key, run_values)


class LibraryUtil(_Strict):
    """``dbutils.library``: notebooks call restartPython() after %pip install; nothing was
    installed here (see runner.pip_cell), so there is nothing to restart."""

    def restartPython(self) -> None:
        return None


class DBUtils(_Strict):
    """The notebook's ``dbutils``."""

    def __init__(self, paths: Paths, parameters: dict[str, str],
                 secrets: Optional[dict[str, dict[str, str]]] = None,
                 task_key: str = "", task_values: Optional[dict[str, dict]] = None,
                 run_notebook: Optional[Callable[[str, float, dict], Optional[str]]] = None,
                 context: Optional[NotebookContext] = None):
        self.widgets = WidgetsUtil(parameters)
        self.notebook = NotebookUtil(run_notebook, context, self.widgets.getAll)
        self.fs = FsUtil(paths)
        self.secrets = SecretsUtil(secrets or {})
        self.library = LibraryUtil()
        self.jobs = JobsUtil(task_key, {} if task_values is None else task_values)

    def help(self) -> None:
        print("localspace dbutils: widgets (text, dropdown, combobox, multiselect, get, getAll, "
              "remove, removeAll), notebook (exit, run (spark engine), getContext, entry_point), "
              "fs (ls, head, put, cp, mv, rm, mkdirs, mounts), "
              "secrets (get, getBytes, list, listScopes), jobs.taskValues (set, get), "
              "library.restartPython")


def _write_atomically(target: Path, content: bytes) -> None:
    """Write beside the target under a dot-name (which Spark's file sources skip), then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}{IN_PROGRESS[0]}")
    partial.write_bytes(content)
    os.replace(partial, target)
