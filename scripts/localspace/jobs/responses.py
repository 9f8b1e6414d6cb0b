"""HTTP side of the jobs room (/api/2.0, 2.1 and 2.2 jobs/*): parse, call the model, render."""
from __future__ import annotations

from localspace.errors import InvalidParameterValue
from localspace.faults import run_faults
from localspace.jobs.models import JobsModel, TaskRun
from localspace.jobs.settings import single_task
from localspace.web import Request, page_offset as _offset, page_token as _token

MAX_OUTPUT = 5 * 1024 * 1024
MULTI_TASK_OUTPUT = ("Retrieving the output of runs with multiple tasks is not supported. Please retrieve "
                     "the output of each individual task run instead.")
_NOT_SETTINGS = {"access_control_list", "idempotency_token"}


class JobsResponses:
    def __init__(self, model: JobsModel):
        self.model = model

    # -- jobs ----------------------------------------------------------------------------------

    def create(self, req: Request) -> dict:
        settings = single_task({k: v for k, v in req.json().items() if k not in _NOT_SETTINGS})
        job = self.model.create_job(settings, req.params["version"], creator=req.principal or "")
        return {"job_id": job.job_id}

    def get(self, req: Request) -> dict:
        job = self.model.job(req.field("job_id", int, required=True))
        out = job.to_dict()
        if req.params["version"] == "2.2":
            out["has_more"] = False
        return out

    def list(self, req: Request) -> dict:
        limit = req.field("limit", int, default=20)
        if not 1 <= limit <= 100:
            raise InvalidParameterValue("limit must be between 1 and 100.")
        jobs = self.model.list_jobs(req.field("name"))
        expand = req.field("expand_tasks", bool, default=False)
        start = _offset(req.field("page_token")) if req.field("page_token") else req.field("offset", int, default=0)
        return _page("jobs", [j.to_dict(with_tasks=expand) for j in jobs], start, limit)

    def update(self, req: Request) -> dict:
        new_settings = req.field("new_settings", dict)
        fields_to_remove = req.field("fields_to_remove", list)
        self.model.update_job(req.field("job_id", int, required=True), new_settings, fields_to_remove,
                              req.params["version"])
        return {}

    def reset(self, req: Request) -> dict:
        self.model.reset_job(req.field("job_id", int, required=True),
                             single_task(req.field("new_settings", dict, required=True)), req.params["version"])
        return {}

    def delete(self, req: Request) -> dict:
        self.model.delete_job(req.field("job_id", int, required=True))
        return {}

    # -- runs ----------------------------------------------------------------------------------

    def run_now(self, req: Request) -> dict:
        run = self.model.run_now(
            req.field("job_id", int, required=True), idempotency_token=req.field("idempotency_token"),
            job_parameters=_str_map(req.field("job_parameters", dict), "job_parameters"),
            notebook_params=_str_map(req.field("notebook_params", dict), "notebook_params"),
            faults=run_faults(req.faults, "Run failed (injected by localspace)."))
        return {"run_id": run.run_id, "number_in_job": run.run_id}

    def submit(self, req: Request) -> dict:
        run = self.model.submit(req.json(), faults=run_faults(req.faults, "Run failed (injected by localspace)."))
        return {"run_id": run.run_id}

    def get_run(self, req: Request) -> dict:
        run_id = req.field("run_id", int, required=True)
        task = self.model.task_run(run_id)
        if task is not None:
            return _task_as_run(task, req.base_url)
        return self.model.run(run_id).to_dict(req.base_url)

    def get_output(self, req: Request) -> dict:
        run_id = req.field("run_id", int, required=True)
        task = self.model.task_run(run_id)
        if task is None:
            self.model.run(run_id)  # 400 "Run N does not exist." when it doesn't
            raise InvalidParameterValue(MULTI_TASK_OUTPUT)
        out: dict = {"metadata": _task_as_run(task, req.base_url)}
        result = task.output
        if result is not None and "notebook_task" in task.spec:
            notebook: dict = {}
            if result.exit_value is not None:
                value = result.exit_value
                notebook = {"result": value[:MAX_OUTPUT], "truncated": len(value) > MAX_OUTPUT}
            out["notebook_output"] = notebook
        if result is not None and result.error:
            out["error"] = result.error
            if result.error_trace:
                out["error_trace"] = result.error_trace
        if result is not None and result.logs:
            out["logs"] = result.logs
        return out

    def cancel(self, req: Request) -> dict:
        self.model.cancel(req.field("run_id", int, required=True))
        return {}

    def cancel_all(self, req: Request) -> dict:
        self.model.cancel_all(req.field("job_id", int), req.field("all_queued_runs", bool, default=False))
        return {}

    def list_runs(self, req: Request) -> dict:
        limit = req.field("limit", int, default=20)
        # "This value must be greater than 0 and less than 25" (SDK service/jobs.py, JobsAPI.list_runs)
        if not 0 < limit < 25:
            raise InvalidParameterValue(f"limit must be greater than 0 and less than 25, got {limit}.")
        job_id = req.field("job_id", int)
        if job_id is not None:
            self.model.job(job_id)
        runs = self.model.list_runs(job_id, req.field("active_only", bool, default=False),
                                    req.field("completed_only", bool, default=False), req.field("run_type"))
        expand = req.field("expand_tasks", bool, default=False)
        start = _offset(req.field("page_token")) if req.field("page_token") else req.field("offset", int, default=0)
        return _page("runs", [r.to_dict(req.base_url, with_tasks=expand) for r in runs], start, limit)

    def delete_run(self, req: Request) -> dict:
        self.model.delete_run(req.field("run_id", int, required=True))
        return {}


def _task_as_run(task: TaskRun, base: str) -> dict:
    """A task run seen through runs/get or get-output's ``metadata``: a Run of one task."""
    run = task.parent
    out = task.to_dict(base)
    out.update({"job_id": run.job_id, "run_name": task.key, "run_type": run.run_type,
                "creator_user_name": run.creator, "number_in_job": task.run_id,
                "original_attempt_run_id": task.run_id, "trigger": run.trigger, "format": "SINGLE_TASK",
                "parent_run_id": run.run_id})
    return out


def _str_map(value, name: str):
    if value is not None and not all(isinstance(v, str) for v in value.values()):
        raise InvalidParameterValue(f"{name} must map names to strings.")
    return value


def _page(key: str, items: list, start: int, limit: int) -> dict:
    page = items[start:start + limit]
    out: dict = {"has_more": start + limit < len(items)}
    if page:
        out[key] = page
    if out["has_more"]:
        out["next_page_token"] = _token(start + limit)
    if start > 0:
        out["prev_page_token"] = _token(max(0, start - limit))
    return out
