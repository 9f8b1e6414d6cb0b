"""``open()`` that understands the Databricks paths a notebook may use.

On Databricks, ``open("/Volumes/dev/sbit/landing/x.json")`` works because volumes (and
``/Workspace``, ``/dbfs``) are mounted on the driver. Here they are folders under the
emulator's root, so notebooks get an ``open`` that maps exactly those prefixes through
``Paths.local`` and leaves every other path alone.
"""
from __future__ import annotations

import builtins
import os
from typing import Callable

from ..paths import Paths

PREFIXES = ("/Volumes/", "/Workspace/", "/dbfs/", "dbfs:/")  # what Databricks mounts on the driver


def is_databricks_path(path: str) -> bool:
    return path.startswith(PREFIXES)


def mapped_open(paths: Paths, real_open: Callable = builtins.open) -> Callable:
    """An open() with the same signature that maps Databricks paths under the root."""

    def open(file, *args, **kwargs):  # noqa: A001 - it stands in for the builtin
        if isinstance(file, (str, os.PathLike)):
            name = os.fspath(file)
            if isinstance(name, str) and is_databricks_path(name):
                file = paths.local(name)
        return real_open(file, *args, **kwargs)

    open.__doc__ = real_open.__doc__
    return open
