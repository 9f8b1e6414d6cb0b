"""The one place that knows Databricks endpoints, request bodies and reply shapes.

Everything above this module speaks in plain Python and typed views (``runs.Run``,
``statements.Statement``, job ids, bytes to upload); everything below is ``HttpClient.call``.
Jobs use API 2.2; workspace, files, DBFS and SQL use 2.0, Unity Catalog 2.1, as the real
workspace does.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Callable, Iterator, Optional
from urllib.parse import quote

from streamtest.client import ApiError, HttpClient
from streamtest.databricks import paths
from streamtest.databricks.jobs import Job, parse_job
from streamtest.databricks.pipelines import PipelineInfo, Update, parse_pipeline, parse_update
from streamtest.databricks.runs import Run, RunOutput, parse_output, parse_run
from streamtest.databricks.statements import Statement, parse_statement
from streamtest.databricks.unity import Schema, Volume, parse_schema, parse_volume
from streamtest.identity import TAG_RUN
from streamtest.localfiles import JUPYTER

JOBS = "/api/2.2/jobs"
PIPELINES = "/api/2.0/pipelines"
UC = "/api/2.1/unity-catalog"
# OAuth (used by auth.py): where the token endpoint is discovered, and its documented default
OIDC_DISCOVERY = "/oidc/.well-known/oauth-authorization-server"
OIDC_TOKEN = "/oidc/v1/token"
GONE = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")
# jobs calls say "Job 5 does not exist." or, for runs of a deleted job, "Run: 7 in job: 5 doesn't exist"
GONE_WORDS = ("does not exist", "doesn't exist")
RUNS_LIST_LIMIT = 24              # documented as greater than 0 and less than 25
NO_SERVERLESS = "one of job_cluster_key, new_cluster, or existing_cluster_id must be specified"
DBFS_INLINE_LIMIT = 1024 * 1024
DBFS_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class User:
    """The caller: ``user_name`` is an e-mail for people, an application id for a service principal."""
    user_name: str
    display_name: str = ""


class Unservable(ApiError):
    """The workspace cannot serve what a plan setting asks for. The caller knows which
    setting that was, and re-raises it with the one-line fix (``with_fix``); the runner
    reports only that fix."""

    def with_fix(self, fix: str) -> "Unservable":
        return type(self)(self.error_code, fix, self.status, self.endpoint)


class NoCompute(Unservable):
    """No serverless jobs compute for a task that names none, or a warehouse or cluster
    that does not exist."""


class AlreadyExists(Unservable):
    """A schema of that name is there and this run did not make it: never ours to use or drop."""


def is_gone(exc: ApiError) -> bool:
    """The object is already gone (what cleanup wants); some jobs calls say so with a 400."""
    return exc.error_code in GONE or exc.status == 404 or (
        exc.status == 400 and any(words in exc.message.lower() for words in GONE_WORDS))


def _unless_gone(call: Callable[[], object]) -> bool:
    """Run ``call``: True when it acted, False when its object was already gone."""
    try:
        call()
        return True
    except ApiError as exc:
        if is_gone(exc):
            return False
        raise


def _no_compute(exc: ApiError) -> ApiError:
    """The 400 of a compute-less task on a workspace without serverless, as ``NoCompute``."""
    if exc.status == 400 and NO_SERVERLESS in exc.message.lower():
        return NoCompute(exc.error_code, exc.message, exc.status, exc.endpoint)
    return exc


def _dbfs(path: str) -> str:
    """The DBFS API takes the absolute path ('/tmp/x'), as the SDK sends it, not 'dbfs:/tmp/x'."""
    return path[len("dbfs:"):] if path.startswith("dbfs:") else path


class Workspace:
    def __init__(self, client: HttpClient):
        self.client = client
        self.host = client.host

    # -- jobs ------------------------------------------------------------------------------
    def create_job(self, settings: dict, run_id: str) -> int:
        """jobs/create without ever creating two jobs: after an ambiguous failure, look first."""
        def created() -> Optional[dict]:
            found = self.find_job(settings["name"], run_id)
            return None if found is None else {"job_id": found}

        try:
            body = self.client.call("POST", f"{JOBS}/create", json=settings, idempotent=False, recover=created)
        except ApiError as exc:
            raise _no_compute(exc) from None
        return int(body["job_id"])

    def find_job(self, name: str, run_id: str) -> Optional[int]:
        """The job this run created under ``name`` (matched by its streamtest-run tag too)."""
        for job in self.list_jobs(name=name):
            if job.tags.get(TAG_RUN) == run_id:
                return job.job_id
        return None

    def list_jobs(self, name: Optional[str] = None) -> Iterator[Job]:
        """Every job (``name``: only those, an exact case-insensitive filter), page by page."""
        params = {"limit": 100}
        if name:
            params["name"] = name
        while True:
            page = self.client.call("GET", f"{JOBS}/list", params=params)
            yield from (parse_job(job) for job in page.get("jobs", []))
            token = page.get("next_page_token")
            if not page.get("has_more") or not token:
                return
            params["page_token"] = token

    def get_job(self, job_id: int) -> dict:
        return self.client.call("GET", f"{JOBS}/get", params={"job_id": job_id})

    def update_job(self, job_id: int, new_settings: dict) -> None:
        self.client.call("POST", f"{JOBS}/update", json={"job_id": job_id, "new_settings": new_settings})

    def pause_job(self, job_id: int) -> bool:
        """Pause a continuous job (so ending its run starts no other); False when it is gone."""
        return _unless_gone(lambda: self.update_job(job_id, {"continuous": {"pause_status": "PAUSED"}}))

    def delete_job(self, job_id: int) -> bool:
        """True when deleted now, False when it was already gone."""
        return _unless_gone(lambda: self.client.call("POST", f"{JOBS}/delete", json={"job_id": job_id}))

    # -- runs ------------------------------------------------------------------------------
    def run_now(self, job_id: int, token: str) -> int:
        body = self.client.call("POST", f"{JOBS}/run-now", json={"job_id": job_id, "idempotency_token": token})
        return int(body["run_id"])

    def submit_notebook(self, run_name: str, notebook_path: str, parameters: dict, token: str,
                        timeout: float, cluster_id: str = "", new_cluster: Optional[dict] = None) -> int:
        """A one-time notebook run (runs/submit). No cluster named means serverless; the
        idempotency ``token`` makes retries safe."""
        task: dict = {"task_key": "streamtest_step",
                      "notebook_task": {"notebook_path": notebook_path, "base_parameters": parameters,
                                        "source": "WORKSPACE"}}
        if cluster_id:
            task["existing_cluster_id"] = cluster_id
        elif new_cluster:
            task["new_cluster"] = new_cluster
        body = {"run_name": run_name[:200], "tasks": [task], "timeout_seconds": int(timeout),
                "idempotency_token": token}
        try:
            return int(self.client.call("POST", f"{JOBS}/runs/submit", json=body)["run_id"])
        except ApiError as exc:
            raise _no_compute(exc) from None

    def get_run(self, run_id: int) -> Run:
        """runs/get, with every page of the task list (2.2 pages tasks past 100)."""
        params: dict = {"run_id": run_id}
        body = self.client.call("GET", f"{JOBS}/runs/get", params=params)
        tasks = list(body.get("tasks") or [])
        page, seen = body, set()
        while page.get("next_page_token") and page["next_page_token"] not in seen:
            seen.add(page["next_page_token"])
            page = self.client.call("GET", f"{JOBS}/runs/get", params={**params, "page_token": page["next_page_token"]})
            tasks += page.get("tasks") or []
        return parse_run(body, tasks, self.host)

    def get_output(self, task_run_id: int) -> RunOutput:
        return parse_output(self.client.call("GET", f"{JOBS}/runs/get-output", params={"run_id": task_run_id}))

    def active_runs(self, job_id: int) -> list[int]:
        """Ids of the job's active runs (one page: streamtest's jobs have a handful at most)."""
        body = self.client.call("GET", f"{JOBS}/runs/list",
                                params={"job_id": job_id, "active_only": "true", "limit": RUNS_LIST_LIMIT})
        return [int(run["run_id"]) for run in body.get("runs", [])]

    def cancel_run(self, run_id: int) -> None:
        """Asynchronous; a no-op for a finished or unknown run."""
        try:
            self.client.call("POST", f"{JOBS}/runs/cancel", json={"run_id": run_id})
        except ApiError as exc:
            if not is_gone(exc) and exc.error_code != "INVALID_STATE":
                raise

    # -- declarative pipelines (https://docs.databricks.com/api/workspace/pipelines) --------
    def create_pipeline(self, settings: dict, run_id: str) -> str:
        """pipelines/create without ever creating two: after an ambiguous failure, or a name
        conflict from a retry whose first attempt landed, look for this run's pipeline first."""
        def created() -> Optional[dict]:
            found = self.find_pipeline(settings["name"], run_id)
            return None if found is None else {"pipeline_id": found}

        try:
            body = self.client.call("POST", PIPELINES, json=settings, idempotent=False, recover=created)
        except ApiError as exc:
            if exc.status != 409 and "ALREADY_EXISTS" not in exc.error_code and "CONFLICT" not in exc.error_code:
                raise
            found = created()
            if found is None:
                raise
            body = found
        return str(body["pipeline_id"])

    def find_pipeline(self, name: str, run_id: str) -> Optional[str]:
        """The pipeline this run created under ``name`` (its streamtest-run tag says so)."""
        for listed in self.list_pipelines(name=name):
            if listed.name == name:
                info = self.get_pipeline(listed.pipeline_id)
                if info is not None and info.tags.get(TAG_RUN) == run_id:
                    return info.pipeline_id
        return None

    def list_pipelines(self, name: Optional[str] = None) -> Iterator[PipelineInfo]:
        """Every pipeline (``name``: the ``name LIKE`` filter, so only that name), page by page.
        List entries carry no tags: ``get_pipeline`` has them."""
        params: dict = {"max_results": 100}
        if name:
            params["filter"] = "name LIKE '" + name.replace("'", "''") + "'"
        while True:
            page = self.client.call("GET", PIPELINES, params=params)
            yield from (parse_pipeline(p) for p in page.get("statuses") or [])
            token = page.get("next_page_token")
            if not token:
                return
            params["page_token"] = token

    def get_pipeline(self, pipeline_id: str) -> Optional[PipelineInfo]:
        found = self._get_or_none(f"{PIPELINES}/{quote(pipeline_id, safe='')}")
        return None if found is None else parse_pipeline(found)

    def start_update(self, pipeline_id: str, full_refresh: bool) -> str:
        """Start an update; one already active (a continuous pipeline starts its own, or a
        retry whose first attempt landed) is taken instead of a second."""
        def active() -> Optional[dict]:
            info = self.get_pipeline(pipeline_id)
            for update_id, state in (info.latest if info else ()):
                if state not in ("COMPLETED", "FAILED", "CANCELED"):
                    return {"update_id": update_id}
            return None

        try:
            body = self.client.call("POST", f"{PIPELINES}/{quote(pipeline_id, safe='')}/updates",
                                    json={"full_refresh": full_refresh}, idempotent=False, recover=active)
        except ApiError as exc:
            if exc.status not in (400, 409) or is_gone(exc):
                raise
            found = active()   # "an active update exists": that one is ours
            if found is None:
                raise
            body = found
        return str(body["update_id"])

    def get_update(self, pipeline_id: str, update_id: str) -> Update:
        return parse_update(self.client.call(
            "GET", f"{PIPELINES}/{quote(pipeline_id, safe='')}/updates/{quote(update_id, safe='')}"), self.host)

    def stop_pipeline(self, pipeline_id: str) -> bool:
        """Stop its active update (a no-op when there is none); False when the pipeline is gone."""
        return _unless_gone(lambda: self.client.call("POST", f"{PIPELINES}/{quote(pipeline_id, safe='')}/stop"))

    def delete_pipeline(self, pipeline_id: str) -> bool:
        """Delete it and (the default ``cascade``) its tables; False when it was already gone."""
        return _unless_gone(lambda: self.client.call("DELETE", f"{PIPELINES}/{quote(pipeline_id, safe='')}"))

    def pipeline_events(self, pipeline_id: str, level: str = "") -> Iterator[dict]:
        """The event log, newest first, page by page (``level``: only ERROR, WARN, ...). Each
        event once, by its ``id``: a running pipeline adds events between two pages, and a
        page that starts where the last one ended by position would repeat some."""
        params: dict = {"max_results": 100}
        if level:
            params["filter"] = f"level='{level}'"
        seen: set = set()
        while True:
            page = self.client.call("GET", f"{PIPELINES}/{quote(pipeline_id, safe='')}/events", params=params)
            for event in page.get("events") or []:
                if event.get("id") is None or event["id"] not in seen:
                    seen.add(event.get("id"))
                    yield event
            token = page.get("next_page_token")
            if not token:
                return
            params = {"page_token": token}   # a page token may not be sent with a filter

    # -- workspace -------------------------------------------------------------------------
    def mkdirs(self, path: str) -> None:
        self.client.call("POST", "/api/2.0/workspace/mkdirs", json={"path": path})

    def get_status(self, path: str) -> Optional[dict]:
        try:
            return self.client.call("GET", "/api/2.0/workspace/get-status", params={"path": path})
        except ApiError as exc:
            if is_gone(exc):
                return None
            raise

    def import_object(self, path: str, content: bytes, language: Optional[str] = None) -> None:
        """A notebook when ``language`` is given (SOURCE format; ``JUPYTER``: a Jupyter
        notebook), otherwise a workspace file."""
        body = {"path": path, "content": base64.b64encode(content).decode(), "overwrite": True}
        if language == JUPYTER:
            body.update(format="JUPYTER")
        elif language:
            body.update(format="SOURCE", language=language)
        else:
            body.update(format="AUTO")
        self.client.call("POST", "/api/2.0/workspace/import", json=body)

    def delete_object(self, path: str, recursive: bool) -> bool:
        """True when deleted now, False when it was already gone."""
        return _unless_gone(lambda: self.client.call("POST", "/api/2.0/workspace/delete",
                                                     json={"path": path, "recursive": recursive}))

    # -- files (Unity Catalog volumes) and DBFS --------------------------------------------
    def uploader(self, to: str) -> tuple[Callable[[str], None], Callable[[str, bytes], None]]:
        """(mkdirs, put) of the API that writes under ``to``: the Files API for /Volumes/,
        DBFS for dbfs:/, workspace import (as files, not notebooks) for /Workspace/."""
        api = paths.upload_api(to)
        if api == "files":
            return self.volume_mkdirs, self.volume_put
        if api == "dbfs":
            return self.dbfs_mkdirs, self.dbfs_put
        return self.mkdirs, lambda path, content: self.import_object(path, content)

    def volume_mkdirs(self, path: str) -> None:
        self.client.call("PUT", "/api/2.0/fs/directories" + quote(path))

    def volume_put(self, path: str, content: bytes) -> None:
        self.client.call("PUT", "/api/2.0/fs/files" + quote(path), params={"overwrite": "true"},
                         data=content, headers={"Content-Type": "application/octet-stream"})

    def dbfs_mkdirs(self, path: str) -> None:
        self.client.call("POST", "/api/2.0/dbfs/mkdirs", json={"path": _dbfs(path)})

    def dbfs_put(self, path: str, content: bytes) -> None:
        """Inline up to 1 MB; larger files through create / add-block / close."""
        path = _dbfs(path)
        if len(content) <= DBFS_INLINE_LIMIT:
            self.client.call("POST", "/api/2.0/dbfs/put", json={
                "path": path, "contents": base64.b64encode(content).decode(), "overwrite": True})
            return
        handle = self.client.call("POST", "/api/2.0/dbfs/create", json={"path": path, "overwrite": True})["handle"]
        for offset in range(0, len(content), DBFS_BLOCK):
            block = base64.b64encode(content[offset:offset + DBFS_BLOCK]).decode()
            self.client.call("POST", "/api/2.0/dbfs/add-block", json={"handle": handle, "data": block},
                             idempotent=False)
        self.client.call("POST", "/api/2.0/dbfs/close", json={"handle": handle})

    # -- SQL statements --------------------------------------------------------------------
    def execute_statement(self, warehouse_id: str, statement: str, wait: str = "10s") -> Statement:
        """Submit; waits up to ``wait`` on the server (10 s, the API's default, so a statement on
        a starting warehouse comes back PENDING in time for the next heartbeat), then the
        statement may still be running."""
        return parse_statement(self.client.call("POST", "/api/2.0/sql/statements", json={
            "warehouse_id": warehouse_id, "statement": statement, "wait_timeout": wait,
            "on_wait_timeout": "CONTINUE", "disposition": "INLINE", "format": "JSON_ARRAY"}))

    def start_warehouse(self, warehouse_id: str) -> None:
        """Ask a SQL warehouse to start (idempotent: a running one stays running)."""
        self.client.call("POST", f"/api/2.0/sql/warehouses/{quote(warehouse_id, safe='')}/start", json={})

    def start_cluster(self, cluster_id: str) -> None:
        """Ask a terminated all-purpose cluster to start (nothing happens to one that is not)."""
        self.client.call("POST", "/api/2.1/clusters/start", json={"cluster_id": cluster_id})

    def get_statement(self, statement_id: str) -> Statement:
        return parse_statement(self.client.call("GET", f"/api/2.0/sql/statements/{statement_id}"), statement_id)

    def statement_rows(self, statement: Statement) -> list:
        """Every row of a succeeded statement: its first chunk, then the others by index."""
        rows = list(statement.rows)
        next_index = statement.next_chunk
        while next_index is not None:
            chunk = self.client.call("GET", f"/api/2.0/sql/statements/{statement.statement_id}"
                                            f"/result/chunks/{next_index}")
            rows += chunk.get("data_array") or []
            next_index = chunk.get("next_chunk_index")
        return rows

    def cancel_statement(self, statement_id: str) -> None:
        try:
            self.client.call("POST", f"/api/2.0/sql/statements/{statement_id}/cancel")
        except ApiError as exc:
            if not is_gone(exc):
                raise

    # -- Unity Catalog -----------------------------------------------------------------------
    def create_schema(self, catalog: str, name: str, comment: str) -> Schema:
        """schemas create, never mistaking someone else's schema for ours: ``comment`` names
        this run, so a schema met under that name after a lost reply (or as a 409) is ours
        only when it carries the same comment. One that does not raises ``AlreadyExists``."""
        full_name = f"{catalog}.{name}"

        def ours() -> Optional[dict]:
            found = self._get_or_none(f"{UC}/schemas/{quote(full_name, safe='')}")
            if found is not None and parse_schema(found).comment != comment:
                raise AlreadyExists("SCHEMA_ALREADY_EXISTS", f"schema {full_name} already exists",
                                    409, f"POST {UC}/schemas")
            return found

        return parse_schema(self._create(f"{UC}/schemas", {"catalog_name": catalog, "name": name,
                                                           "comment": comment}, ours))

    def list_catalogs(self) -> Iterator[str]:
        """Names of the catalogs the caller can see."""
        yield from (str(c.get("name", "")) for c in self._uc_pages(f"{UC}/catalogs", "catalogs", {}))

    def list_schemas(self, catalog: str) -> Iterator[Schema]:
        yield from (parse_schema(s) for s in self._uc_pages(f"{UC}/schemas", "schemas", {"catalog_name": catalog}))

    def _uc_pages(self, path: str, key: str, params: dict) -> Iterator[dict]:
        """A Unity Catalog list, page by page: ``max_results=0`` asks for the server's page size
        (unpaginated calls are being deprecated); a page may be empty and still carry a
        ``next_page_token``, and only a page without one ends the list
        (https://docs.databricks.com/api/uc-schemas/v1/list-schemas)."""
        params, seen = {**params, "max_results": 0}, set()
        while True:
            page = self.client.call("GET", path, params=params)
            yield from page.get(key) or []
            token = page.get("next_page_token")
            if not token or token in seen:
                return
            seen.add(token)
            params["page_token"] = token

    def get_schema(self, full_name: str) -> Optional[Schema]:
        found = self._get_or_none(f"{UC}/schemas/{quote(full_name, safe='')}")
        return None if found is None else parse_schema(found)

    def delete_schema(self, full_name: str) -> bool:
        """Drop a schema with everything in it (``force``: its tables and volumes, as
        ``DROP SCHEMA ... CASCADE``). True when dropped now, False when it was already gone."""
        return _unless_gone(lambda: self.client.call("DELETE", f"{UC}/schemas/{quote(full_name, safe='')}",
                                                     params={"force": "true"}))

    def create_volume(self, catalog: str, schema: str, name: str) -> Volume:
        """A managed volume in a schema this run created: one already there under that name
        (a retried create whose first reply was lost) can only be this run's."""
        full_name = f"{catalog}.{schema}.{name}"
        body = {"catalog_name": catalog, "schema_name": schema, "name": name, "volume_type": "MANAGED"}
        return parse_volume(self._create(f"{UC}/volumes", body,
                                         lambda: self._get_or_none(f"{UC}/volumes/{quote(full_name, safe='')}")))

    def _create(self, path: str, body: dict, found: Callable[[], Optional[dict]]) -> dict:
        """POST that creates a named object, never blindly repeated: after a reply that may
        have been lost, or a 409 already-exists, ``found()`` (the object by its name, None
        when absent; it raises when the object is not ours) stands for the reply."""
        try:
            return self.client.call("POST", path, json=body, idempotent=False, recover=found)
        except Unservable:
            raise
        except ApiError as exc:
            if exc.status != 409 and "ALREADY_EXISTS" not in exc.error_code:
                raise
            existing = found()
            if existing is None:  # gone again between the two calls
                raise
            return existing

    def _get_or_none(self, path: str) -> Optional[dict]:
        try:
            return self.client.call("GET", path)
        except ApiError as exc:
            if is_gone(exc):
                return None
            raise

    # -- who we are ------------------------------------------------------------------------
    def current_user(self) -> User:
        """The caller as SCIM Me answers (what bundles call ``workspace.current_user``)."""
        me = self.client.call("GET", "/api/2.0/preview/scim/v2/Me")
        return User(str(me.get("userName") or ""), str(me.get("displayName") or ""))

    LOOKUPS = {"cluster": ("/api/2.1/clusters/list", "clusters", "cluster_name", "cluster_id"),
               "warehouse": ("/api/2.0/sql/warehouses", "warehouses", "name", "id")}

    def find_id(self, kind: str, name: str) -> Optional[str]:
        """The id of the ``kind`` object named ``name`` (a bundle variable's ``lookup``), or None."""
        endpoint, items, name_field, id_field = self.LOOKUPS[kind]
        for item in self.client.call("GET", endpoint).get(items) or []:
            if item.get(name_field) == name:
                return str(item[id_field])
        return None

    # -- first contact ---------------------------------------------------------------------
    def reach(self) -> None:
        """One cheap authenticated call before anything is created: an unreachable host, a
        wrong scheme or a bad credential ends the run here (see ``HttpClient.first_contact``)."""
        try:
            self.client.call("GET", "/api/2.0/workspace/get-status", params={"path": "/"})
        except ApiError as exc:
            if not is_gone(exc):
                raise


def has_compute(task: dict) -> bool:
    """Whether a job task names compute; none means serverless."""
    return any(task.get(k) for k in ("existing_cluster_id", "job_cluster_key", "new_cluster", "environment_key"))
