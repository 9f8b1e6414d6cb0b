"""Which files a bundle deploys, and where: its ``sync`` mapping read as the bundle tooling
documents it (https://docs.databricks.com/dev-tools/bundles/settings, "sync"; "paths" in
https://docs.databricks.com/dev-tools/bundles/sharing):

- ``sync.paths`` (default ``["."]``): the files and folders to sync, relative to the file that
  sets them. A path above the bundle root moves the sync root up to the deepest folder that
  holds the bundle root and every path, so the folder structure stays intact (the deployed
  tree then starts with ``common/`` and ``my_bundle/``); the sync root is what
  ``${workspace.file_path}`` holds, and relative task paths are re-rooted against it.
- ``.gitignore`` files of the repository leave files out; ``sync.include`` globs bring files
  back in (also ignored ones), ``sync.exclude`` globs leave files out; both are relative to
  the file that sets them.

streamtest reads ``.gitignore`` patterns (``*``, ``?``, ``[...]``, ``**``, a leading or inner
``/`` anchoring, a trailing ``/`` for folders, ``!`` to re-include) and globs in
``include``/``exclude`` (a glob naming a folder covers what is in it; ``!`` there is a plan
problem). Like ``deploy``, hidden files and ``__pycache__`` are never deployed, and nothing
outside the bundle's repository (the folder holding ``.git``; without one, the bundle's own
folder) leaves the machine.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from streamtest.localfiles import local_files
from streamtest.plan.bundle_config import BundleConfig

SYNC_KEYS = ("include", "exclude", "paths")


@dataclass
class SyncSet:
    root: Path                                  # the sync root, deployed as ${workspace.file_path}
    files: list = field(default_factory=list)   # (local file, posix path under root), sorted


def glob_regex(pattern: str, anchored: bool) -> re.Pattern:
    """A glob as a regex over posix paths relative to its base folder. ``*`` and ``?`` stay in
    one segment, ``**`` spans any depth; unanchored, it may match at any depth. A match of a
    folder covers the files below it (the caller tests every folder of a path)."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1:end]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile(("" if anchored else "(?:.*/)?") + "".join(out) + r"\Z")


@dataclass
class _Rule:
    base: Path          # the folder its pattern is relative to
    regex: re.Pattern
    folders_only: bool
    negated: bool = False

    def matches(self, path: Path, is_dir: bool) -> bool:
        if self.folders_only and not is_dir:
            return False
        try:
            rel = path.relative_to(self.base).as_posix()
        except ValueError:
            return False
        return bool(self.regex.match(rel))


def _rule(base: Path, pattern: str) -> _Rule:
    negated = pattern.startswith("!")
    pattern = pattern[1:] if negated else pattern
    folders_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    anchored = "/" in pattern
    return _Rule(base, glob_regex(pattern.lstrip("/"), anchored), folders_only, negated)


def _gitignore_rules(repo: Path, root: Path) -> list[_Rule]:
    """The ``.gitignore`` rules that apply under ``root``: those of its folders and of the
    folders between it and the repository's top, outermost first (later rules win)."""
    folders = [f for f in [root, *root.parents] if f.is_relative_to(repo)][::-1]
    files = [f / ".gitignore" for f in folders[:-1]]
    files += sorted(root.rglob(".gitignore"))
    rules = []
    for file in files:
        if not file.is_file():
            continue
        for line in file.read_text(errors="replace").splitlines():
            line = line.rstrip()
            if line and not line.startswith("#"):
                rules.append(_rule(file.parent, line))
    return rules


def _matched(rules: list[_Rule], path: Path, top: Path) -> bool:
    """Whether ``path`` (or a folder it is in, below ``top``) is matched by the rules, git's
    way: for each, the last rule that matches decides, and an ignored folder hides its files."""
    chain = [p for p in [*path.parents][::-1] if p.is_relative_to(top) and p != top] + [path]
    for index, item in enumerate(chain):
        state = False
        for rule in rules:
            if rule.matches(item, index < len(chain) - 1):
                state = not rule.negated
        if state:
            return True
    return False


def read_sync(config: BundleConfig, render: Callable[[Any, tuple], Any]) -> Optional[SyncSet]:
    """The bundle's sync set; problems go to ``config`` at the lines that wrote them.
    ``render`` substitutes the bundle's own ``${...}`` in an entry."""
    bundle_root = config.root.resolve()
    repo = next((p for p in [bundle_root, *bundle_root.parents] if (p / ".git").exists()), bundle_root)
    sync = config.data.get("sync") or {}
    if not isinstance(sync, dict):
        config.problem(("sync",), "sync must be a mapping of include, exclude and paths")
        return None
    for key in sync:
        if key not in SYNC_KEYS:
            config.problem(("sync", key), f"unknown key '{key}' in sync (allowed: {', '.join(SYNC_KEYS)})")
    entries: dict[str, list[tuple[str, Path, tuple]]] = {}
    for key in SYNC_KEYS:
        values = sync.get(key, ["."] if key == "paths" else [])
        if not isinstance(values, list):
            config.problem(("sync", key), f"sync.{key} must be a list")
            values = []
        entries[key] = []
        for index, value in enumerate(values):
            at = ("sync", key, index)
            if not isinstance(value, str) or not value:
                config.problem(at, f"sync.{key} entries must be non-empty strings")
                continue
            anchor = Path(config.where(at)[0]).resolve().parent if at in config.located else bundle_root
            value = render(value, at)
            if isinstance(value, str):
                entries[key].append((value, anchor, at))

    paths: list[Path] = []
    for value, anchor, at in entries["paths"]:
        local = Path(os.path.normpath(anchor / value))
        if not local.resolve().is_relative_to(repo):
            config.problem(at, f"sync.paths '{value}' resolves to {local}, outside {repo} (streamtest deploys only "
                               "the files of the bundle's repository: the folder holding .git, or the bundle's folder)")
        elif not local.exists():
            config.problem(at, f"sync.paths '{value}': no file or folder {local}")
        else:
            paths.append(local.resolve())
    if not paths:
        return None
    root = Path(os.path.commonpath([str(p if p.is_dir() else p.parent) for p in paths] + [str(bundle_root)]))

    ignored = _gitignore_rules(repo, root)
    chosen = {path for top in paths for path, _ in local_files(top)
              if not _matched(ignored, path, repo)}
    for key in ("include", "exclude"):
        rules = []
        for value, anchor, at in entries[key]:
            if value.startswith("!"):
                config.problem(at, f"sync.{key} '{value}': streamtest does not read negated globs in sync.{key} "
                                   "(list what to include in sync.include instead)")
                continue
            rules.append(_rule(anchor, value))
        if key == "include":
            for rule in rules:
                chosen |= {path for path, _ in local_files(root) if _matched([rule], path, root)}
        else:
            chosen = {path for path in chosen if not _matched(rules, path, root)}
    files = []
    for path in sorted(chosen):
        if not path.resolve().is_relative_to(repo):
            config.problem(("sync",), f"sync: {path} links outside {repo}")
            continue
        files.append((path, path.relative_to(root).as_posix()))
    return SyncSet(root, files)


