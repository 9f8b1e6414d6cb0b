"""The merged configuration of one bundle: its files read, ``include``s merged and one target
merged over the top level, with the file and line where every value was written.

Merging follows the bundle tooling: mappings merge key by key (the later value wins for
scalars), a job's ``tasks``, ``job_clusters``, ``environments`` and ``parameters`` merge item by
item on their key (https://docs.databricks.com/dev-tools/bundles/job-task-override,
/cluster-override), and any other list is concatenated. A problem found later in a merged
value is reported at the line that wrote it, whichever file that was.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Optional

from streamtest.plan.source import Problem, load_file

TOP_KEYS = ("bundle", "include", "environments", "variables", "workspace", "resources", "targets", "presets",
            "sync", "artifacts", "permissions", "run_as", "experimental", "git", "python", "scripts")
TARGET_KEYS = ("default", "mode", "variables", "workspace", "resources", "presets", "bundle", "sync",
               "artifacts", "permissions", "run_as", "git", "cluster_id", "compute_id")
KEYED_LISTS = {"tasks": "task_key", "job_clusters": "job_cluster_key", "environments": "environment_key",
               "parameters": "name"}  # merged item by item on this key; other lists are concatenated
NOT_FOUND = object()


class BundleConfig:
    """``data`` (plain dicts and lists) and ``located`` (path -> (file, line)) of one bundle."""

    def __init__(self, file: Path, problems: list[Problem]):
        self.file = file
        self.root = file.parent
        self.problems = problems
        self.data: dict = {}
        self.located: dict = {}

    def problem(self, at, message: str) -> None:
        file, line = self.where(at)
        self.problems.append(Problem(file, line, message))

    def where(self, path) -> tuple[str, int]:
        path = tuple(path)
        while path:
            if path in self.located:
                return self.located[path]
            path = path[:-1]
        return str(self.file), 1

    # -- reading and merging -------------------------------------------------------------
    def _load(self, path: Path) -> Optional[dict]:
        before = len(self.problems)
        data, locations = load_file(path, "the bundle file", self.problems)
        if len(self.problems) > before:
            return None
        if not isinstance(data, dict):
            self.problems.append(Problem(str(path), 1, "a bundle file must be a YAML mapping"))
            return None
        for key in data:
            if key not in TOP_KEYS:
                hint = difflib.get_close_matches(str(key), TOP_KEYS, n=1)
                self.problems.append(Problem(*locations.of((key,)), f"unknown top-level key '{key}' in a bundle file"
                                             + (f" (did you mean '{hint[0]}'?)" if hint else "")))
        self.located.update(locations.where)
        return data

    def read(self) -> bool:
        data = self._load(self.file)
        if data is None:
            return False
        self.data = {k: v for k, v in data.items() if k != "include"}
        if "environments" in self.data and "targets" not in self.data:
            # the bundle format's first name for targets, still read by the tooling
            self.data["targets"] = self.data.pop("environments")
            self.located.update({("targets",) + p[1:]: w for p, w in list(self.located.items())
                                      if p[:1] == ("environments",)})
        includes = data.get("include") or []
        if not isinstance(includes, list):
            self.problem(("include",), "include must be a list of file globs")
            includes = []
        for index, pattern in enumerate(includes):
            if not isinstance(pattern, str):
                self.problem(("include", index), "include entries must be glob strings")
                continue
            matches = sorted(p for p in self.root.glob(pattern) if p.is_file())
            if not matches:
                self.problem(("include", index), f"include '{pattern}' matches no file under {self.root}")
            for match in matches:
                if not match.resolve().is_relative_to(self.root.resolve()):
                    self.problem(("include", index), f"include '{pattern}': {match} is outside the bundle's folder")
                    continue
                if match.resolve() == self.file.resolve():
                    continue
                self._merge_file(match)
        return True

    def _merge_file(self, path: Path) -> None:
        data, locations = load_file(path, "the bundle file", self.problems)
        if data is None:
            return
        if not isinstance(data, dict):
            self.problems.append(Problem(str(path), 1, "an included bundle file must be a YAML mapping"))
            return
        for key, value in data.items():
            if key == "include":
                self.problems.append(Problem(*locations.of((key,)), "include is only read from databricks.yml"))
                continue
            if key == "resources" and isinstance(value, dict):
                for kind, items in value.items():
                    for name in (items or {}) if isinstance(items, dict) else {}:
                        existing = self.data.get("resources", {}).get(kind, {}) or {}
                        if name in existing:
                            self.problems.append(Problem(*locations.of((key, kind, name)),
                                                         f"resources.{kind}.{name} is already defined at "
                                                         f"{':'.join(map(str, self.where(('resources', kind, name))))}"))
            self._merge_into((), {key: value}, (), locations.where)

    def _merge_into(self, at: tuple, over: Any, over_at: tuple, over_where: dict) -> None:
        """Merge ``over`` (whose locations are ``over_where`` under ``over_at``) into the path ``at``."""
        base = get_path(self.data, at)
        if isinstance(base, dict) and isinstance(over, dict):
            for key, value in over.items():
                self._place(at + (key,), over_at + (key,), over_where)
                self._merge_into(at + (key,), value, over_at + (key,), over_where)
            return
        key_field = KEYED_LISTS.get(at[-1]) if at else None
        if key_field and isinstance(base, list) and isinstance(over, list):
            for j, item in enumerate(over):
                name = item.get(key_field) if isinstance(item, dict) else None
                index = next((i for i, b in enumerate(base) if isinstance(b, dict) and name is not None
                              and b.get(key_field) == name), None)
                if index is None:
                    base.append({})
                    index = len(base) - 1
                self._place(at + (index,), over_at + (j,), over_where)
                self._merge_into(at + (index,), item, over_at + (j,), over_where)
            return
        if isinstance(base, list) and isinstance(over, list):
            # the tooling concatenates any other sequence (libs/dyn/merge in databricks/cli)
            offset = len(base)
            base.extend(copy_value(over))
            for path, place in over_where.items():
                if path[:len(over_at)] == over_at and len(path) > len(over_at):
                    rest = path[len(over_at):]
                    self.located[at + (offset + rest[0],) + rest[1:]] = place
            return
        set_path(self.data, at, copy_value(over))
        for path, place in over_where.items():
            if path[:len(over_at)] == over_at and len(path) > len(over_at):
                self.located[at + path[len(over_at):]] = place

    def _place(self, at, over_at, over_where) -> None:
        if over_at in over_where:
            self.located[at] = over_where[over_at]

    # -- the target ----------------------------------------------------------------------
    def select_target(self, wanted: str, target_at: tuple) -> Optional[str]:
        """Merge ``targets.<wanted>`` (or the default target) over the top level; its name, or None."""
        targets = self.data.get("targets") or {}
        if not isinstance(targets, dict):
            self.problem(("targets",), "targets must be a mapping of target names")
            return None
        if not wanted:
            defaults = [name for name, t in targets.items() if isinstance(t, dict) and t.get("default") is True]
            if len(defaults) == 1:
                wanted = defaults[0]
            elif len(targets) == 1:
                wanted = next(iter(targets))  # the only target is the default one
            elif not targets:
                return "default"  # the tooling's name for a bundle without targets
            else:
                self.problem(("targets",), "the bundle marks no single target default: true; give job.target "
                             f"(one of {', '.join(targets)})")
                return None
        if wanted not in targets:
            hint = difflib.get_close_matches(wanted, list(targets), n=1)
            self.problems.append(Problem(*target_at, f"job.target: the bundle has no target '{wanted}'"
                                         + (f" (did you mean '{hint[0]}'?)" if hint else
                                            f"; it has: {', '.join(targets) or 'none'}")))
            return None
        target = targets[wanted] or {}
        if not isinstance(target, dict):
            self.problem(("targets", wanted), f"targets.{wanted} must be a mapping")
            return None
        for key in target:
            if key not in TARGET_KEYS:
                self.problem(("targets", wanted, key), f"unknown key '{key}' in targets.{wanted}")
        for key in ("resources", "workspace", "presets", "bundle", "run_as"):
            if key in target:
                self._merge_into((key,), target[key], ("targets", wanted, key), dict(self.located))
        # a target's mode, and its cluster_id (compute_id is the older name) as bundle.cluster_id
        for key, at in (("mode", ("mode",)), ("compute_id", ("bundle", "cluster_id")),
                        ("cluster_id", ("bundle", "cluster_id"))):
            if key in target:
                if at[0] == "bundle" and not isinstance(self.data.get("bundle"), dict):
                    self.data["bundle"] = {}
                set_path(self.data, at, target[key])
                self.located[at] = self.where(("targets", wanted, key))
        return wanted


def get_path(data: Any, path: tuple) -> Any:
    for key in path:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return NOT_FOUND
    return data


def set_path(data: dict, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        if isinstance(data, dict):
            data = data.setdefault(key, {})
        else:
            data = data[key]
    data[path[-1]] = value


def copy_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_value(v) for v in value]
    return value
