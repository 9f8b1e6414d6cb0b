"""The checked, fully templated plan the runner executes. Plain data, no behaviour.

Every field is already of the right type (durations in seconds, strings rendered), so the
runner never re-validates and never sees a raw YAML value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

UNSET = object()  # "no expectation given" (None would mean "expect SQL NULL")

KINDS = ("notebook", "sql", "upload", "sleep", "expectation")


@dataclass
class Step:
    kind: str                     # one of KINDS
    name: str
    where: str                    # "FILE:LINE" of the step, for messages
    notebook: str = ""            # kind notebook: workspace path
    parameters: dict = field(default_factory=dict)
    sql: str = ""                 # kind sql: statement text
    source: Optional[Path] = None  # kind upload: local file or folder
    to: str = ""                  # kind upload: destination folder
    seconds: float = 0.0          # kind sleep
    expect: Any = UNSET           # notebook exit value or sql expectation
    rows: Any = UNSET             # kind sql: int or {op: int}
    dataset: str = ""             # kind expectation: the pipeline's dataset
    expectation: str = ""         # kind expectation: the expectation's name
    counts: dict = field(default_factory=dict)  # kind expectation: {passed|failed: int or {op: int}}
    within: Optional[float] = None  # retry until it passes, up to this many seconds
    timeout: Optional[float] = None  # one attempt's limit (notebook run, sql statement)


@dataclass
class ExpectedRows:
    """``expect: {file: ...}``: the rows a query should return, as the file wrote them."""
    file: str                     # as shown in messages (relative to the plan's folder)
    columns: tuple                # header names, in the file's order
    rows: list                    # tuples of cells: str | int | float | bool | None
    ordered: bool = False         # compare in order (default: as a multiset)
    tolerance: float = 0.0        # numbers within this absolute difference are equal


@dataclass
class Iteration:
    number: int
    name: str
    produce: list[Step]
    validate: list[Step]


@dataclass
class Deploy:
    source: Path                  # local folder
    to: str                       # workspace folder
    scope: str = ""               # notebooks under this folder must be deployed ones (default: ``to``)
    files: list = field(default_factory=list)  # (local file, posix path under ``to``): what is sent


@dataclass
class Compute:
    warehouse_id: str = ""
    cluster_id: str = ""          # an all-purpose cluster for notebook steps
    new_cluster: dict = field(default_factory=dict)  # or a new cluster per run; neither: serverless


@dataclass
class Scratch:
    """``scratch:``: a schema of its own for one test run, created after deploy and dropped
    with everything in it once the job's run has ended. Names are lower-cased, as Unity
    Catalog stores them, so ``${scratch.schema}`` reads what the workspace shows."""
    catalog: str
    schema: str                   # the schema's own name (without the catalog)
    volumes: tuple = ()           # volume names, created in it in this order
    where: str = ""               # "FILE:LINE" of the section

    @property
    def full_name(self) -> str:
        return f"{self.catalog}.{self.schema}"

    def volume_path(self, volume: str) -> str:
        return f"/Volumes/{self.catalog}/{self.schema}/{volume}"

    def references(self) -> dict:
        """What ``${scratch.*}`` resolves to (templating.Context.scratch)."""
        return {"scratch.catalog": self.catalog, "scratch.schema": self.full_name, "scratch.schema_name": self.schema,
                **{f"scratch.volume.{v}": self.volume_path(v) for v in self.volumes}}


@dataclass
class CleanupPolicy:
    delete_job: bool = True
    delete_deployed: bool = True
    timeout: float = 300.0


@dataclass
class Plan:
    file: Path
    name: str
    mode: str                     # stream | batch
    run_id: str
    vars: dict
    job: dict                     # JobSettings for jobs/create (without streamtest's tags); {} for a pipeline
    deploy: Optional[Deploy] = None
    start_timeout: float = 900.0
    compute: Compute = field(default_factory=Compute)
    before: list[Step] = field(default_factory=list)
    setup: list[Step] = field(default_factory=list)
    iterations: list[Iteration] = field(default_factory=list)
    after: list[Step] = field(default_factory=list)
    cleanup: CleanupPolicy = field(default_factory=CleanupPolicy)
    scratch: Optional[Scratch] = None
    teardown: list[Step] = field(default_factory=list)  # after the job's run ended, before the drop
    job_from: dict = field(default_factory=dict)  # {bundle, resource, target} when the job/pipeline came from a bundle
    pipeline: dict = field(default_factory=dict)  # the pipelines/create body instead of a job (without tags)
    full_refresh: bool = False    # start.full_refresh: every update of the pipeline resets its tables

    @property
    def under_test(self) -> str:
        """What the plan tests: "pipeline" (a declarative pipeline) or "job"."""
        return "pipeline" if self.pipeline else "job"

    @property
    def base_dir(self) -> Path:
        return self.file.parent

    def all_steps(self) -> list[Step]:
        steps = list(self.before) + list(self.setup) + list(self.after) + list(self.teardown)
        for iteration in self.iterations:
            steps += iteration.produce + iteration.validate
        return steps


def describe(plan: Plan) -> dict:
    """The resolved plan as plain data for ``streamtest check`` (unset fields left out)."""
    def step(s: Step) -> dict:
        out: dict = {"name": s.name, s.kind: {"notebook": s.notebook, "sql": s.sql, "sleep": s.seconds,
                                              "upload": str(s.source),
                                              "expectation": {"dataset": s.dataset, "name": s.expectation,
                                                              **s.counts}}[s.kind]}
        if s.kind == "upload":
            out["to"] = s.to
        if s.parameters:
            out["parameters"] = dict(s.parameters)
        for key in ("expect", "rows"):
            if isinstance(getattr(s, key), ExpectedRows):
                rows = getattr(s, key)
                out[key] = {"file": rows.file, "ordered": rows.ordered, "tolerance": rows.tolerance,
                            "rows": len(rows.rows)}
            elif getattr(s, key) is not UNSET:
                out[key] = getattr(s, key)
        for key in ("within", "timeout"):
            if getattr(s, key) is not None:
                out[key] = getattr(s, key)
        return out

    out: dict = {"version": 1, "name": plan.name, "mode": plan.mode, "run_id": plan.run_id,
                 "vars": dict(plan.vars)}
    if plan.deploy:
        out["deploy"] = {"from": str(plan.deploy.source), "to": plan.deploy.to}
    if plan.scratch:
        out["scratch"] = {"catalog": plan.scratch.catalog, "schema": plan.scratch.full_name,
                          "volumes": {v: plan.scratch.volume_path(v) for v in plan.scratch.volumes}}
    if plan.job_from:
        out["job_from"] = dict(plan.job_from)
    if plan.pipeline:
        out["pipeline"] = plan.pipeline
        out["start"] = {"timeout": plan.start_timeout, "full_refresh": plan.full_refresh}
    else:
        out["job"] = plan.job
        out["start"] = {"timeout": plan.start_timeout}
    out["compute"] = {"warehouse_id": plan.compute.warehouse_id, "cluster_id": plan.compute.cluster_id}
    if plan.compute.new_cluster:
        out["compute"]["new_cluster"] = plan.compute.new_cluster
    out["before"] = [step(s) for s in plan.before]
    out["setup"] = [step(s) for s in plan.setup]
    out["iterations"] = [{"name": it.name, "produce": [step(s) for s in it.produce],
                          "validate": [step(s) for s in it.validate]} for it in plan.iterations]
    out["after"] = [step(s) for s in plan.after]
    if plan.teardown:
        out["teardown"] = [step(s) for s in plan.teardown]
    out["cleanup"] = {"delete_job": plan.cleanup.delete_job, "delete_deployed": plan.cleanup.delete_deployed,
                      "timeout": plan.cleanup.timeout}
    return out
