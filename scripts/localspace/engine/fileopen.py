"""``open()``, ``os`` and ``import`` that understand the Databricks paths a notebook may use.

On Databricks, ``open("/Volumes/dev/sbit/landing/x.json")`` and ``os.listdir`` of a volume
work because volumes (and ``/Workspace``, ``/dbfs``) are mounted on the driver. Here they are
folders under the emulator's root, so notebooks get an ``open`` and, when they ``import os``,
an ``os`` (with ``os.path``) whose path functions map exactly those prefixes through
``Paths.local`` and leave every other path alone. ``mount`` does the same for the whole
process that runs notebooks, as the driver's mounts do: the ``os`` functions that touch a
path, and ``open``, so that modules calling them (``shutil``, ``pathlib``, ``glob``,
pandas' ``read_csv``/``to_csv``) reach volumes too; code that opens files from C (pyarrow's
own file system) does not.

A notebook's folder is its current working directory (Databricks Runtime 14+: "What is the
default current working directory?", https://docs.databricks.com/files/cwd-dbr-14.html):
given the run's ``cwd`` (``/Workspace/Shared/x``), relative paths resolve against it and
``os.getcwd()`` answers it, in every run of the one spark-engine process alike.
"""
from __future__ import annotations

import builtins
import collections.abc
import io
import os
import posixpath
import types
from typing import Callable, Optional

from ..paths import Paths
from .sdk_runtime import NAME as SDK_RUNTIME, sdk_runtime
from .workspace_import import WorkspaceModules

PREFIXES = ("/Volumes/", "/Workspace/", "/dbfs/", "dbfs:/")  # what Databricks mounts on the driver

# os and os.path functions whose leading arguments are paths (two for rename/replace).
_OS_ONE_PATH = ("listdir", "scandir", "stat", "lstat", "mkdir", "makedirs", "remove", "unlink",
                "rmdir", "removedirs", "walk", "chmod", "utime", "access")
_OS_TWO_PATHS = ("rename", "replace", "renames")
_PATH_ONE_PATH = ("exists", "lexists", "isdir", "isfile", "islink", "getsize", "getmtime",
                  "getctime", "getatime")


def is_databricks_path(path: str) -> bool:
    return path.startswith(PREFIXES) or path in ("/Volumes", "/Workspace", "/dbfs")


class _Cwd:
    """The run's working directory, a Databricks path; ``os.chdir`` in the notebook moves it."""

    def __init__(self, path: Optional[str]):
        self.path = path

    def absolute(self, name: str) -> str:
        return name if self.path is None or name.startswith("/") or name.startswith("dbfs:") \
            else posixpath.normpath(posixpath.join(self.path, name))


def _mapper(paths: Paths, cwd: _Cwd) -> Callable:
    def mapped(file):
        if isinstance(file, (str, os.PathLike)):
            name = os.fspath(file)
            if isinstance(name, str):
                name = cwd.absolute(name)
                if is_databricks_path(name):
                    return str(paths.local(name))
        return file
    return mapped


def _mapping(function: Callable, mapped: Callable, count: int) -> Callable:
    def call(*args, **kwargs):
        given = args[:count]
        args = tuple(mapped(a) if i < count else a for i, a in enumerate(args))
        try:
            return function(*args, **kwargs)
        except OSError as error:  # name the path the notebook gave, not the emulator's
            for before, after in zip(given, args):
                if error.filename == after and after is not before:
                    error.filename = os.fspath(before)
                if error.filename2 == after and after is not before:
                    error.filename2 = os.fspath(before)
            raise
    call.__name__, call.__doc__ = function.__name__, function.__doc__
    return call


# The calls everything else goes through: os.walk, os.makedirs, os.path.exists, glob,
# shutil and pathlib use these, so mapping them maps those too (and keeps the Databricks
# path in what they return).
_MOUNTED = ((os, ("listdir", "scandir", "stat", "lstat", "mkdir", "remove", "unlink", "rmdir",
                  "chmod", "utime", "access", "open"), 1),
            (os, _OS_TWO_PATHS, 2), (builtins, ("open",), 1), (io, ("open",), 1))


def mount(paths: Paths) -> Callable[[], None]:
    """Map absolute Databricks paths in this whole process (see the module docstring); returns
    what undoes it. Relative paths are left to the process's own working directory."""
    mapped = _mapper(paths, _Cwd(None))
    originals = []
    for module, names, count in _MOUNTED:
        for name in names:
            function = getattr(module, name)
            originals.append((module, name, function))
            setattr(module, name, _mapping(function, mapped, count))

    def unmount() -> None:
        for module, name, function in reversed(originals):
            setattr(module, name, function)
    return unmount


def mapped_open(paths: Paths, real_open: Callable = builtins.open, cwd: Optional[_Cwd] = None) -> Callable:
    """An open() with the same signature that maps Databricks paths under the root."""
    open = _mapping(real_open, _mapper(paths, cwd or _Cwd(None)), 1)  # noqa: A001 - it stands in for the builtin
    return open


class RunEnviron(collections.abc.MutableMapping):
    """``os.environ`` as one run sees it: the process's variables, with the run's own on top
    (``DATABRICKS_RUNTIME_VERSION``, which differs between runs sharing this process). A
    variable the notebook sets goes to the process, as on a driver (subprocesses and libraries
    that read the real ``os.environ`` see it)."""

    def __init__(self, own: dict[str, str]):
        self._own = dict(own)

    def __getitem__(self, key: str) -> str:
        return self._own[key] if key in self._own else os.environ[key]

    def __setitem__(self, key: str, value: str) -> None:
        self._own.pop(key, None)
        os.environ[key] = value

    def __delitem__(self, key: str) -> None:
        if key in self._own:
            del self._own[key]
        else:
            del os.environ[key]

    def __iter__(self):
        yield from self._own
        yield from (key for key in os.environ if key not in self._own)

    def __len__(self) -> int:
        return len(set(self._own) | set(os.environ))

    def copy(self) -> dict[str, str]:
        return dict(self)


def mapped_os(paths: Paths, cwd: Optional[_Cwd] = None,
              environ: Optional[dict[str, str]] = None) -> types.ModuleType:
    """A copy of ``os`` (and of ``os.path`` as its ``path``) with the path functions mapped,
    and given ``environ``, the run's own variables in ``os.environ`` and ``os.getenv``.
    ``os.walk`` yields the local folder names for a mapped top; notebooks that join them with
    the names they listed still reach the same files."""
    cwd = cwd or _Cwd(None)
    mapped = _mapper(paths, cwd)
    path_module = types.ModuleType("posixpath")
    path_module.__dict__.update(vars(posixpath))
    for name in _PATH_ONE_PATH:
        setattr(path_module, name, _mapping(getattr(posixpath, name), mapped, 1))
    module = types.ModuleType("os")
    module.__dict__.update(vars(os))
    for name in _OS_ONE_PATH:
        setattr(module, name, _mapping(getattr(os, name), mapped, 1))
    for name in _OS_TWO_PATHS:
        setattr(module, name, _mapping(getattr(os, name), mapped, 2))
    if cwd.path is not None:
        _with_cwd(module, path_module, cwd, mapped)
    if environ:
        module.environ = RunEnviron(environ)
        module.getenv = lambda key, default=None: module.environ.get(key, default)
    module.path = path_module
    return module


def _with_cwd(module: types.ModuleType, path_module: types.ModuleType, cwd: _Cwd, mapped: Callable) -> None:
    """getcwd/chdir/abspath and the no-argument listdir/scandir on the run's own directory."""
    def chdir(path) -> None:
        target = cwd.absolute(os.fspath(path))
        if not os.path.isdir(mapped(target)):
            raise FileNotFoundError(2, "No such file or directory", target)
        cwd.path = target

    module.getcwd = lambda: cwd.path
    module.chdir = chdir
    module.listdir = lambda path=".": os.listdir(mapped(path))
    module.scandir = lambda path=".": os.scandir(mapped(path))
    path_module.abspath = lambda path: cwd.absolute(posixpath.normpath(os.fspath(path)))
    path_module.realpath = lambda path, **_: path_module.abspath(path)


def mapped_import(paths: Paths, modules: dict[str, types.ModuleType],
                  real_import: Callable = builtins.__import__,
                  workspace: Optional[WorkspaceModules] = None, cwd: Optional[_Cwd] = None,
                  environ: Optional[dict[str, str]] = None) -> Callable:
    """A notebook's ``__import__``: ``import os`` (and ``os.path``, ``from os import path``)
    yields the mapped ``os``; ``modules`` adds others by name (the spark engine's ``time``; a
    run's ``databricks.sdk.runtime``, for ``from ... import``); ``workspace`` serves the run's
    ``sys`` and its workspace modules; ``environ``, the run's own environment variables."""
    os_module = mapped_os(paths, cwd, environ)
    handed_out = {"os": os_module, **modules}
    if workspace is not None:
        handed_out["sys"] = workspace.sys
        handed_out["importlib"] = workspace.importlib
        real_import = workspace.import_hook(real_import)

    def __import__(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0:
            if name == "os.path" and fromlist:
                return os_module.path
            if fromlist and name in handed_out:  # from databricks.sdk.runtime import spark
                return handed_out[name]
            top = name.partition(".")[0]
            if top in handed_out and (name == top or name == "os.path"):
                return handed_out[top]
        return real_import(name, globals, locals, fromlist, level)

    return __import__


def notebook_builtins(paths: Paths, notebook_path: Optional[str], modules: dict[str, types.ModuleType],
                      namespace: Optional[dict] = None, environ: Optional[dict[str, str]] = None) -> dict:
    """Builtins for one run's notebook code (and the workspace modules it imports): mapped
    ``open`` and ``os``, the notebook's folder as working directory and first ``sys.path``
    entry, and ``modules`` handed out by name; given the run's ``namespace`` (its globals),
    also ``databricks.sdk.runtime`` with its names (sdk_runtime.py); ``environ`` on top of the
    process's environment variables. Without a notebook path (pipeline sources) paths are only
    mapped."""
    if namespace is not None:
        modules = {**modules, SDK_RUNTIME: sdk_runtime(namespace)}
    cwd = _Cwd(None if notebook_path is None else
               "/Workspace" + posixpath.dirname(Paths.workspace_path(notebook_path)).rstrip("/"))
    workspace = None if cwd.path is None else WorkspaceModules(paths, cwd.path)
    namespace = dict(vars(builtins))
    namespace["__import__"] = mapped_import(paths, modules, workspace=workspace, cwd=cwd, environ=environ)
    namespace["open"] = mapped_open(paths, cwd=cwd)
    if workspace is not None:
        workspace.builtins = namespace
    return namespace
