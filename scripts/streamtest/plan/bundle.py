"""``job: {bundle: databricks.yml, resource: KEY, target: NAME}``: a job taken from a bundle.

The resource's settings are resolved as the Databricks bundle tooling documents it, so the
test runs the job the team deploys, not a copy that drifts:

- ``include`` files and ``targets.<name>`` are merged over the top level by
  ``bundle_config`` (https://docs.databricks.com/dev-tools/bundles/settings, "include" and
  "targets"); without ``target`` the one marked ``default: true`` is used.
- ``variables``: value from ``--var NAME=VALUE``, else the plan's ``job.variables``, else ``BUNDLE_VAR_NAME``, else the target's
  value, else the ``default`` (the precedence order of
  https://docs.databricks.com/dev-tools/bundles/variables); ``type: complex`` values are
  mappings or lists, taken from the target or the default only. ``lookup`` of a cluster or a
  warehouse by name asks the workspace (like the current user: once, only when referenced);
  other lookups are plan errors (pass the id with --var).
- ``mode: development`` (https://docs.databricks.com/dev-tools/bundles/deployment-modes):
  a target's ``cluster_id`` runs every task on that cluster; the name prefix ``[dev ${workspace.current_user.short_name}] ``, a ``dev`` tag, schedules
  and triggers paused, ``max_concurrent_runs`` 4 where the job sets none; ``presets`` (``name_prefix``, ``tags``,
  ``trigger_pause_status``, ``jobs_max_concurrent_runs``) customise or replace them.
- The files the bundle syncs (``bundle_sync``: ``sync.paths``, ``.gitignore``,
  ``sync.include``/``exclude``) are deployed to this run's own ``${workspace.file_path}``,
  ``<deploy.to>/files`` (the tooling's default layout under ``workspace.root_path``, which is
  the plan's ``deploy.to``), not the bundle's: parallel runs never share files and cleanup
  removes them. Relative ``notebook_path`` / ``python_file`` / ``sql_task.file.path`` values
  are resolved against the YAML file that holds them, must be among the synced files, and
  are re-rooted under that folder as the tooling re-roots them against the sync root. The
  deployed bundle and its job are never touched.

Anything that cannot be resolved offline is a problem at the file and line that says it.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from streamtest import redaction
from streamtest.localfiles import deployed_as
from streamtest.plan import bundle_refs
from streamtest.plan.bundle_config import NOT_FOUND, BundleConfig
from streamtest.plan.bundle_sync import SyncSet, read_sync
from streamtest.plan.source import Problem

VARIABLE_KEYS = ("default", "description", "type", "lookup")
NOT_JOB_SETTINGS = ("permissions",)   # applied by the tooling after create; streamtest's job has its own
PATH_FIELDS = (("notebook_task", "notebook_path"), ("spark_python_task", "python_file"), ("sql_task", "file", "path"))
DEV_CONCURRENT_RUNS = 4


@dataclass
class Resolved:
    settings: dict                  # JobSettings, fully substituted
    where: dict                     # path inside ``settings`` -> (file, line)
    sync: Optional[SyncSet]         # the files the bundle syncs, and their root
    deploy_to: str = ""             # where the sync root goes: this run's ${workspace.file_path}
    target: str = ""
    declared: tuple = ()            # the bundle's variable names


@dataclass
class BundleReader:
    """Reads one bundle for one plan; problems are collected, never raised one by one."""

    def __init__(self, file: Path, problems: list[Problem], overrides: Mapping[str, str], env: Mapping[str, str],
                 workspace: Optional[Callable[[], Any]], run_root: str, run_id: str):
        self.file = file
        self.root = file.parent
        self.problems = problems
        self.overrides, self.env = overrides, env
        self._workspace = workspace
        self._ws: Any = None
        self.run_root = run_root.rstrip("/")
        self.run_id = run_id
        self.config = BundleConfig(file, problems)
    def problem(self, at, message: str) -> None:
        self.config.problem(at, message)

    def where(self, path) -> tuple[str, int]:
        return self.config.where(path)

    # -- variables -----------------------------------------------------------------------
    def variables(self, target: str) -> Callable[[str], Any]:
        declared = self.config.data.get("variables") or {}
        if not isinstance(declared, dict):
            self.problem(("variables",), "variables must be a mapping")
            declared = {}
        target_values = ((self.config.data.get("targets") or {}).get(target) or {}).get("variables") or {}
        resolved: dict[str, Any] = {}
        resolving: list[str] = []

        def value_of(name: str) -> Any:
            if name in resolved:
                return resolved[name]
            if name not in declared:
                raise bundle_refs.RefError(f"${{var.{name}}}: the bundle declares no variable '{name}' "
                                           "(add it under variables:)")
            if name in resolving:
                raise bundle_refs.RefError("bundle variables refer to each other in a cycle: "
                                           + " -> ".join(resolving + [name]))
            spec = declared[name] if isinstance(declared[name], dict) else {"default": declared[name]}
            complex_ = spec.get("type") == "complex"
            override = self.overrides.get(name, self.env.get(f"BUNDLE_VAR_{name}"))
            if override is not None and redaction.looks_secret(name):
                redaction.register(override)  # BUNDLE_VAR_token is as secret as a plan's ${env.TOKEN}
            from_target = target_values.get(name, NOT_FOUND) if isinstance(target_values, dict) else NOT_FOUND
            if isinstance(from_target, dict) and set(from_target) <= set(VARIABLE_KEYS) and from_target:
                spec = {**spec, **from_target}   # a target may redefine the variable (default or lookup)
                from_target = NOT_FOUND
            if override is not None and not complex_:
                value = override
            elif from_target is not NOT_FOUND:
                value = from_target
            elif "lookup" in spec:
                value = self._lookup(name, spec["lookup"])
            elif "default" in spec:
                value = spec["default"]
            else:
                raise bundle_refs.RefError(f"variable '{name}' has no value: give a default, a value in target "
                                           f"'{target}', --var {name}=... or BUNDLE_VAR_{name}")
            if complex_ and not isinstance(value, (dict, list)):
                raise bundle_refs.RefError(f"variable '{name}' is type: complex but its value is not a mapping or a "
                                           "list (complex variables cannot come from --var or BUNDLE_VAR_)")
            if not complex_ and isinstance(value, (dict, list)):
                raise bundle_refs.RefError(f"variable '{name}' has a complex value; declare it with type: complex")
            resolving.append(name)
            try:
                resolved[name] = bundle_refs.substitute(value, self.scope)
            finally:
                resolving.pop()
            return resolved[name]

        for name in target_values if isinstance(target_values, dict) else ():
            if name not in declared:
                self.problem(("targets", target, "variables", name), f"variable '{name}' is given a value in target "
                             f"'{target}' but not declared under the top-level variables:")
        for name, spec in declared.items():
            if isinstance(spec, dict):
                for key in spec:
                    if key not in VARIABLE_KEYS:
                        self.problem(("variables", name, key), f"unknown key '{key}' in variable '{name}'")
                if spec.get("type") not in (None, "complex"):
                    self.problem(("variables", name, "type"), f"variable '{name}': type must be complex, "
                                 f"not {spec.get('type')!r}")
        return value_of

    # -- the resource --------------------------------------------------------------------
    def resolve(self, resource: str, wanted_target: str, resource_at: tuple, target_at: tuple,
                kind: str = "job") -> Optional[Resolved]:
        """``resource_at``/``target_at``: where the plan names them, for problems about them;
        ``kind``: "job" (resources.jobs) or "pipeline" (resources.pipelines)."""
        if not self.config.read():
            return None
        bundle = self.config.data.get("bundle") or {}
        name = bundle.get("name") if isinstance(bundle, dict) else None
        if not name:
            self.problem(("bundle",), "the bundle needs bundle.name")
        target = self.config.select_target(wanted_target, target_at)
        if target is None:
            return None
        user: dict[str, Any] = {}

        def me():
            if "me" not in user:
                user["me"] = self.workspace("${workspace.current_user.userName} (also behind short_name and "
                                            "development mode's name prefix) needs the workspace's current user "
                                            "(SCIM Me)").current_user()
            return user["me"]

        root, files = self.run_root, f"{self.run_root}/files"
        self.scope = bundle_refs.Scope({
            "bundle.name": lambda: name or "", "bundle.target": lambda: target,
            "workspace.root_path": lambda: root, "workspace.file_path": lambda: files,
            "workspace.current_user.userName": lambda: me().user_name,
            "workspace.host": lambda: self._host(),
            "workspace.current_user.short_name": lambda: bundle_refs.short_name(me().user_name, me().display_name),
        }, lambda n: variable(n))
        variable = self.variables(target)

        group = f"{kind}s"
        jobs = (self.config.data.get("resources") or {}).get(group) or {}
        base = ("resources", group, resource)
        if resource not in jobs:
            other = "pipeline" if kind == "job" else "job"
            elsewhere = (self.config.data.get("resources") or {}).get(f"{other}s") or {}
            extra = f" (it is a {other}: use {other}: {{bundle: ...}})" if resource in elsewhere else ""
            hint = difflib.get_close_matches(resource, list(jobs), n=1)
            self.problems.append(Problem(*resource_at, f"{kind}.resource: the bundle defines no {kind} '{resource}'"
                                         f"{extra}" + (f" (did you mean '{hint[0]}'?)" if hint else
                                                       f"; its {group}: {', '.join(jobs) or 'none'}")))
            return None
        raw = jobs[resource]
        if not isinstance(raw, dict):
            self.problem(base, f"resources.{group}.{resource} must be a mapping of {kind} settings")
            return None
        settings = self._substitute(raw, base)
        for key in NOT_JOB_SETTINGS:
            settings.pop(key, None)
        if "run_as" in self.config.data and "run_as" not in settings and kind == "job":
            # the bundle's (or target's) run_as applies to every job it defines
            settings["run_as"] = self._substitute(self.config.data["run_as"], ("run_as",))
        where = {p[len(base):]: w for p, w in self.config.located.items() if p[:len(base)] == base}
        synced = read_sync(self.config, self._substitute)
        if kind == "job":
            self._paths(settings, base, files, synced)
            self._mode(settings, base, resource)
        else:
            self._library_paths(settings, base, files, synced)
            self._pipeline_mode(settings, resource)
        variables = self.config.data.get("variables")
        declared = tuple(variables) if isinstance(variables, dict) else ()
        if synced is None or not synced.files:
            return Resolved(settings, where, None, "", target, declared)
        return Resolved(settings, where, synced, files, target, declared)

    def workspace(self, why: str):
        """The workspace, made once on first use; without one, ``why`` becomes the problem."""
        if self._workspace is None:
            raise bundle_refs.RefError(f"{why}: set DATABRICKS_HOST and credentials, then check asks it")
        if self._ws is None:
            self._ws = self._workspace()
        return self._ws

    def _lookup(self, name: str, spec: Any) -> str:
        """A variable's ``lookup: {cluster|warehouse: NAME}``: the id of that object, by name."""
        kinds = [k for k in spec if k in ("cluster", "warehouse")] if isinstance(spec, dict) else []
        if len(kinds) != 1 or len(spec) != 1:
            raise bundle_refs.RefError(f"variable '{name}': streamtest resolves lookup of a cluster or a warehouse "
                                       f"by name only; pass its value with --var {name}=...")
        kind, wanted = kinds[0], bundle_refs.substitute(spec[kinds[0]], self.scope)
        found = self.workspace(f"variable '{name}' looks up {kind} '{wanted}', which needs the workspace") \
            .find_id(kind, wanted)
        if found is None:
            raise bundle_refs.RefError(f"variable '{name}': the workspace has no {kind} named '{wanted}'")
        return found

    def _host(self) -> str:
        host = self.env.get("DATABRICKS_HOST", "").rstrip("/")
        if not host:
            raise bundle_refs.RefError("${workspace.host} needs DATABRICKS_HOST")
        return host

    def _substitute(self, value: Any, at: tuple) -> Any:
        """Substitute leaf by leaf, so each problem names its own line."""
        if isinstance(value, dict):
            return {k: self._substitute(v, at + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._substitute(v, at + (i,)) for i, v in enumerate(value)]
        if isinstance(value, str):
            try:
                return bundle_refs.substitute(value, self.scope)
            except bundle_refs.RefError as exc:
                self.problem(at, str(exc))
        return value

    def _paths(self, settings: dict, base: tuple, files: str, synced: Optional[SyncSet]) -> None:
        """Relative task paths, resolved against the file that holds them and re-rooted under
        ``files`` as the sync root is; each must be a file the bundle syncs."""
        root = synced.root if synced is not None else self.root.resolve()
        for index, task in enumerate(_tasks(settings)):
            for field_path in PATH_FIELDS:
                *inner, key = field_path
                holder = task
                for part in inner:
                    holder = holder.get(part) if isinstance(holder, dict) else None
                if not isinstance(holder, dict) or not isinstance(holder.get(key), str):
                    continue
                value = holder[key]
                source = holder.get("source") or (task.get(inner[0]) or {}).get("source")
                if value.startswith("/") or "://" in value or source == "GIT" or settings.get("git_source"):
                    continue
                at = base + _task_path(settings, task) + tuple(field_path)
                local = self._local(value, value, at, key, "is_file", synced)
                if local is None:
                    continue
                rel = local.relative_to(root).as_posix()
                name, language = deployed_as(local, rel, local.read_bytes())
                if key == "notebook_path" and not language:
                    self.problem(at, f"notebook_path '{value}': {local.name} is not a notebook (a .ipynb, or a "
                                 "source file whose first line is '# Databricks notebook source', '-- ...' or '// ...')")
                    continue
                name = name if key == "notebook_path" else rel
                holder[key] = f"{files}/{name}"
            for lib_index, library in enumerate(task.get("libraries") or []):
                for kind in ("whl", "jar"):
                    if isinstance(library, dict) and isinstance(library.get(kind), str) \
                            and not library[kind].startswith(("/", "dbfs:", "s3:", "abfss:", "gs:")):
                        self.problem(base + _task_path(settings, task) + ("libraries", lib_index, kind),
                                     f"library {kind} '{library[kind]}' is a local build artifact; streamtest does not "
                                     "build or upload bundle artifacts (give a workspace or volume path)")
        for env_index, environment in enumerate(settings.get("environments") or []):
            spec = environment.get("spec") if isinstance(environment, dict) else None
            for dep_index, dependency in enumerate((spec or {}).get("dependencies") or [] if isinstance(spec, dict) else []):
                if isinstance(dependency, str) and dependency.startswith(("./", "../")):
                    self.problem(base + ("environments", env_index, "spec", "dependencies", dep_index),
                                 f"dependency '{dependency}' is a local build artifact; streamtest does not build or "
                                 "upload bundle artifacts (give a workspace or volume path)")

    def _library_paths(self, settings: dict, base: tuple, files: str, synced: Optional[SyncSet]) -> None:
        """A pipeline's relative ``libraries`` paths (notebook, file; a glob's include), resolved
        against the file that holds them and re-rooted under ``files`` as the tooling syncs them."""
        root = synced.root if synced is not None else self.root.resolve()
        for index, library in enumerate(settings.get("libraries") or []):
            for kind, key in (("notebook", "path"), ("file", "path"), ("glob", "include")):
                holder = library.get(kind) if isinstance(library, dict) else None
                if not isinstance(holder, dict) or not isinstance(holder.get(key), str):
                    continue
                value = holder[key]
                if value.startswith("/") or "://" in value:
                    continue
                at = base + ("libraries", index, kind, key)
                local = self._local(value, value.rstrip("*").rstrip("/"), at, key, "exists", synced)
                if local is None:
                    continue
                rel = local.relative_to(root).as_posix()
                if local.is_dir():
                    holder[key] = f"{files}/{rel}/**" if value.endswith("*") else f"{files}/{rel}"
                    continue
                name, language = deployed_as(local, rel, local.read_bytes())
                holder[key] = f"{files}/{name if kind == 'notebook' else rel}"

    def _local(self, value: str, relative: str, at: tuple, key: str, test: str,
               synced: Optional[SyncSet]) -> Optional[Path]:
        """``relative`` resolved against the YAML file that holds it (at ``at``); None, with the
        problem reported, when ``Path.<test>()`` is false or the bundle does not sync it (the
        deployed job or pipeline would not find it)."""
        written_in = Path(self.where(at)[0]).resolve().parent
        local = Path(os.path.normpath(written_in / relative))
        if not getattr(local, test)():
            self.problem(at, f"{key} '{value}': no file {local} (relative paths are resolved against "
                             f"{written_in}, the folder of the file that holds them)")
            return None
        root = synced.root if synced is not None else self.root.resolve()
        held = synced is None or any(path == local or path.is_relative_to(local) for path, _ in synced.files)
        if not local.is_relative_to(root) or not held:
            self.problem(at, f"{key} '{value}': {local} is not among the files the bundle syncs (sync.paths, "
                             f"sync.exclude and .gitignore decide; the sync root is {root}), so the deployed "
                             "resource would not find it")
            return None
        return local

    def _name_prefix(self, presets: dict, dev: bool) -> str:
        """``presets.name_prefix``, else development mode's ``[dev <short_name>] ``."""
        if "name_prefix" in presets:
            return self._substitute(presets["name_prefix"], ("presets", "name_prefix"))
        if dev:
            return self._substitute("[dev ${workspace.current_user.short_name}] ", ("mode",))
        return ""

    def _pipeline_mode(self, settings: dict, resource: str) -> None:
        """Development mode for a pipeline (deployment-modes): ``development: true`` and the name
        prefix; then this run's own name, as for a job."""
        dev = self.config.data.get("mode") == "development"
        presets = self.config.data.get("presets") or {}
        if dev:
            settings.setdefault("development", True)
        prefix = self._name_prefix(presets, dev)
        settings["name"] = f"{prefix}{settings.get('name') or resource}-{self.run_id}"

    def _mode(self, settings: dict, base: tuple, resource: str) -> None:
        """Development mode and presets, as deployment-modes documents them."""
        mode = self.config.data.get("mode")
        presets = self.config.data.get("presets") or {}
        if mode not in (None, "development", "production"):
            self.problem(("mode",), f"mode must be development or production, not {mode!r}")
        dev = mode == "development"
        cluster = (self.config.data.get("bundle") or {}).get("cluster_id")
        if cluster:
            # development mode's cluster override: every task runs on that all-purpose cluster
            if not dev:
                self.problem(("bundle", "cluster_id"), "cluster_id overrides compute only in mode: development")
            cluster = self._substitute(cluster, ("bundle", "cluster_id"))
            for task in _tasks(settings):
                if any(k in task for k in ("new_cluster", "existing_cluster_id", "job_cluster_key", "environment_key")):
                    for key in ("new_cluster", "job_cluster_key", "environment_key"):
                        task.pop(key, None)
                    task["existing_cluster_id"] = cluster
        prefix = self._name_prefix(presets, dev)
        tags = settings.get("tags") or {}
        tags = dict(tags) if isinstance(tags, dict) else tags
        if isinstance(tags, dict):
            if dev:
                tags.setdefault("dev", self._substitute("${workspace.current_user.short_name}", ("mode",)))
            extra = self._substitute(presets.get("tags") or {}, ("presets", "tags"))
            if isinstance(extra, dict):
                for key, value in extra.items():
                    tags.setdefault(key, value)
            if tags:
                settings["tags"] = tags
        pause = presets.get("trigger_pause_status", "PAUSED" if dev else None)
        if pause:
            for key in ("schedule", "trigger", "continuous"):
                if isinstance(settings.get(key), dict) and "pause_status" not in settings[key]:
                    settings[key]["pause_status"] = pause
        runs = presets.get("jobs_max_concurrent_runs", DEV_CONCURRENT_RUNS if dev else None)
        if runs and not settings.get("max_concurrent_runs"):  # an explicit 1 keeps runs one at a time
            settings["max_concurrent_runs"] = runs
        # streamtest's own job, never the deployed one: the run id keeps parallel runs apart
        settings["name"] = f"{prefix}{settings.get('name') or resource}-{self.run_id}"


def read_bundle(file: Path, resource: str, target: str, *, problems: list[Problem], overrides: Mapping[str, str],
                env: Mapping[str, str], workspace: Optional[Callable[[], Any]], run_root: str, run_id: str,
                resource_at: tuple[str, int], target_at: tuple[str, int], kind: str = "job") -> Optional[Resolved]:
    """Resolve ``resources.jobs.<resource>`` (``kind`` "pipeline": ``resources.pipelines``) of the
    bundle at ``file`` for ``target`` ('' = its default)."""
    reader = BundleReader(file, problems, overrides, env, workspace, run_root, run_id)
    return reader.resolve(resource, target, resource_at, target_at, kind)


def _tasks(settings: dict) -> list[dict]:
    out = []
    for task in settings.get("tasks") or []:
        if isinstance(task, dict):
            out.append(task)
            inner = (task.get("for_each_task") or {}).get("task") if isinstance(task.get("for_each_task"), dict) else None
            if isinstance(inner, dict):
                out.append(inner)
    return out


def _task_path(settings: dict, task: dict) -> tuple:
    for index, item in enumerate(settings.get("tasks") or []):
        if item is task:
            return ("tasks", index)
        if isinstance(item, dict) and isinstance(item.get("for_each_task"), dict) and item["for_each_task"].get("task") is task:
            return ("tasks", index, "for_each_task", "task")
    return ("tasks",)
