"""Remove what one run created, from its state file: by recorded id, never by name alone
(a job whose create reply never came is found by its name and this run's unique tag).

Order matters. First stop what bills (pause a continuous job, so that ending its run does
not start another; cancel the job's run, one-time runs and statements) and delete the
deployed folder; then wait, bounded, for the cancelled runs to end, and only then delete the
job. A run can only be seen ending while its job exists: jobs/delete takes the run history
with it while active runs "are terminated asynchronously" (Jobs API, jobs/delete), so a run
of a deleted job answers "does not exist" although it may still be writing. Under a
cancelled workflow a SIGKILL may come during the wait; the action's always() step then
finishes from the state file. After the wait, the plan's ``teardown`` steps (the runner
passes them in; ``streamtest cleanup --state`` has no plan and runs none), and only then the
scratch schema is dropped with everything in it: a stream still running would write into
it. With teardown steps the deployed folder goes last, as they may run its notebooks. Every
action tolerates "already gone", so cleanup can run any number of times; a fully cleaned
state is marked and skipped.

A declarative pipeline (``pipeline_id``) is stopped with the runs (its update ends, its
compute goes), then, once its update has ended (bounded by the same wait), deleted: that
drops its tables too (pipelines delete cascades). Its update is awaited before the scratch
schema is dropped, as a run's is.

``keep`` (``--keep-on-failure`` after a failed check) leaves the job, the deployed folder and
the scratch schema for debugging and marks the state ``kept``, not ``cleaned``: a later
``streamtest cleanup --state PATH`` (which never keeps) removes them. The run is cancelled
all the same: in Actions the state file dies with the runner, and a kept run would bill
until the dead-man timeout; its run page stays readable after it ends.
"""
from __future__ import annotations

import time
from typing import Callable, Optional

from streamtest import scratch
from streamtest.client import ApiError
from streamtest.databricks.workspace import Workspace, is_gone
from streamtest.durations import format_duration
from streamtest.poll import Deadline, Poller
from streamtest.state import State

Action = Callable[[str, float, float, bool, str], None]  # name, started, duration, ok, message


class Cleaner:
    def __init__(self, ws: Workspace, state: State, log: Callable[[str], None], poller: Poller,
                 on_action: Optional[Action] = None, clock: Callable[[], float] = time.time,
                 keep: bool = False, teardown: Optional[Callable[[bool], None]] = None):
        self.ws, self.state, self.log, self.poller = ws, state, log, poller
        self.on_action = on_action
        self.clock = clock
        self.keep = keep
        self.teardown = teardown      # teardown(ended): the plan's teardown steps, recorded; never raises
        self.ok = True

    def run(self) -> bool:
        """True when everything recorded is gone (with ``keep``: all but the job, the folder
        and the scratch schema)."""
        if self.state.get("cleaned"):
            self.log("cleanup: already done")
            return True
        policy = self.state.get("policy") or {}
        keep = self.keep
        job_id, run_id = self.state.get("job_id"), self.state.get("job_run_id")
        if not job_id and self.state.get("job_name"):
            job_id = self._find_created("job", self.ws.find_job)
        pipeline_id = self.state.get("pipeline_id")
        if not pipeline_id and self.state.get("pipeline_name"):
            pipeline_id = self._find_created("pipeline", self.ws.find_pipeline)
        cancelled = []
        if job_id and self.state.get("continuous"):
            self._do("pause continuous job", lambda: self._pause(job_id), f"job {job_id}")
        if pipeline_id:
            self._do("stop pipeline", lambda: self._stop_pipeline(pipeline_id), f"pipeline {pipeline_id}")
        if run_id:
            self._do("cancel job run", lambda: self.ws.cancel_run(run_id), f"run {run_id}")
            cancelled.append(run_id)
        elif job_id:   # a run-now whose reply never came may have started one: it is ended and waited for too
            for found in self._unrecorded_runs(job_id):
                self._do("cancel job run", lambda r=found: self.ws.cancel_run(r),
                         f"run {found}, started although its reply never came")
                cancelled.append(found)
        for one_time in list(self.state.get("one_time_runs", [])):
            self._do("cancel one-time run", lambda r=one_time: self.ws.cancel_run(r), f"run {one_time}")
            cancelled.append(one_time)
        for statement in list(self.state.get("statements", [])):
            if self._do("cancel statement", lambda s=statement: self.ws.cancel_statement(s), statement):
                self.state.discard("statements", statement)
        deployed = self.state.get("deployed")
        if not (deployed and not keep and policy.get("delete_deployed", True)):
            deployed = None
        if deployed and not self.teardown:
            self._do("delete deployed folder", lambda: self._delete_deployed(deployed), deployed["path"])
        ended = True
        if cancelled:
            ended = self._do("wait for runs to end", lambda: self._wait(cancelled, float(policy.get("timeout", 300))),
                             ", ".join(str(r) for r in cancelled))
        if job_id and not keep:
            if policy.get("delete_job", True):
                self._do("delete job", lambda: self._delete_job(job_id), f"job {job_id}")
            else:
                self.log(f"cleanup: keeping job {job_id} (delete_job: false)")
        update_id = self.state.get("pipeline_update_id")
        if pipeline_id and update_id:
            ended = self._do("wait for pipeline update to end",
                             lambda: self._wait_update(pipeline_id, update_id, float(policy.get("timeout", 300))),
                             f"update {update_id}") and ended
        if pipeline_id and not keep:
            if policy.get("delete_job", True):
                self._do("delete pipeline", lambda: self._delete_pipeline(pipeline_id), f"pipeline {pipeline_id}")
            else:
                self.log(f"cleanup: keeping pipeline {pipeline_id} (delete_job: false)")
        if self.teardown and not keep:
            self.teardown(ended)
        entry = self.state.get("scratch")
        if entry and not keep:
            if ended:
                self._do("drop scratch schema", lambda: scratch.drop(self.ws, self.state), entry["schema"])
            else:  # a run still writing into it would recreate what the drop removed
                self.ok = False
                self.log(f"cleanup: schema {entry['schema']} not dropped while a run may still write into it; "
                         "`streamtest cleanup --state PATH` drops it once the run has ended")
        if deployed and self.teardown:
            self._do("delete deployed folder", lambda: self._delete_deployed(deployed), deployed["path"])
        if self.ok:
            done = {"kept": True} if keep else {"cleaned": True}
            self.state.set(**done, one_time_runs=[], statements=[])
        return self.ok

    def _do(self, name: str, action: Callable[[], Optional[str]], what: str) -> bool:
        started = self.clock()
        try:
            message = action() or f"{name}: {what}"
            ok = True
        except ApiError as exc:
            message, ok = f"{name} {what} failed: {exc}", False
        except Deadline as exc:
            message, ok = f"{name} {what}: {exc}", False
        self.ok = self.ok and ok
        self.log(f"cleanup: {message}")
        if self.on_action:
            self.on_action(name, started, self.clock() - started, ok, message)
        return ok

    def _unrecorded_runs(self, job_id: int) -> list[int]:
        """The job's active runs when none is recorded (before deleting the job: a run that
        outlived the scratch schema's drop would write it back)."""
        try:
            return self.ws.active_runs(job_id)
        except ApiError as exc:
            if is_gone(exc):      # the job is gone, and its runs with it
                return []
            self.ok = False
            self.log(f"cleanup: could not list the runs of job {job_id}: {exc}")
            return []

    def _find_created(self, kind: str, find: Callable[[str, str], Optional[object]]) -> Optional[object]:
        """A jobs/create or pipelines/create whose reply never came back (lost, or the runner
        was stopped while it was on the wire) may have made it anyway: find it as the create
        does, by its name (``<kind>_name``) and this run's unique ``streamtest-run`` tag, and
        record it (``<kind>_id``)."""
        name = self.state.get(f"{kind}_name")
        try:
            found = find(name, self.state.get("run_id"))
        except ApiError as exc:
            self.ok = False
            self.log(f"cleanup: could not look for {kind} '{name}': {exc}")
            return None
        if found is not None:
            self.state.set(**{f"{kind}_id": found})
            self.log(f"cleanup: found {kind} {found} '{name}', created although its reply never came")
        return found

    def _stop_pipeline(self, pipeline_id: str) -> str:
        if not self.ws.stop_pipeline(pipeline_id):
            return f"pipeline {pipeline_id} already deleted"
        return f"stopped pipeline {pipeline_id}"

    def _delete_pipeline(self, pipeline_id: str) -> str:
        deleted = self.ws.delete_pipeline(pipeline_id)
        return f"deleted pipeline {pipeline_id} (and its tables)" if deleted else f"pipeline {pipeline_id} already deleted"

    def _wait_update(self, pipeline_id: str, update_id: str, timeout: float) -> str:
        started = self.clock()
        last = [""]

        def ended() -> Optional[bool]:
            try:
                update = self.ws.get_update(pipeline_id, update_id)
            except ApiError as exc:
                if not is_gone(exc):
                    raise
                return True
            last[0] = update.line()
            return True if update.terminal else None

        self.poller.until(ended, timeout, what=f"pipeline update {update_id} to end", last=lambda: last[0])
        return f"update {update_id} ended ({last[0] or 'gone'}) after {format_duration(self.clock() - started)}"

    def _pause(self, job_id: int) -> str:
        if not self.ws.pause_job(job_id):
            return f"job {job_id} already deleted"
        return f"paused continuous job {job_id}"

    def _delete_job(self, job_id: int) -> str:
        deleted = self.ws.delete_job(job_id)
        return f"deleted job {job_id}" if deleted else f"job {job_id} already deleted"

    def _delete_deployed(self, deployed: dict) -> str:
        path = deployed["path"]
        if deployed.get("created"):
            gone = not self.ws.delete_object(path, recursive=True)
            for parent in deployed.get("parents", []):
                try:
                    self.ws.delete_object(parent, recursive=False)
                except ApiError as exc:
                    if exc.error_code != "DIRECTORY_NOT_EMPTY":
                        raise
                    break  # another run's folder is in there: leave it and its ancestors
            return f"{path} already deleted" if gone else f"deleted {path}"
        for target in deployed.get("objects", []):
            self.ws.delete_object(target, recursive=False)
        return f"deleted {len(deployed.get('objects', []))} deployed object(s) from {path} (kept the folder: it existed before)"

    def _wait(self, run_ids: list[int], timeout: float) -> str:
        started = self.clock()
        pending = list(run_ids)

        def all_ended() -> Optional[bool]:
            for run_id in list(pending):
                try:
                    ended = self.ws.get_run(run_id).terminal
                except ApiError as exc:
                    if not is_gone(exc):
                        raise
                    ended = True
                if ended:
                    pending.remove(run_id)
                    if run_id in self.state.get("one_time_runs", []):
                        self.state.discard("one_time_runs", run_id)
            return True if not pending else None

        self.poller.until(all_ended, timeout, what=f"cancelled run(s) {', '.join(map(str, pending))} to end",
                          last=lambda: f"{len(pending)} still active")
        return f"runs ended after {format_duration(self.clock() - started)}"
