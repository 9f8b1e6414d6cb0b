"""Check a raw plan whole and turn it into a ``model.Plan``, reporting every problem at once.

One pass walks the YAML: each string is templated with the context of where it sits
(iterations know ``${iteration.*}``), then typed (durations, booleans, expectations).
Problems are collected, never raised one by one, because a user fixing a plan in CI wants
the full list in one run. Nothing here touches the network.
"""
from __future__ import annotations

import difflib
import posixpath
from pathlib import Path
from typing import Any, Optional

from streamtest import expect, templating
from streamtest.databricks import paths
from streamtest.databricks.paths import UPLOAD_TARGETS
from streamtest.durations import DurationError, format_duration, parse_duration
from streamtest.plan import expected_file, jobsettings, model, pipelinesettings
from streamtest.plan.source import Locations, Problem, load_file
from streamtest.localfiles import deployed_as, local_files

TOP_KEYS = ("version", "name", "mode", "vars", "deploy", "scratch", "job", "pipeline", "start", "compute", "before",
            "setup", "iterations", "after", "teardown", "cleanup")
STEP_KEYS = {
    "notebook": ("parameters", "expect", "within", "timeout"),
    "sql": ("expect", "rows", "within", "timeout"),
    "upload": ("to",),
    "sleep": (),
    "expectation": ("within",),
}
EXPECTATION_KEYS = ("dataset", "name", "passed", "failed")
def _is(path: Path, test: str) -> bool:
    """``path.is_dir()`` / ``is_file()`` / ``exists()``, False for a name the system refuses
    (too long, a NUL byte) instead of an OSError."""
    try:
        return getattr(path, test)()
    except (OSError, ValueError):
        return False


MAX_USER_TAGS = 22  # Databricks allows 25 job tags; streamtest adds 3


class Checker:
    def __init__(self, file: Path, locations: Locations, ctx: templating.Context):
        self.file = file
        self.loc = locations
        self.ctx = ctx
        self.problems: list[Problem] = []
        self.job_from: dict = {}

    # -- reporting ---------------------------------------------------------------------
    def problem(self, path, message: str) -> None:
        file, line = self.loc.of(path)
        self.problems.append(Problem(file, line, message))

    def keys(self, raw: dict, path, allowed, what: str, required=()) -> None:
        for key in raw:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), list(allowed), n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                listing = f"; allowed: {', '.join(allowed)}" if len(allowed) <= 12 else ""
                self.problem(path + (key,), f"unknown key '{key}' in {what}{extra}{listing}")
        for key in required:
            if key not in raw:
                self.problem(path, f"{what} needs '{key}'")

    # -- typed getters (each renders templates first) ----------------------------------
    def render(self, value, path, ctx=None):
        """Template every string inside ``value`` (keys are left as written)."""
        ctx = ctx or self.ctx
        if isinstance(value, str):
            try:
                return templating.render(value, ctx)
            except templating.TemplateError as exc:
                self.problem(path, str(exc))
                return value
        if isinstance(value, dict):
            return {k: self.render(v, path + (k,), ctx) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(v, path + (i,), ctx) for i, v in enumerate(value)]
        return value

    def mapping(self, raw, path, what: str) -> dict:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem(path, f"{what} must be a mapping, not {_kind(raw)}")
            return {}
        return raw

    def sequence(self, raw, path, what: str) -> list:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(path, f"{what} must be a list, not {_kind(raw)}")
            return []
        return raw

    def text(self, raw, path, what: str, ctx=None, required=True) -> str:
        if raw is None and not required:
            return ""
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            self.problem(path, f"{what} must be a string, not {_kind(raw)}")
            return ""
        return self.render(str(raw), path, ctx)

    def duration(self, raw, path, what: str, ctx=None) -> Optional[float]:
        before = len(self.problems)
        value = self.render(raw, path, ctx)
        if len(self.problems) > before:
            return None
        try:
            return parse_duration(value)
        except DurationError as exc:
            self.problem(path, f"{what}: {exc}")
            return None

    def boolean(self, raw, path, what: str, default: bool) -> bool:
        if raw is None:
            return default
        value = self.render(raw, path)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            self.problem(path, f"{what} must be true or false, not {value!r}")
            return default
        return value

    def string_map(self, raw, path, what: str, ctx=None) -> dict:
        out = {}
        for key, value in self.mapping(raw, path, what).items():
            if isinstance(value, (dict, list)):
                self.problem(path + (key,), f"{what} values must be scalars, '{key}' is {_kind(value)}")
                continue
            out[str(key)] = "" if value is None else _scalar_text(self.render(value, path + (key,), ctx))
        return out

    # -- sections ----------------------------------------------------------------------
    def plan(self, raw, job_file_loader, bundle_loader=None) -> Optional[model.Plan]:
        root = ()
        if not isinstance(raw, dict):
            self.problem(root, "a plan must be a YAML mapping (version, job, iterations, ...)")
            return None
        self.keys(raw, root, TOP_KEYS, "the plan")
        if "job" in raw and "pipeline" in raw:
            self.problem(root, "the plan has both 'job' and 'pipeline': give exactly one (what it tests)")
        elif "job" not in raw and "pipeline" not in raw:
            self.problem(root, "the plan needs 'job' (a job under test) or 'pipeline' (a declarative pipeline under test)")
        scratch = self.scratch(raw["scratch"]) if "scratch" in raw else None
        # a scratch section with a problem is reported once, not again at every ${scratch.*}
        self.ctx.scratch = scratch.references() if scratch else (_Unresolved() if "scratch" in raw else {})
        version = raw.get("version", 1)
        if version != 1:
            self.problem(("version",), f"version must be 1, not {version!r}")
        name = self.text(raw.get("name", self.file.stem), ("name",), "name")
        mode = self.text(raw.get("mode", "stream"), ("mode",), "mode")
        if mode not in ("stream", "batch"):
            self.problem(("mode",), f"mode must be stream or batch, not '{mode}'")

        job, pipeline = {}, {}
        kind = "pipeline" if "pipeline" in raw and "job" not in raw else "job"
        if isinstance(raw.get(kind), dict) and "bundle" in raw[kind]:
            settings, deploy = self.bundle_job(raw[kind], raw.get("deploy"), bundle_loader, kind)
        else:
            deploy = self.deploy(raw.get("deploy"))
            settings = self.job(raw.get(kind), name, job_file_loader, kind)
        if kind == "pipeline":
            pipeline = self.pipeline_settings(settings, name, deploy) if settings else {}
            if pipeline:
                # continuous defaults to false (a triggered pipeline), as pipelines/create's does
                implied = "stream" if pipeline.get("continuous") else "batch"
                if "mode" in raw and mode != implied:
                    self.problem(("mode",), f"mode: {mode} contradicts pipeline.continuous: "
                                 f"{str(bool(pipeline.get('continuous'))).lower()} (a continuous pipeline is tested "
                                 "in stream mode, a triggered one in batch mode); leave mode out")
                mode = implied
        else:
            job = settings
        start = self.mapping(raw.get("start"), ("start",), "start")
        self.keys(start, ("start",), ("timeout", "full_refresh") if kind == "pipeline" else ("timeout",), "start")
        start_timeout = self.duration(start.get("timeout", "15m"), ("start", "timeout"), "start.timeout")
        full_refresh = self.boolean(start.get("full_refresh"), ("start", "full_refresh"), "start.full_refresh", False)

        compute_raw = self.mapping(raw.get("compute"), ("compute",), "compute")
        self.keys(compute_raw, ("compute",), ("warehouse_id", "cluster_id", "new_cluster"), "compute")
        compute = model.Compute(
            warehouse_id=self.text(compute_raw.get("warehouse_id"), ("compute", "warehouse_id"),
                                   "compute.warehouse_id", required=False),
            cluster_id=self.text(compute_raw.get("cluster_id"), ("compute", "cluster_id"),
                                 "compute.cluster_id", required=False),
            new_cluster=self.render(self.mapping(compute_raw.get("new_cluster"), ("compute", "new_cluster"),
                                                 "compute.new_cluster"), ("compute", "new_cluster")))
        if compute.cluster_id and compute.new_cluster:
            self.problem(("compute", "new_cluster"), "compute: give cluster_id or new_cluster, not both")

        before = self.steps(raw.get("before"), ("before",), "before")
        setup = self.steps(raw.get("setup"), ("setup",), "setup")
        iterations = self.iterations(raw.get("iterations"))
        after = self.steps(raw.get("after"), ("after",), "after")
        teardown = self.steps(raw.get("teardown"), ("teardown",), "teardown")
        cleanup = self.cleanup(raw.get("cleanup"))

        plan = model.Plan(file=self.file, name=name, mode=mode, run_id=self.ctx.run_id,
                          vars=dict(self.ctx.vars), job=job, deploy=deploy,
                          start_timeout=start_timeout or 0.0, compute=compute, before=before,
                          setup=setup, iterations=iterations, after=after, cleanup=cleanup,
                          scratch=scratch, teardown=teardown, job_from=self.job_from, pipeline=pipeline,
                          full_refresh=full_refresh)
        self.cross_checks(plan)
        return plan

    def deploy(self, raw) -> Optional[model.Deploy]:
        if raw is None:
            return None
        path = ("deploy",)
        raw = self.mapping(raw, path, "deploy")
        self.keys(raw, path, ("from", "to"), "deploy", required=("from", "to"))
        source = self.text(raw.get("from"), path + ("from",), "deploy.from") if "from" in raw else ""
        to = self.text(raw.get("to"), path + ("to",), "deploy.to") if "to" in raw else ""
        folder = (self.file.parent / source) if source else None
        if folder is not None and not _is(folder, "is_dir"):
            self.problem(path + ("from",), f"deploy.from: no folder {folder}")
            folder = None              # reported; the cross-checks have no folder to look in
        elif folder is not None:
            self.confined(folder, path + ("from",), "deploy.from")
        if to and not to.startswith("/"):
            self.problem(path + ("to",), f"deploy.to must be an absolute workspace path, not '{to}'")
        elif to and paths.is_top_level(to):
            self.problem(path + ("to",), f"deploy.to '{to}' is a top-level folder; deploy into a folder of its own")
        return model.Deploy(folder, to, files=local_files(folder)) if folder and to else None

    def scratch(self, raw) -> Optional[model.Scratch]:
        """``scratch: {catalog, schema, volumes}``, rendered before everything else that may
        refer to it (with vars, env and run.id; not with ``${scratch.*}``)."""
        path = ("scratch",)
        if raw is None:
            self.problem(path, "scratch needs 'catalog' and 'schema'")
            return None
        raw = self.mapping(raw, path, "scratch")
        self.keys(raw, path, ("catalog", "schema", "volumes"), "scratch", required=("catalog", "schema"))
        before = len(self.problems)
        names = {key: self.uc_name(raw.get(key), path + (key,), f"scratch.{key}")
                 for key in ("catalog", "schema") if key in raw}
        volumes: list[str] = []
        for index, item in enumerate(self.sequence(raw.get("volumes"), path + ("volumes",), "scratch.volumes")):
            name = self.uc_name(item, path + ("volumes", index), "a scratch volume")
            if name and name in volumes:
                self.problem(path + ("volumes", index), f"scratch.volumes names '{name}' twice")
            elif name:
                volumes.append(name)
        if len(self.problems) > before or len(names) < 2:
            return None
        file, line = self.loc.of(path)
        return model.Scratch(names["catalog"], names["schema"], tuple(volumes), f"{file}:{line}")

    def uc_name(self, raw, path, what: str) -> str:
        """A Unity Catalog name streamtest will create or use, lower-cased as Unity Catalog
        stores it; one that would need quoting in SQL is a problem now, not a failed run."""
        before = len(self.problems)
        value = self.text(raw, path, what)
        if len(self.problems) > before:
            return ""
        if not paths.UC_NAME.fullmatch(value):
            self.problem(path, f"{what} '{value}' is not a valid name: letters, digits and _, starting with a "
                         "letter or _, at most 255 (it is used unquoted in SQL and in /Volumes paths)")
            return ""
        return value.lower()

    def job(self, raw, plan_name: str, job_file_loader, kind: str = "job") -> dict:
        """``job:`` / ``pipeline:`` as written or ``{file: NAME}``, templated; a job's settings
        are checked here, a pipeline's by ``pipeline_settings`` (which needs the deploy)."""
        path = (kind,)
        if raw is None:
            return {}
        if isinstance(raw, dict) and set(raw) == {"file"}:
            name = self.text(raw["file"], path + ("file",), f"{kind}.file")
            loaded = job_file_loader(name, path + ("file",), self, kind) if name else None
            if loaded is None:
                return {}
            raw = loaded
        if not isinstance(raw, dict):
            what = "job settings" if kind == "job" else "pipeline settings (the pipelines/create body)"
            self.problem(path, f"{kind} must be a mapping of {what}, not {_kind(raw)}")
            return {}
        settings = self.render(raw, path)
        if "file" in settings:
            self.problem(path + ("file",), f"{kind}: {{file: ...}} cannot be mixed with other {kind} settings")
        return self.job_settings(settings, plan_name) if kind == "job" else settings

    def pipeline_settings(self, pipeline: dict, plan_name: str, deploy: Optional[model.Deploy]) -> dict:
        """Check a pipelines/create body however it was written (in the plan, a file, a
        bundle). A library path that is not absolute names a file of the deploy: it becomes
        ``deploy.to/PATH``, as the workspace stores it."""
        path = ("pipeline",)
        self.keys(pipeline, path, pipelinesettings.PIPELINE_SETTINGS, "pipeline settings")
        libraries = pipeline.get("libraries")
        if not isinstance(libraries, list) or not libraries:
            self.problem(path, "pipeline needs a non-empty 'libraries' list (its source: notebook, file or glob)")
        else:
            for index, library in enumerate(libraries):
                at = path + ("libraries", index)
                if not isinstance(library, dict) or len(library) != 1:
                    self.problem(at, "each library is one of " + ", ".join(pipelinesettings.LIBRARY)
                                 + " (e.g. {notebook: {path: ...}})")
                    continue
                self.keys(library, at, pipelinesettings.LIBRARY, "a library")
                (kind, value), = library.items()
                key = pipelinesettings.LIBRARY_PATH.get(kind)
                if key is None:
                    continue
                if not isinstance(value, dict) or not isinstance(value.get(key), str) or not value.get(key):
                    self.problem(at + (kind,), f"a {kind} library needs {{{key}: ...}}")
                    continue
                self.keys(value, at + (kind,), (key,), f"a {kind} library")
                if not value[key].startswith("/"):
                    if not deploy:
                        self.problem(at + (kind, key), f"{kind} {key} '{value[key]}' is relative: give an absolute "
                                     "workspace path, or a deploy section it is relative to")
                        continue
                    value[key] = posixpath.join(deploy.to.rstrip("/"), value[key])
        for index, cluster in enumerate(pipeline.get("clusters") or [] if isinstance(pipeline.get("clusters"), list) else []):
            if isinstance(cluster, dict):
                self.keys(cluster, path + ("clusters", index), pipelinesettings.CLUSTER, "a pipeline cluster")
        if pipeline.get("schema") and pipeline.get("target"):
            self.problem(path + ("target",), "pipeline: give schema or target (its older name), not both")
        for key in ("schema", "target"):
            if isinstance(pipeline.get(key), str) and "." in pipeline[key]:
                self.problem(path + (key,), f"pipeline.{key} '{pipeline[key]}' names a catalog too: give the "
                             "schema's own name (with scratch: ${scratch.schema_name}) and the catalog in "
                             "pipeline.catalog")
        for key, allowed in (("edition", pipelinesettings.EDITIONS), ("channel", pipelinesettings.CHANNELS)):
            value = pipeline.get(key)
            if value is not None and str(value).upper() not in allowed:
                hint = difflib.get_close_matches(str(value).upper(), list(allowed), n=1)
                self.problem(path + (key,), f"pipeline.{key} must be one of {', '.join(allowed)}, not {value!r}"
                             + (f" (did you mean '{hint[0]}'?)" if hint else ""))
        for key in ("continuous", "development", "serverless", "photon"):
            if key in pipeline:
                pipeline[key] = self.boolean(pipeline[key], path + (key,), f"pipeline.{key}", False)
        if "configuration" in pipeline:
            pipeline["configuration"] = self.string_map(pipeline["configuration"], path + ("configuration",),
                                                        "pipeline.configuration")
        self.user_tags(pipeline, "pipeline")
        if "name" not in pipeline:
            pipeline["name"] = f"{plan_name}-{self.ctx.run_id}"
        elif not isinstance(pipeline["name"], str) or not pipeline["name"]:
            self.problem(path + ("name",), "pipeline.name must be a non-empty string")
        return pipeline

    def user_tags(self, settings: dict, kind: str) -> None:
        """The plan's own tags: a mapping, few enough for streamtest's 3, none of streamtest's."""
        path = (kind,)
        tags = settings.get("tags", {})
        if not isinstance(tags, dict):
            self.problem(path + ("tags",), f"{kind}.tags must be a mapping")
        elif len(tags) > MAX_USER_TAGS:
            self.problem(path + ("tags",), f"{kind}.tags has {len(tags)} tags; at most {MAX_USER_TAGS} "
                         "(streamtest adds 3 of Databricks' 25)")
        elif any(str(k).startswith("streamtest") for k in tags):
            self.problem(path + ("tags",), f"{kind}.tags must not set streamtest* tags; streamtest sets them")

    def job_settings(self, job: dict, plan_name: str) -> dict:
        """Check JobSettings however they were written (in the plan, a job file, a bundle)."""
        path = ("job",)
        self.keys(job, path, jobsettings.JOB_SETTINGS, "job settings")
        tasks = job.get("tasks")
        if not isinstance(tasks, list) or not tasks:
            self.problem(path, "job needs a non-empty 'tasks' list")
        else:
            for index, task in enumerate(tasks):
                if not isinstance(task, dict) or not task.get("task_key"):
                    self.problem(path + ("tasks", index), "every task needs a task_key")
                    continue
                self.keys(task, path + ("tasks", index), jobsettings.TASK, "a task")
                notebook = task.get("notebook_task")
                if isinstance(notebook, dict):
                    self.keys(notebook, path + ("tasks", index, "notebook_task"),
                              jobsettings.NOTEBOOK_TASK, "notebook_task")
        self.user_tags(job, "job")
        timeout = job.get("timeout_seconds")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0):
            self.problem(path + ("timeout_seconds",), "job.timeout_seconds must be a whole number of seconds")
        if "name" not in job:
            job["name"] = f"{plan_name}-{self.ctx.run_id}"
        elif not isinstance(job["name"], str) or not job["name"]:
            self.problem(path + ("name",), "job.name must be a non-empty string")
        return job

    def bundle_job(self, raw: dict, deploy_raw, bundle_loader, kind: str = "job") -> tuple[dict, Optional[model.Deploy]]:
        """``job|pipeline: {bundle, resource, target}``: the bundle's own ``${...}`` is resolved by
        ``plan.bundle`` (never by plan templating); the plan's ``deploy`` may only say where
        this run's copy of the bundle's files goes (``to``, the run's ``workspace.root_path``).
        A pipeline's settings are returned unchecked (``pipeline_settings`` checks them)."""
        path = (kind,)
        self.keys(raw, path, ("bundle", "resource", "target", "variables"), f"{kind} (from a bundle)",
                  required=("bundle", "resource"))
        # the plan's values for bundle variables (as a CI script's --var), in plan templating:
        # how a run's ${scratch.schema} reaches the bundle's ${var.schema}
        variables = self.string_map(raw.get("variables"), path + ("variables",), f"{kind}.variables")
        deploy = self.mapping(deploy_raw, ("deploy",), "deploy")
        self.keys(deploy, ("deploy",), ("to",), f"deploy (with {kind}.bundle the bundle's files are deployed)")
        to = self.text(deploy.get("to", "/Workspace/Shared/streamtest/${run.id}"), ("deploy", "to"), "deploy.to")
        if not to.startswith("/"):
            self.problem(("deploy", "to"), f"deploy.to must be an absolute workspace path, not '{to}'")
        elif paths.is_top_level(to):
            self.problem(("deploy", "to"), f"deploy.to '{to}' is a top-level folder; deploy into a folder of its own")
        if "bundle" not in raw or "resource" not in raw or bundle_loader is None:
            return {}, None
        name = self.text(raw["bundle"], path + ("bundle",), f"{kind}.bundle")
        resource = self.text(raw["resource"], path + ("resource",), f"{kind}.resource")
        target = self.text(raw.get("target"), path + ("target",), f"{kind}.target", required=False)
        bundle_file = self.file.parent / name
        if bundle_file.is_dir():
            bundle_file = bundle_file / "databricks.yml"
        if not bundle_file.is_file():
            self.problem(path + ("bundle",), f"{kind}.bundle: no file {bundle_file}")
            return {}, None
        resolved = bundle_loader(bundle_file, resource, target, self, to, variables,
                                 self.loc.of(path + ("resource",)), self.loc.of(path + ("target",)), kind)
        if resolved is None:
            return {}, None
        for name in variables:
            if name not in resolved.declared:
                self.problem(path + ("variables", name), f"{kind}.variables: the bundle declares no variable '{name}' "
                             f"(it declares: {', '.join(resolved.declared) or 'none'})")
        self.loc.graft(path, Locations(str(bundle_file), resolved.where))
        self.job_from = {"bundle": str(bundle_file), "resource": resource, "target": resolved.target}
        job = self.job_settings(resolved.settings, resource) if kind == "job" else resolved.settings
        if resolved.sync is None:
            return job, None
        # a step's notebook anywhere under the run's file_path must be one this deploy makes
        return job, model.Deploy(resolved.sync.root, resolved.deploy_to, scope=resolved.deploy_to,
                                 files=resolved.sync.files)

    def iterations(self, raw) -> list[model.Iteration]:
        out = []
        for index, item in enumerate(self.sequence(raw, ("iterations",), "iterations")):
            path = ("iterations", index)
            item = self.mapping(item, path, "an iteration")
            self.keys(item, path, ("name", "produce", "validate"), "an iteration")
            number = index + 1
            name = self.text(item.get("name", f"iteration {number}"), path + ("name",), "iteration name")
            ctx = self.ctx.with_iteration(number, name)
            produce = self.steps(item.get("produce"), path + ("produce",), "produce", ctx)
            validate = self.steps(item.get("validate"), path + ("validate",), "validate", ctx)
            out.append(model.Iteration(number, name, produce, validate))
        return out

    def cleanup(self, raw) -> model.CleanupPolicy:
        path = ("cleanup",)
        raw = self.mapping(raw, path, "cleanup")
        self.keys(raw, path, ("delete_job", "delete_deployed", "timeout"), "cleanup")
        timeout = self.duration(raw.get("timeout", "5m"), path + ("timeout",), "cleanup.timeout")
        return model.CleanupPolicy(
            delete_job=self.boolean(raw.get("delete_job"), path + ("delete_job",), "cleanup.delete_job", True),
            delete_deployed=self.boolean(raw.get("delete_deployed"), path + ("delete_deployed",),
                                         "cleanup.delete_deployed", True),
            timeout=timeout if timeout is not None else 300.0)

    # -- steps -------------------------------------------------------------------------
    def steps(self, raw, path, phase: str, ctx=None) -> list[model.Step]:
        out = []
        for index, item in enumerate(self.sequence(raw, path, phase)):
            step = self.step(item, path + (index,), ctx or self.ctx)
            if step is not None:
                out.append(step)
        return out

    def step(self, raw, path, ctx) -> Optional[model.Step]:
        if not isinstance(raw, dict):
            self.problem(path, f"a step must be a mapping with one of {', '.join(model.KINDS)}, not {_kind(raw)}")
            return None
        kinds = [k for k in model.KINDS if k in raw]
        if not kinds:
            self.keys(raw, path, ("name",) + model.KINDS + sum(STEP_KEYS.values(), ()), "a step")
            self.problem(path, f"step has no kind: give exactly one of {', '.join(model.KINDS)}")
            return None
        if len(kinds) > 1:
            self.problem(path, f"step has {len(kinds)} kinds ({', '.join(kinds)}): give exactly one")
            return None
        kind = kinds[0]
        allowed = ("name", kind) + STEP_KEYS[kind]
        for key in raw:
            if key not in allowed and any(key in keys for keys in STEP_KEYS.values()):
                self.problem(path + (key,), f"'{key}' is not allowed on {_a(kind)} step")
        self.keys({k: v for k, v in raw.items() if not any(k in keys for keys in STEP_KEYS.values())},
                  path, allowed, f"{_a(kind)} step")
        file, line = self.loc.of(path)
        step = model.Step(kind=kind, name="", where=f"{file}:{line}")
        value_path = path + (kind,)
        if kind == "notebook":
            step.notebook = self.text(raw[kind], value_path, "notebook", ctx)
            if step.notebook and not step.notebook.startswith("/"):
                self.problem(value_path, f"notebook must be an absolute workspace path, not '{step.notebook}'")
            step.parameters = self.string_map(raw.get("parameters"), path + ("parameters",), "parameters", ctx)
            if "expect" in raw:
                step.expect = self.render(raw["expect"], path + ("expect",), ctx)
                if isinstance(step.expect, dict) and set(step.expect) <= {"file", "ordered", "tolerance"} \
                        and "file" in step.expect:
                    self.problem(path + ("expect",), "expect: {file: ...} compares a query's rows: use it on a sql "
                                 "step (a notebook's exit value is compared with expect as written)")
        elif kind == "sql":
            step.sql = self.text(raw[kind], value_path, "sql", ctx)
            if not step.sql.strip():
                self.problem(value_path, "sql must not be empty")
            if "expect" in raw:
                step.expect = self.sql_expect(self.render(raw["expect"], path + ("expect",), ctx),
                                              path + ("expect",))
                if isinstance(raw["expect"], dict) and "file" in raw["expect"]:
                    step.expect = self.expected_rows(step.expect, path + ("expect",))
            if "rows" in raw:
                step.rows = self.row_count(self.render(raw["rows"], path + ("rows",), ctx), path + ("rows",))
        elif kind == "upload":
            source = self.text(raw[kind], value_path, "upload", ctx)
            step.source = self.file.parent / source
            if source and not _is(step.source, "exists"):
                self.problem(value_path, f"upload: no file or folder {step.source}")
            elif source:
                self.confined(step.source, value_path, "upload")
            if "to" not in raw:
                self.problem(path, "an upload step needs 'to' (a /Volumes/, dbfs:/ or /Workspace/ folder)")
            else:
                step.to = self.text(raw["to"], path + ("to",), "to", ctx)
                if step.to and not step.to.startswith(UPLOAD_TARGETS):
                    self.problem(path + ("to",), f"upload to '{step.to}': the destination must start with "
                                 + ", ".join(UPLOAD_TARGETS))
        elif kind == "sleep":
            step.seconds = self.duration(raw[kind], value_path, "sleep", ctx) or 0.0
        elif kind == "expectation":
            self.expectation(step, self.render(raw[kind], value_path, ctx), value_path)
        for key in ("within", "timeout"):
            if key in raw and key in STEP_KEYS[kind]:
                setattr(step, key, self.duration(raw[key], path + (key,), key, ctx))
        step.name = (self.text(raw["name"], path + ("name",), "step name", ctx)
                     if "name" in raw else default_name(step))
        return step

    def expectation(self, step: model.Step, value, path) -> None:
        """``expectation: {dataset, name, passed, failed}``: counts of the pipeline's event log,
        each a whole number or a comparison such as {">=": 5}; at least one of them."""
        if not isinstance(value, dict):
            self.problem(path, f"expectation must be a mapping {{dataset, name, passed, failed}}, not {_kind(value)}")
            return
        self.keys(value, path, EXPECTATION_KEYS, "expectation", required=("dataset", "name"))
        step.dataset = self.text(value.get("dataset"), path + ("dataset",), "expectation.dataset") \
            if "dataset" in value else ""
        step.expectation = self.text(value.get("name"), path + ("name",), "expectation.name") if "name" in value else ""
        for key in ("passed", "failed"):
            if key in value:
                count = self.row_count(value[key], path + (key,), f"expectation.{key}")
                if count is not model.UNSET:
                    step.counts[key] = count
        if not any(key in value for key in ("passed", "failed")):
            self.problem(path, "expectation needs 'passed' or 'failed' (a count, or a comparison such as {\">=\": 5})")

    def expected_rows(self, value: dict, path) -> Any:
        """``{file, ordered, tolerance}``: rows read from a file beside the plan, checked now."""
        self.keys(value, path, ("file", "ordered", "tolerance"), "expect (rows from a file)")
        name = self.text(value.get("file"), path + ("file",), "expect.file")
        ordered = self.boolean(value.get("ordered"), path + ("ordered",), "expect.ordered", False)
        tolerance = expect.number(value.get("tolerance", 0))
        if tolerance is None or tolerance < 0:
            self.problem(path + ("tolerance",), f"expect.tolerance must be a number >= 0, not {value.get('tolerance')!r}")
            tolerance = 0
        local = self.file.parent / name
        if not name:
            return model.UNSET
        if not _is(local, "is_file"):
            self.problem(path + ("file",), f"expect.file: no file {local}")
            return model.UNSET
        if not self.confined(local, path + ("file",), "expect.file"):
            return model.UNSET
        rows, problems = expected_file.load(local, str(local))
        self.problems.extend(problems)
        if rows is None:
            return model.UNSET
        rows.file, rows.ordered, rows.tolerance = name, ordered, float(tolerance)
        return rows

    def sql_expect(self, value, path):
        """Scalar, list of rows, or {op: value}; values are kept as given, compared later."""
        if isinstance(value, dict) and "file" in value:
            return value
        if isinstance(value, dict):
            if not value:
                self.problem(path, "expect: an empty mapping; use a comparison such as {\">=\": 10}")
            for op, operand in value.items():
                if op not in expect.OPS:
                    self.problem(path + (op,), f"expect: unknown comparison '{op}'; use one of "
                                 + ", ".join(expect.OPS))
                elif isinstance(operand, (dict, list)):
                    self.problem(path + (op,), f"expect: the value compared with '{op}' must be a scalar")
                elif op not in ("==", "!=") and expect.number(operand) is None:
                    self.problem(path + (op,), f"expect: '{op}' needs a number, not {operand!r}")
            return value
        if isinstance(value, list):
            for index, row in enumerate(value):
                cells = row if isinstance(row, list) else [row]
                if any(isinstance(c, (dict, list)) for c in cells):
                    self.problem(path + (index,), "expect: each row is a list of scalars (or one scalar)")
            return value
        return value

    def row_count(self, value, path, what: str = "rows"):
        if isinstance(value, dict):
            self.sql_expect(value, path)
            return value
        number = expect.number(value)
        if number is None or number < 0 or number != int(number):
            self.problem(path, f"{what} must be a whole number or a comparison such as {{\">=\": 1}}, not {value!r}")
            return model.UNSET
        return int(number)

    def confined(self, local: Path, path, what: str) -> bool:
        """Only files under the plan's folder may leave the machine: a source (or a link inside
        it) that resolves elsewhere is a problem, however it got there (``..``, an absolute path,
        a symlink)."""
        base = self.file.parent.resolve()
        inside = local.resolve().is_relative_to(base)
        if inside and _is(local, "is_dir"):
            escaping = next((p for p, _ in local_files(local) if not p.resolve().is_relative_to(base)), None)
            if escaping is not None:
                self.problem(path, f"{what}: {escaping} links outside the plan's folder {base}")
                return False
        elif not inside:
            self.problem(path, f"{what}: {local} is outside the plan's folder {base}")
        return inside

    def cross_checks(self, plan: model.Plan) -> None:
        if not plan.pipeline:
            for step in (s for s in plan.all_steps() if s.kind == "expectation"):
                file, line = step.where.rsplit(":", 1)
                self.problems.append(Problem(file, int(line), "an expectation step reads a pipeline's event log: "
                                             "it needs a 'pipeline' section"))
        if any(s.kind == "sql" for s in plan.all_steps()) and not plan.compute.warehouse_id:
            first = next(s for s in plan.all_steps() if s.kind == "sql")
            file, line = first.where.rsplit(":", 1)
            self.problems.append(Problem(file, int(line), "sql steps need compute.warehouse_id"))
        for step in plan.all_steps():
            if step.kind == "upload" and step.source and _is(step.source, "is_dir") and not any(step.source.rglob("*")):
                file, line = step.where.rsplit(":", 1)
                self.problems.append(Problem(file, int(line), f"upload: folder {step.source} is empty"))
        self.deployed_notebooks(plan)

    def deployed_notebooks(self, plan: model.Plan) -> None:
        """A notebook path under ``deploy.to`` must name a notebook the deploy imports: a typo
        there would otherwise surface minutes later as a failed run."""
        if not plan.deploy:
            return
        target = plan.deploy.to.rstrip("/")
        made = {f"{target}/{deployed_as(p, rel, p.read_bytes())[0]}" for p, rel in plan.deploy.files}
        wanted = [(s.notebook, None, s) for s in plan.all_steps() if s.kind == "notebook"]
        tasks = plan.job.get("tasks")   # already reported when it is not a list
        for index, task in enumerate(tasks if isinstance(tasks, list) else []):
            notebook = (task.get("notebook_task") or {}) if isinstance(task, dict) else {}
            if isinstance(notebook, dict) and isinstance(notebook.get("notebook_path"), str):
                wanted.append((notebook["notebook_path"], ("job", "tasks", index, "notebook_task", "notebook_path"), None))
        libraries = plan.pipeline.get("libraries")
        for index, library in enumerate(libraries if isinstance(libraries, list) else []):
            for kind in ("notebook", "file"):
                value = (library.get(kind) or {}) if isinstance(library, dict) else {}
                if isinstance(value, dict) and isinstance(value.get("path"), str):
                    wanted.append((value["path"], ("pipeline", "libraries", index, kind, "path"), None))
        scope = paths.workspace_relative((plan.deploy.scope or target).rstrip("/"))
        for notebook, at, step in wanted:
            relative = paths.workspace_relative(notebook.rstrip("/"))
            base = paths.workspace_relative(target)
            if not relative.startswith(scope + "/"):
                continue
            if not any(paths.same_object(notebook, made_path) for made_path in made):
                names = sorted(m[len(target) + 1:] for m in made)
                hint = difflib.get_close_matches(relative[len(base) + 1:] if relative.startswith(base + "/")
                                                 else relative, names, n=1)
                what = "file" if at and at[0] == "pipeline" and at[3] == "file" else "notebook"
                message = (f"{what} {notebook} is under deploy.to but {plan.deploy.source.name}/ deploys no such "
                           f"{what}" + (f" (did you mean {target}/{hint[0]}?)" if hint else
                                          f"; it deploys: {', '.join(names[:8]) or 'nothing'}"))
                if step is not None:
                    file, line = step.where.rsplit(":", 1)
                    self.problems.append(Problem(file, int(line), message))
                else:
                    self.problem(at, message)


class _Unresolved(dict):
    """``${scratch.*}`` of a scratch section that has a problem: kept as written."""

    def __contains__(self, key) -> bool:
        return True

    def __getitem__(self, key) -> str:
        return "${" + key + "}"


def default_name(step: model.Step) -> str:
    """A readable name for steps the plan left unnamed (shown in reports)."""
    if step.kind == "notebook":
        return f"notebook {step.notebook}"
    if step.kind == "sql":
        text = " ".join(step.sql.split())
        return f"sql {text[:60]}{'...' if len(text) > 60 else ''}"
    if step.kind == "upload":
        return f"upload {step.source.name if step.source else ''} to {step.to}"
    if step.kind == "expectation":
        wanted = ", ".join(f"{k} {expect.show(v)}" for k, v in step.counts.items())
        return f"expectation {step.dataset}.{step.expectation}: {wanted}"
    return f"sleep {format_duration(step.seconds)}"


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _scalar_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def load_job_file(name: str, path, checker: Checker, kind: str = "job"):
    """Read ``job|pipeline: {file: NAME}`` relative to the plan; its lines are reported in its own file."""
    job_path = checker.file.parent / name
    if not _is(job_path, "is_file"):
        checker.problem(path, f"{kind}.file: no file {job_path}")
        return None
    if not checker.confined(job_path, path, f"{kind}.file"):
        return None
    data, locations = load_file(job_path, f"the {kind} file", checker.problems)
    if locations is not None:
        checker.loc.graft((kind,), locations)
    return data


def bundle_loader(overrides, env, workspace):
    """The reader ``Checker.bundle_job`` calls, holding what only the command line knows."""
    from streamtest.plan.bundle import read_bundle

    def load(bundle_file, resource, target, checker: Checker, run_root, variables, resource_at, target_at,
             kind="job"):
        # --var on the command line wins over the plan's variables for the bundle, as over everything else
        return read_bundle(bundle_file, resource, target, problems=checker.problems,
                           overrides={**variables, **overrides}, env=env,
                           workspace=workspace, run_root=run_root, run_id=checker.ctx.run_id,
                           resource_at=resource_at, target_at=target_at, kind=kind)
    return load
