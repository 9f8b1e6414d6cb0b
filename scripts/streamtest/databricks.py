"""The one place that knows Databricks endpoints, paths and body shapes.

Everything above this module speaks in plain Python (job ids, run dicts, bytes to upload);
everything below is ``HttpClient.call``. Jobs use API 2.2; workspace, files, DBFS and SQL
use 2.0, as the real workspace does.
"""
from __future__ import annotations

import base64
from typing import Callable, Iterator, Optional
from urllib.parse import quote

from streamtest.client import ApiError, HttpClient
from streamtest.identity import TAG_RUN

JOBS = "/api/2.2/jobs"
# OAuth (used by auth.py): where the token endpoint is discovered, and its documented default
OIDC_DISCOVERY = "/oidc/.well-known/oauth-authorization-server"
OIDC_TOKEN = "/oidc/v1/token"
TERMINAL = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")
GONE = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")
DBFS_INLINE_LIMIT = 1024 * 1024
DBFS_BLOCK = 1024 * 1024
UPLOAD_TARGETS = ("/Volumes/", "dbfs:/", "/Workspace/")  # where an upload step may write


def is_gone(exc: ApiError) -> bool:
    """The object is already gone (what cleanup wants); some jobs calls say so with a 400."""
    return exc.error_code in GONE or exc.status == 404 or (
        exc.status == 400 and any(t in exc.message.lower() for t in ("does not exist", "doesn't exist")))


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

        body = self.client.call("POST", f"{JOBS}/create", json=settings, idempotent=False, recover=created)
        return int(body["job_id"])

    def find_job(self, name: str, run_id: str) -> Optional[int]:
        """The job this run created under ``name`` (matched by its streamtest-run tag too)."""
        for job in self.list_jobs(name=name):
            tags = (job.get("settings") or {}).get("tags") or {}
            if tags.get(TAG_RUN) == run_id:
                return int(job["job_id"])
        return None

    def list_jobs(self, name: Optional[str] = None) -> Iterator[dict]:
        params = {"limit": 100}
        if name:
            params["name"] = name
        while True:
            page = self.client.call("GET", f"{JOBS}/list", params=params)
            yield from page.get("jobs", [])
            token = page.get("next_page_token")
            if not page.get("has_more") or not token:
                return
            params["page_token"] = token

    def get_job(self, job_id: int) -> dict:
        return self.client.call("GET", f"{JOBS}/get", params={"job_id": job_id})

    def update_job(self, job_id: int, new_settings: dict) -> None:
        self.client.call("POST", f"{JOBS}/update", json={"job_id": job_id, "new_settings": new_settings})

    def delete_job(self, job_id: int) -> bool:
        """True when deleted now, False when it was already gone."""
        try:
            self.client.call("POST", f"{JOBS}/delete", json={"job_id": job_id})
            return True
        except ApiError as exc:
            if is_gone(exc):
                return False
            raise

    # -- runs ------------------------------------------------------------------------------
    def run_now(self, job_id: int, token: str) -> int:
        body = self.client.call("POST", f"{JOBS}/run-now", json={"job_id": job_id, "idempotency_token": token})
        return int(body["run_id"])

    def submit_run(self, body: dict) -> int:
        """runs/submit; ``body`` carries an idempotency_token, so retries are safe."""
        return int(self.client.call("POST", f"{JOBS}/runs/submit", json=body)["run_id"])

    def get_run(self, run_id: int) -> dict:
        return self.client.call("GET", f"{JOBS}/runs/get", params={"run_id": run_id})

    def get_output(self, task_run_id: int) -> dict:
        return self.client.call("GET", f"{JOBS}/runs/get-output", params={"run_id": task_run_id})

    def list_runs(self, job_id: int, active_only: bool = True) -> list[dict]:
        body = self.client.call("GET", f"{JOBS}/runs/list",
                                params={"job_id": job_id, "active_only": str(active_only).lower(),
                                        "limit": 24})  # runs/list: greater than 0, less than 25
        return body.get("runs", [])

    def cancel_run(self, run_id: int) -> None:
        """Asynchronous; a no-op for a finished or unknown run."""
        try:
            self.client.call("POST", f"{JOBS}/runs/cancel", json={"run_id": run_id})
        except ApiError as exc:
            if not is_gone(exc) and exc.error_code != "INVALID_STATE":
                raise

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
        """A notebook when ``language`` is given (SOURCE format), otherwise a workspace file."""
        body = {"path": path, "content": base64.b64encode(content).decode(), "overwrite": True}
        if language:
            body.update(format="SOURCE", language=language)
        else:
            body.update(format="AUTO")
        self.client.call("POST", "/api/2.0/workspace/import", json=body)

    def delete_object(self, path: str, recursive: bool) -> bool:
        try:
            self.client.call("POST", "/api/2.0/workspace/delete", json={"path": path, "recursive": recursive})
            return True
        except ApiError as exc:
            if is_gone(exc):
                return False
            raise

    # -- files (Unity Catalog volumes) and DBFS --------------------------------------------
    def uploader(self, to: str) -> tuple[Callable[[str], None], Callable[[str, bytes], None]]:
        """(mkdirs, put) of the API that writes under ``to``: the Files API for /Volumes/,
        DBFS for dbfs:/, workspace import (as files, not notebooks) for /Workspace/."""
        if to.startswith("/Volumes/"):
            return self.volume_mkdirs, self.volume_put
        if to.startswith("dbfs:/"):
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
    def execute_statement(self, warehouse_id: str, statement: str, wait: str = "30s") -> dict:
        return self.client.call("POST", "/api/2.0/sql/statements", json={
            "warehouse_id": warehouse_id, "statement": statement, "wait_timeout": wait,
            "on_wait_timeout": "CONTINUE", "disposition": "INLINE", "format": "JSON_ARRAY"})

    def get_statement(self, statement_id: str) -> dict:
        return self.client.call("GET", f"/api/2.0/sql/statements/{statement_id}")

    def get_chunk(self, statement_id: str, index: int) -> dict:
        return self.client.call("GET", f"/api/2.0/sql/statements/{statement_id}/result/chunks/{index}")

    def cancel_statement(self, statement_id: str) -> None:
        try:
            self.client.call("POST", f"/api/2.0/sql/statements/{statement_id}/cancel")
        except ApiError as exc:
            if not is_gone(exc):
                raise

    # -- links -----------------------------------------------------------------------------
    def run_url(self, run: dict) -> str:
        return run.get("run_page_url") or f"{self.host}/#job/{run.get('job_id')}/run/{run.get('run_id')}"
