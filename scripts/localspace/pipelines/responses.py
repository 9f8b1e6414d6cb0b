"""HTTP side of the pipelines room (/api/2.0/pipelines/*): parse, call the model, render."""
from __future__ import annotations

import re

from localspace.errors import InvalidParameterValue
from localspace.faults import run_faults
from localspace.pipelines import events as event_log
from localspace.pipelines.models import PipelinesModel
from localspace.pipelines.settings import not_emulated
from localspace.web import Request, page_offset as _offset, page_token as _token

# StartUpdate's fields (SDK PipelinesAPI.start_update) and causes (StartUpdateCause).
_START_FIELDS = {"cause", "full_refresh", "full_refresh_selection", "full_refresh_selection_by_path",
                 "refresh_selection", "refresh_selection_by_path", "validate_only", "development",
                 "parameters", "replace_where_overrides", "reset_checkpoint_selection", "rewind_spec"}
_CAUSES = {"API_CALL", "INFRASTRUCTURE_MAINTENANCE", "JOB_TASK", "RETRY_ON_FAILURE", "SCHEMA_CHANGE",
           "SERVICE_UPGRADE", "USER_ACTION"}
_NAME_LIKE = re.compile(r"\s*name\s+like\s+'(?P<pattern>[^']*)'\s*", re.IGNORECASE)
_NOTEBOOK = re.compile(r"\s*notebook\s*=\s*'(?P<path>[^']*)'\s*", re.IGNORECASE)


class PipelinesResponses:
    def __init__(self, model: PipelinesModel):
        self.model = model

    def create(self, req: Request) -> dict:
        pipeline = self.model.create(req.json(), creator=req.principal or "")
        return {"pipeline_id": pipeline.pipeline_id, "effective_settings": pipeline.spec}

    def get(self, req: Request) -> dict:
        return self.model.get(req.params["pipeline_id"]).to_dict()

    def list(self, req: Request) -> dict:
        limit = req.field("max_results", int, default=25)
        if not 1 <= limit <= 100:
            raise InvalidParameterValue("max_results must be between 1 and 100.")
        pipelines = self.model.list()
        order = req.query.get("order_by") or []
        if order:
            if len(order) != 1 or not re.fullmatch(r"\s*id(\s+(asc|desc))?\s*", order[0], re.IGNORECASE):
                raise InvalidParameterValue(f"Invalid order_by {order}: the supported field is id.")
            if order[0].strip().lower().endswith("desc"):
                pipelines.reverse()
        text = req.field("filter")
        if text:
            pipelines = [p for p in pipelines if _filter(text)(p)]
        start = _offset(req.field("page_token")) if req.field("page_token") else 0
        out: dict = {"statuses": [p.state_info() for p in pipelines[start:start + limit]]}
        if start + limit < len(pipelines):
            out["next_page_token"] = _token(start + limit)
        if not out["statuses"]:
            del out["statuses"]
        return out

    def edit(self, req: Request) -> dict:
        self.model.edit(req.params["pipeline_id"], req.json())
        return {}

    def delete(self, req: Request) -> dict:
        self.model.delete(req.params["pipeline_id"])
        return {}

    def start_update(self, req: Request) -> dict:
        body = req.json()
        unknown = sorted(set(body) - _START_FIELDS)
        if unknown:
            raise InvalidParameterValue(f"Invalid JSON given in the body of the request - unknown field "
                                        f"{', '.join(unknown)}.")
        cause = req.field("cause", default="API_CALL")
        if cause not in _CAUSES:
            raise InvalidParameterValue(f"Invalid cause '{cause}'.")
        if req.field("validate_only", bool, default=False):
            raise not_emulated("validate-only pipeline updates")
        for key in ("full_refresh_selection", "refresh_selection", "full_refresh_selection_by_path",
                    "refresh_selection_by_path", "reset_checkpoint_selection", "replace_where_overrides"):
            if body.get(key):
                raise not_emulated(f"updates of selected tables ({key})")
        if body.get("rewind_spec"):
            raise not_emulated("pipeline rewinds")
        update = self.model.start_update(req.params["pipeline_id"],
                                         full_refresh=req.field("full_refresh", bool, default=False),
                                         cause=cause, faults=run_faults(req.faults, "Update failed (injected by localspace)."))
        return {"update_id": update.update_id}

    def list_updates(self, req: Request) -> dict:
        pipeline = self.model.get(req.params["pipeline_id"])
        limit = req.field("max_results", int, default=25)
        if not 1 <= limit <= 100:
            raise InvalidParameterValue("max_results must be between 1 and 100.")
        updates = list(pipeline.updates)
        until = req.field("until_update_id")
        if until:
            index = next((i for i, u in enumerate(updates) if u.update_id == until), None)
            if index is None:
                raise InvalidParameterValue(f"Update {until} does not exist for pipeline {pipeline.pipeline_id}.")
            updates = updates[:index + 1]
        start = _offset(req.field("page_token")) if req.field("page_token") else 0
        out: dict = {"updates": [u.to_dict(with_config=False) for u in updates[start:start + limit]]}
        if start + limit < len(updates):
            out["next_page_token"] = _token(start + limit)
        if start > 0:
            out["prev_page_token"] = _token(max(0, start - limit))
        if not out["updates"]:
            del out["updates"]
        return out

    def get_update(self, req: Request) -> dict:
        return {"update": self.model.update(req.params["pipeline_id"], req.params["update_id"]).to_dict()}

    def stop(self, req: Request) -> dict:
        self.model.stop(req.params["pipeline_id"])
        return {}

    def events(self, req: Request) -> dict:
        pipeline = self.model.get(req.params["pipeline_id"])
        return event_log.page(pipeline.events.events(), filter_text=req.field("filter"),
                              order_by=req.query.get("order_by") or [],
                              max_results=req.field("max_results", int), page_token=req.field("page_token"))


def _filter(text: str):
    """list_pipelines' filters: ``name LIKE '%x%'`` or ``notebook='<path>'`` (one, not composite)."""
    like = _NAME_LIKE.fullmatch(text)
    if like:
        pattern = re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c)
                                     for c in like["pattern"]), re.IGNORECASE | re.DOTALL)
        return lambda p: bool(pattern.fullmatch(p.name))
    notebook = _NOTEBOOK.fullmatch(text)
    if notebook:
        path = notebook["path"].removeprefix("/Workspace")
        return lambda p: any((lib.get("notebook") or {}).get("path", "").removeprefix("/Workspace") == path
                             for lib in p.spec.get("libraries") or [])
    raise InvalidParameterValue(f"Invalid filter: {text!r}. Supported: name LIKE '<pattern>' or notebook='<path>'.")
