"""The plan's steps as one list, built once: what the runner announces, runs and reports.

Each ``Entry`` says which report phase and log fold it belongs to, what it does (deploy,
create the scratch namespace, create the job or pipeline, start it, run the batch job, or a plan step),
when it runs (``stage``: the main flow, which the first failure stops; ``after``, each step
even when one before it failed; ``teardown``, inside cleanup once the job's run has ended)
and whether it is skipped on purpose (iterations past ``--iterations N``). The announcement (every entry is recorded up
front, so unreached steps show as skipped), the flow and the reports all walk this list, so
they cannot disagree about what the test is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from streamtest.plan.model import Iteration, Plan, Step

WARM, DEPLOY, SCRATCH, CREATE, START, BATCH, STEP = "warm", "deploy", "scratch", "create", "start", "batch", "step"
MAIN, AFTER, TEARDOWN = "main", "after", "teardown"   # stages


@dataclass(frozen=True)
class Entry:
    phase: str                    # report phase: "setup", an iteration's phase name, "cleanup"
    section: str                  # log fold: "setup", "iteration 1: name", "after", "teardown"
    name: str                     # the step's name in the log and the reports
    action: str                   # WARM | DEPLOY | SCRATCH | CREATE | START | BATCH | STEP
    step: Optional[Step] = None   # the plan step, for STEP
    watch: bool = False           # watch the streaming run while it runs
    stage: str = MAIN             # MAIN | AFTER | TEARDOWN
    skipped: str = ""             # why it will not run (empty: it will, when reached)


def build(plan: Plan, iterations: Optional[int] = None) -> list[Entry]:
    """Every step of ``plan`` in the order it runs; ``iterations`` keeps only the first N."""
    entries: list[Entry] = []
    if warm_targets(plan):
        entries.append(Entry("setup", "setup", "start compute ahead", WARM))
    if plan.deploy:
        entries.append(Entry("setup", "setup", f"deploy {plan.deploy.source.name} to {plan.deploy.to}", DEPLOY))
    if plan.scratch:
        entries.append(Entry("setup", "setup", f"create scratch schema {plan.scratch.full_name}", SCRATCH))
    entries += [Entry("setup", "setup", s.name, STEP, s) for s in plan.before]
    what = plan.under_test
    run = "run job" if what == "job" else "run pipeline update"
    entries.append(Entry("setup", "setup", f"create {what}", CREATE))
    entries.append(Entry("setup", "setup", (f"start {what} (wait for RUNNING)" if plan.mode == "stream" else run), START))
    entries += [Entry("setup", "setup", s.name, STEP, s, watch=True) for s in plan.setup]
    for it in plan.iterations:
        skipped = f"not run (--iterations {iterations})" if iterations is not None and it.number > iterations else ""
        phase, section = phase_of(plan, it), f"iteration {it.number}: {it.name}"
        entries += [Entry(phase, section, s.name, STEP, s, watch=True, skipped=skipped) for s in it.produce]
        if plan.mode == "batch":
            entries.append(Entry(phase, section, run, BATCH, skipped=skipped))
        entries += [Entry(phase, section, s.name, STEP, s, watch=True, skipped=skipped) for s in it.validate]
    entries += [Entry("cleanup", "after", s.name, STEP, s, stage=AFTER) for s in plan.after]
    entries += [Entry("cleanup", "teardown", s.name, STEP, s, stage=TEARDOWN) for s in plan.teardown]
    return entries


def warm_targets(plan: Plan) -> list[tuple[str, str]]:
    """What the run starts before anything else, so it warms while the job's cluster starts:
    ("warehouse", id) when sql steps use it, ("cluster", id) for the all-purpose clusters
    notebook steps and job tasks name."""
    steps = plan.all_steps()
    out = []
    if plan.compute.warehouse_id and any(step.kind == "sql" for step in steps):
        out.append(("warehouse", plan.compute.warehouse_id))
    clusters = [plan.compute.cluster_id] if any(step.kind == "notebook" for step in steps) else []
    clusters += [t.get("existing_cluster_id") for t in plan.job.get("tasks") or [] if isinstance(t, dict)]
    out += [("cluster", c) for c in dict.fromkeys(c for c in clusters if isinstance(c, str) and c)]
    return out


def phase_of(plan: Plan, iteration: Iteration) -> str:
    """An iteration's report phase: its name, numbered only when two share it."""
    names = [it.name for it in plan.iterations]
    return iteration.name if names.count(iteration.name) == 1 else f"{iteration.name} #{iteration.number}"
