"""Copying local files into the workspace: ``deploy`` (notebooks + files) and ``upload`` steps.

Both copy a folder's contents like ``cp -r src/. to/``. Deploy turns Databricks source-format
files into notebooks; upload writes through the API the destination calls for
(``Workspace.uploader``: Files API, DBFS or workspace import).
"""
from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Callable

from streamtest.databricks import paths
from streamtest.databricks.workspace import Workspace
from streamtest.localfiles import deployed_as, local_files
from streamtest.state import State

def deploy(ws: Workspace, files: list[tuple[Path, str]], to: str, state: State, log: Callable[[str], None]) -> int:
    """Import ``files`` ((local file, posix path under ``to``) pairs: a deploy folder's
    contents, or the files a bundle syncs) into workspace folder ``to``; returns how many.

    The state records whether ``to`` existed before: cleanup deletes a folder this run
    created, but only the objects it imported into a folder that was already there.
    """
    to = to.rstrip("/")
    existed = ws.get_status(to) is not None
    parents = [] if existed else _missing_parents(ws, to)
    state.set(deployed={"path": to, "created": not existed, "objects": [], "parents": parents})
    ws.mkdirs(to)
    made = {to}
    for path, rel in files:
        content = path.read_bytes()
        name, language = deployed_as(path, rel, content)
        target = posixpath.join(to, name)
        parent = posixpath.dirname(target)
        if parent not in made:
            ws.mkdirs(parent)
            made.add(parent)
        if existed:
            state.data["deployed"]["objects"].append(target)
            state.save()
        ws.import_object(target, content, language)
        log(f"  {'notebook' if language else 'file    '} {target}")
    return len(files)


def _missing_parents(ws: Workspace, path: str, limit: int = 3) -> list[str]:
    """Ancestors of ``path`` that mkdirs will create (deepest first), so cleanup can remove
    them again, non-recursively (a sibling run's folder inside keeps them alive)."""
    missing = []
    parent = posixpath.dirname(path)
    while len(missing) < limit and paths.depth(parent) >= 2 and ws.get_status(parent) is None:
        missing.append(parent)
        parent = posixpath.dirname(parent)
    return missing


def upload(ws: Workspace, source: Path, to: str) -> int:
    """Copy a file or a folder's contents into ``to``; returns the number of files."""
    to = to.rstrip("/")
    mkdir, put = ws.uploader(to)
    files = local_files(source)
    made: set[str] = set()
    for path, rel in files:
        target = f"{to}/{rel}"
        parent = target.rsplit("/", 1)[0]
        if parent not in made:
            mkdir(parent)
            made.add(parent)
        put(target, path.read_bytes())
    return len(files)
