"""A declarative pipeline under test: pipelines/create with streamtest's name and tags, one
update started and followed, its event log read when it fails.

Stream mode (``continuous: true``): one update, awaited until RUNNING, watched while steps
run. Batch mode (``continuous: false``): an update per ``run_batch``, awaited to COMPLETED.
The pipeline id is in the state file the moment pipelines/create answers (its name before
that, so cleanup finds a pipeline whose reply was lost by name and tag); every update id
joins ``pipeline_updates`` the moment it is started, which is what expectation steps read.
"""
from __future__ import annotations

import copy
from typing import Optional

from streamtest import failures, identity
from streamtest.databricks.pipelines import Update, error_message
from streamtest.databricks.workspace import Workspace
from streamtest.plan.model import Plan
from streamtest.signals import held
from streamtest.target import Base, follow
from streamtest.target.job import dead_man_seconds, expires_epoch


def pipeline_settings(plan: Plan, now: float) -> dict:
    """The body for pipelines/create: the plan's settings plus streamtest's tags, which expire
    (for ``sweep``) when a job of the same plan would have timed out."""
    settings = copy.deepcopy(plan.pipeline)
    settings["tags"] = {**(settings.get("tags") or {}), **identity.job_tags(plan.run_id, expires_epoch(plan, now))}
    return settings


def update_failure(ws: Workspace, update: Update) -> str:
    """'FAILED: <the event log's error>' for a dead update; the state alone when the log says nothing."""
    try:
        said = error_message(ws.pipeline_events(update.pipeline_id, level="ERROR"), update.update_id)
    except Exception:  # the failure is the story; a log that cannot be read must not hide it
        said = ""
    return f"{update.line()}: {said}" if said else update.line()


class PipelineTarget(Base):
    kind = "pipeline"
    pipeline_id: Optional[str] = None
    update_id: Optional[str] = None

    def create(self) -> str:
        settings = pipeline_settings(self.plan, self.clock())
        self.state.set(pipeline_name=settings["name"])
        with held():    # a signal now waits for the reply: cleanup then deletes the pipeline by its id
            self.pipeline_id = self.ws.create_pipeline(settings, self.plan.run_id)
            self.state.set(pipeline_id=self.pipeline_id)
        self.log(f"  pipeline {self.pipeline_id} '{settings['name']}'")
        return f"pipeline {self.pipeline_id}"

    def _start_update(self) -> None:
        self.update_id = self.ws.start_update(self.pipeline_id, self.plan.full_refresh)
        self.state.add("pipeline_updates", self.update_id)
        self.state.set(pipeline_update_id=self.update_id)

    def start(self) -> str:
        self._start_update()
        self._follow(until_running=True)
        return f"update {self.update_id}"

    def run_batch(self, purpose: str) -> str:
        self._start_update()
        update = self._follow(until_running=False)
        if not update.succeeded:
            raise failures.RunEnded("the pipeline update did not complete: " + update_failure(self.ws, update),
                                    update.url)
        return f"update {self.update_id}"

    def _follow(self, until_running: bool) -> Update:
        def first(update: Update) -> None:
            self._show(update, f"update {self.update_id}")

        limit = self.plan.start_timeout
        pipeline_id, update_id = self.pipeline_id, self.update_id
        return follow(lambda: self.ws.get_update(pipeline_id, update_id), self.poller, self.clock, self.log,
                      "update", f"pipeline update {update_id}", until_running, limit,
                      limit if until_running else limit + dead_man_seconds(self.plan),
                      lambda update: update_failure(self.ws, update), first)

    def watching(self) -> bool:
        return self.plan.mode == "stream" and self.update_id is not None

    def watch(self, force: bool = False) -> None:
        """Raise RunEnded at once if the continuous update is no longer RUNNING (at most 1 call/s)."""
        if not self._due(force):
            return
        update = self.ws.get_update(self.pipeline_id, self.update_id)
        if not update.running:
            raise failures.RunEnded("the pipeline update left RUNNING: " + update_failure(self.ws, update), update.url)

    def kept(self) -> list[str]:
        return [f"pipeline {self.pipeline_id} (with its tables)"] if self.pipeline_id else []

    def cancelled_note(self) -> str:
        return f" Update {self.update_id} was stopped; its page stays: {self.url}." if self.update_id else ""
