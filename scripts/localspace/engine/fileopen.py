"""``open()`` and ``os`` that understand the Databricks paths a notebook may use.

On Databricks, ``open("/Volumes/dev/sbit/landing/x.json")`` and ``os.listdir`` of a volume
work because volumes (and ``/Workspace``, ``/dbfs``) are mounted on the driver. Here they are
folders under the emulator's root, so notebooks get an ``open`` and, when they ``import os``,
an ``os`` (with ``os.path``) whose path functions map exactly those prefixes through
``Paths.local`` and leave every other path alone. Modules that call the real ``os``
themselves (``shutil``, ``pathlib``, pandas) are not mapped (README, "What each engine does").
"""
from __future__ import annotations

import builtins
import os
import posixpath
import types
from typing import Callable

from ..paths import Paths

PREFIXES = ("/Volumes/", "/Workspace/", "/dbfs/", "dbfs:/")  # what Databricks mounts on the driver

# os and os.path functions whose leading arguments are paths (two for rename/replace).
_OS_ONE_PATH = ("listdir", "scandir", "stat", "lstat", "mkdir", "makedirs", "remove", "unlink",
                "rmdir", "removedirs", "walk", "chmod", "utime", "access")
_OS_TWO_PATHS = ("rename", "replace", "renames")
_PATH_ONE_PATH = ("exists", "lexists", "isdir", "isfile", "islink", "getsize", "getmtime",
                  "getctime", "getatime")


def is_databricks_path(path: str) -> bool:
    return path.startswith(PREFIXES)


def _mapper(paths: Paths) -> Callable:
    def mapped(file):
        if isinstance(file, (str, os.PathLike)):
            name = os.fspath(file)
            if isinstance(name, str) and is_databricks_path(name):
                return str(paths.local(name))
        return file
    return mapped


def _mapping(function: Callable, mapped: Callable, count: int) -> Callable:
    def call(*args, **kwargs):
        args = tuple(mapped(a) if i < count else a for i, a in enumerate(args))
        return function(*args, **kwargs)
    call.__name__, call.__doc__ = function.__name__, function.__doc__
    return call


def mapped_open(paths: Paths, real_open: Callable = builtins.open) -> Callable:
    """An open() with the same signature that maps Databricks paths under the root."""
    open = _mapping(real_open, _mapper(paths), 1)  # noqa: A001 - it stands in for the builtin
    return open


def mapped_os(paths: Paths) -> types.ModuleType:
    """A copy of ``os`` (and of ``os.path`` as its ``path``) with the path functions mapped.
    ``os.walk`` yields the local folder names for a mapped top; notebooks that join them with
    the names they listed still reach the same files."""
    mapped = _mapper(paths)
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
    module.path = path_module
    return module


def mapped_import(paths: Paths, modules: dict[str, types.ModuleType],
                  real_import: Callable = builtins.__import__) -> Callable:
    """A notebook's ``__import__``: ``import os`` (and ``os.path``, ``from os import path``)
    yields the mapped ``os``; ``modules`` adds others by name (the spark engine's ``time``)."""
    os_module = mapped_os(paths)
    handed_out = {"os": os_module, **modules}

    def __import__(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0:
            if name == "os.path" and fromlist:
                return os_module.path
            top = name.partition(".")[0]
            if top in handed_out and (name == top or name == "os.path"):
                return handed_out[top]
        return real_import(name, globals, locals, fromlist, level)

    return __import__
