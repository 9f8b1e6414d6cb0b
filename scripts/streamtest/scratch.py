"""The scratch namespace of one run: a schema of its own (and volumes in it), created after
deploy and dropped with everything in it once the job's run has ended.

The state file says ``scratch: {schema, comment, created, volumes, dropped}``. The intent
(``created: false``) is written before the create call and ``created: true`` the moment the
schema exists, before any volume, so a runner killed at any point leaves cleanup enough to
act: a schema recorded as created is dropped; one whose reply never came is dropped only
if the schema of that name carries this run's comment (``identity.scratch_comment``). A
schema that was there before the run is refused, never used and never dropped.
"""
from __future__ import annotations

from typing import Callable, Optional

from streamtest import identity
from streamtest.client import ApiError
from streamtest.databricks.workspace import AlreadyExists, Unservable, Workspace, is_gone
from streamtest.plan.model import Scratch
from streamtest.poll import Deadline, Poller
from streamtest.signals import held
from streamtest.state import State


def create(ws: Workspace, scratch: Scratch, state: State, run_id: str, log: Callable[[str], None],
           expires: Optional[float] = None) -> str:
    """Create the schema, then its volumes, recording each as it exists; returns a summary.
    The comment names the run and ``expires`` (when ``sweep`` may drop a schema left behind)."""
    comment = identity.scratch_comment(run_id, expires)
    entry = {"schema": scratch.full_name, "comment": comment, "created": False, "volumes": []}
    state.set(scratch=entry)
    with held():       # a signal now waits for the reply: cleanup then drops the schema by its record
        _create_schema(ws, scratch, state, entry, comment)
    log(f"  schema {scratch.full_name}")
    for name in scratch.volumes:
        with held():
            volume = ws.create_volume(scratch.catalog, scratch.schema, name)
            entry["volumes"].append(volume.path)
            state.set(scratch=entry)
        log(f"  volume {volume.path}")
    volumes = f" with volume(s) {', '.join(scratch.volumes)}" if scratch.volumes else ""
    return f"created {scratch.full_name}{volumes}"


def _create_schema(ws: Workspace, scratch: Scratch, state: State, entry: dict, comment: str) -> None:
    try:
        ws.create_schema(scratch.catalog, scratch.schema, comment)
    except AlreadyExists as exc:
        state.set(scratch=None)  # not ours: nothing for cleanup to touch
        raise exc.with_fix(f"schema {scratch.full_name} already exists, so this run did not create it: streamtest "
                           "neither uses nor drops a schema it did not create. Give scratch.schema a name of its "
                           "own per run (e.g. sbit_${run.id}), or drop the old one if it is a leftover") from None
    except ApiError as exc:
        if not is_gone(exc):
            raise
        state.set(scratch=None)
        raise Unservable(exc.error_code, f"catalog '{scratch.catalog}' does not exist in this workspace "
                         f"(scratch.catalog must name an existing catalog; streamtest creates only the schema): "
                         f"{exc.message}", exc.status, exc.endpoint) from None
    entry["created"] = True
    state.set(scratch=entry)


def drop(ws: Workspace, state: State) -> str:
    """Drop the recorded scratch schema with its tables and volumes; safe to repeat."""
    entry = state.get("scratch")
    name = entry["schema"]
    if entry.get("dropped"):
        return f"schema {name} already dropped"
    if not entry.get("created"):
        found = ws.get_schema(name)
        if found is None:
            return f"schema {name} was never created"
        if found.comment != entry.get("comment"):
            return f"schema {name} was not created by this run: left as it is"
    gone = not ws.delete_schema(name)
    came_back = _came_back(ws, name)
    if came_back:
        ws.delete_schema(name)
    entry["dropped"] = True
    state.set(scratch=entry)
    message = f"schema {name} already dropped" if gone else f"dropped schema {name} with everything in it"
    return message + ("; it came back (a writer outlived its run) and was dropped again" if came_back else "")


CONFIRM_SECONDS = 1.0  # how long a dropped schema is watched for a late writer bringing it back


def _came_back(ws: Workspace, name: str) -> bool:
    """A notebook that outlives its cancelled run by a moment may still run ``CREATE SCHEMA IF
    NOT EXISTS`` (seen on localspace's python engine): watch the dropped schema briefly."""
    watch = Poller(first=0.2, factor=1.0, ceiling=0.2, eager_for=0)
    try:
        return watch.until(lambda: True if ws.get_schema(name) is not None else None, CONFIRM_SECONDS)
    except Deadline:
        return False
