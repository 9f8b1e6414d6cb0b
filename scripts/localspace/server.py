"""LocalSpace: the emulator's HTTP server, its rooms, and their life cycle.

One ``ThreadingHTTPServer`` on 127.0.0.1 speaks HTTP/1.1 with keep-alive (the SDK reuses
connections); each request goes through the same few steps: fault plan, auth (every
``/api/`` path), routing to a room's responses method, rendering (Databricks error format
for ``ApiError``), and the request log. Rooms hold the state; this module only wires them.
"""
from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, unquote, urlsplit

from localspace import runpage
from localspace.clusters import urls as clusters_urls
from localspace.clusters.models import ClustersModel
from localspace.clusters.responses import ClustersResponses
from localspace.config import WorkspaceConfig
from localspace.errors import ApiError, EndpointNotFound, InternalError
from localspace.faults import Decision, FaultPlan
from localspace.files import urls as files_urls
from localspace.files.models import DbfsModel, VolumesModel
from localspace.files.responses import FilesResponses
from localspace.jobs import urls as jobs_urls
from localspace.jobs.models import JobsModel
from localspace.jobs.responses import JobsResponses
from localspace.jobs.settings import JobRules
from localspace.oauth import urls as oauth_urls
from localspace.oauth.models import OAuthModel
from localspace.oauth.responses import OAuthResponses
from localspace.paths import Paths
from localspace.pipelines import urls as pipelines_urls
from localspace.pipelines.models import PipelinesModel
from localspace.pipelines.responses import PipelinesResponses
from localspace.scim import urls as scim_urls
from localspace.scim.models import ScimModel
from localspace.scim.responses import ScimResponses
from localspace.sql import urls as sql_urls
from localspace.sql.models import SqlModel
from localspace.sql.responses import SqlResponses
from localspace.sql.warehouses import WarehousesModel
from localspace.unity import urls as unity_urls
from localspace.unity.models import UnityModel
from localspace.unity.responses import UnityResponses
from localspace.web import Reply, Request
from localspace.workspace import urls as workspace_urls
from localspace.workspace.models import WorkspaceModel
from localspace.workspace.responses import WorkspaceResponses

DEFAULT_TOKEN = "dapi-localspace"
MAX_BODY = 64 * 1024 * 1024


class Router:
    """The union of every room's URL table; unknown paths are ENDPOINT_NOT_FOUND."""

    def __init__(self):
        self._routes: list[tuple[str, re.Pattern, Callable[[Request], Any]]] = []

    def add(self, table: list[tuple[str, str, str]], responses: Any) -> None:
        for method, pattern, name in table:
            self._routes.append((method, re.compile(pattern), getattr(responses, name)))

    def resolve(self, method: str, path: str) -> tuple[Callable[[Request], Any], dict[str, str]]:
        for route_method, pattern, handler in self._routes:
            if route_method == method:
                match = pattern.fullmatch(path)
                if match:
                    return handler, match.groupdict()
        raise EndpointNotFound(f"No API found for '{method} {path}'")


class LocalSpace:
    """A local Databricks workspace. ``start()`` binds 127.0.0.1; ``stop()`` leaves nothing
    running. See docs/TEAM-NOTES.md for the contract other parts rely on.

    ``oauth_clients`` ({client_id: secret}) enables OAuth M2M and names the service
    principals that may use token federation; ``oidc_audience`` (str or list) is what a
    federated JWT's ``aud`` must contain, by default this server's token endpoint URL, which
    is what the SDK asks GitHub for when ``DATABRICKS_TOKEN_AUDIENCE`` is unset.

    What the workspace has and allows (``localspace.config.WorkspaceConfig``): ``serverless``
    (tasks without compute are accepted), ``clusters`` (all-purpose cluster ids) that take
    ``cluster_start`` seconds to start, ``warehouses`` (SQL warehouse ids) that take
    ``warehouse_start``, and ``catalogs`` that exist besides ``main``. None keeps a default.
    """

    def __init__(self, root: str | Path, engine: str = "auto", token: str = DEFAULT_TOKEN,
                 pending: float = 0.2, faults: Any = None, token_ttl: float = 3600,
                 secrets: Optional[dict[str, dict[str, str]]] = None, port: int = 0,
                 oauth_clients: Optional[dict[str, str]] = None,
                 oidc_audience: str | list[str] | None = None, serverless: bool = True,
                 clusters: Optional[list[str]] = None, cluster_start: float = 0.0,
                 warehouses: Optional[list[str]] = None, warehouse_start: float = 0.0,
                 catalogs: Optional[list[str]] = None):
        defaults = WorkspaceConfig()
        self.config = WorkspaceConfig(
            serverless=bool(serverless), clusters=tuple(clusters) if clusters is not None else defaults.clusters,
            cluster_start=float(cluster_start), warehouse_start=float(warehouse_start),
            warehouses=tuple(warehouses) if warehouses is not None else defaults.warehouses,
            catalogs=tuple(catalogs or ()))
        self.root = Path(root)
        self.engine_name = engine
        self.port = port
        self.pending = float(pending)
        self.secrets = secrets or {}
        self.fault_plan = FaultPlan.load(faults)
        audiences = [oidc_audience] if isinstance(oidc_audience, str) else list(oidc_audience or [])
        self._default_audience = oidc_audience is None
        self.oauth = OAuthModel(token, oauth_clients, token_ttl, audiences)
        self.request_log: list[tuple[str, str, int]] = []
        self.request_times: list[float] = []  # time.time() of each request_log entry, as its reply goes out
        self._log_lock = threading.Lock()
        self._httpd: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._stopping = threading.Event()
        self.engine = None
        self.url = ""

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> "LocalSpace":
        self.paths = Paths(self.root)
        self.workspace = WorkspaceModel(self.paths)
        self.engine = self._make_engine()
        self._httpd = _Server(("127.0.0.1", self.port), _Handler)
        self._httpd.space = self
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host}:{port}"
        if self._default_audience:
            self.oauth.add_audience(f"{self.url}/oidc/v1/token")
        self.clusters = ClustersModel(self.config.clusters, self.config.cluster_start)
        self.jobs = JobsModel(self.engine, self.workspace, self.url, self.pending,
                              JobRules(self.config.serverless, self.clusters))
        self.jobs.run_token = self.oauth.run_token
        self.sql = SqlModel(self.engine, WarehousesModel(self.config.warehouses, self.config.warehouse_start))
        self.unity = UnityModel(self.paths, self.engine, self.config.catalogs)
        self.pipelines = PipelinesModel(self.engine, self.workspace, self.paths, self.config)
        self.router = Router()
        self.router.add(oauth_urls.URLS, OAuthResponses(self.oauth))
        self.router.add(workspace_urls.URLS, WorkspaceResponses(self.workspace))
        self.router.add(files_urls.URLS, FilesResponses(VolumesModel(self.paths), DbfsModel(self.paths)))
        self.router.add(unity_urls.URLS, UnityResponses(self.unity))
        self.router.add(clusters_urls.URLS, ClustersResponses(self.clusters))
        self.router.add(scim_urls.URLS, ScimResponses(ScimModel()))
        self.router.add(jobs_urls.URLS, JobsResponses(self.jobs))
        self.router.add(sql_urls.URLS, SqlResponses(self.sql))
        self.router.add(pipelines_urls.URLS, PipelinesResponses(self.pipelines))
        self.router.add(runpage.URLS, runpage.RunPage(self.jobs))
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="localspace-http", daemon=True)
        self._thread.start()
        return self

    def _make_engine(self):
        try:
            from localspace.engine import make_engine
        except ImportError:
            print("localspace: no engine available (localspace.engine.make_engine); runs and "
                  "statements will fail", file=sys.stderr)
            return None
        return make_engine(self.engine_name, self.paths, self.workspace.read_notebook, self.secrets,
                           config=self.config)

    def stop(self) -> None:
        """Cancel every run and statement, stop every thread, close every socket."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        if self._thread:
            self._thread.join(timeout=5)
        self.jobs.stop()
        self.pipelines.close()
        self.sql.stop()
        if self.engine is not None:
            self.engine.close()
        self._httpd = None

    def __enter__(self) -> "LocalSpace":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def leftovers(self) -> dict[str, int]:
        return {"jobs": self.jobs.count_jobs(), "active_runs": self.jobs.count_active_runs(),
                "active_statements": self.sql.count_active(),
                "pipelines": self.pipelines.count_pipelines(),
                "active_pipeline_updates": self.pipelines.count_active(),
                "workspace_objects": self.workspace.count_objects()}

    def connections(self) -> int:
        """TCP connections accepted since start (with ``request_log``: are they reused?)."""
        return self._httpd.accepted if self._httpd is not None else 0

    def table_versions(self) -> dict[str, list[float]]:
        """When each write to each table became visible: {"cat.schema.table": [time.time(), ...]},
        version n at index n-1. For benchmarks ("the moment the data was there"): the spark
        engine keeps this record itself (statements, DataFrame writes, streaming batches), the
        python engine's SQL store keeps it for statements; without an engine, {}."""
        source = self.engine if hasattr(self.engine, "table_versions") else getattr(self.engine, "store", None)
        return source.table_versions() if hasattr(source, "table_versions") else {}

    # -- one request ---------------------------------------------------------------------------

    def log(self, method: str, path: str, status: int) -> None:
        with self._log_lock:
            self.request_log.append((method, path, status))
            self.request_times.append(time.time())

    def handle(self, req: Request, decision: Decision) -> Reply:
        """Route, authenticate and run one request; errors become Databricks error replies."""
        try:
            if req.path.startswith("/api/"):
                req.principal = self.oauth.authenticate(req.headers.get("Authorization"))
            handler, params = self.router.resolve(req.method, req.path)
            req.params = {k: unquote(v) for k, v in params.items()}
            req.faults = decision.run
            result = handler(req)
            return result if isinstance(result, Reply) else Reply(200, result)
        except ApiError as err:
            return Reply(err.status, err.body(), headers=err.headers)
        except Exception as exc:  # a bug in a room: answer like Databricks, keep serving
            traceback.print_exc(file=sys.stderr)
            err = InternalError(f"localspace internal error: {type(exc).__name__}")
            return Reply(err.status, err.body())


def fault_reply(rule) -> Reply:
    codes = {"429": ("REQUEST_LIMIT_EXCEEDED", "Too many requests. Please try again later."),
             "503": ("TEMPORARILY_UNAVAILABLE", "The service is temporarily unavailable. Please try again later."),
             "500": ("INTERNAL_ERROR", "Internal error (injected by localspace).")}
    code, message = codes[rule.kind]
    headers = {"Retry-After": str(rule.retry_after)} if rule.kind in ("429", "503") else {}
    body = {"error_code": code, "message": rule.message or message, "details": []}
    return Reply(int(rule.kind), body, headers=headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    space: LocalSpace

    def __init__(self, *args, **kwargs):
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self.accepted = 0  # connections accepted so far (benchmarks: do clients reuse them?)
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):
        with self._open_lock:
            self._open.add(request)
            self.accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        """A client that went away mid-request (its connection reset, a pipe broken: a killed
        runner, a client timeout on a slow link) is the network's ordinary life, not a server
        error: no traceback for it. Anything else is still printed."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Idle keep-alive connections would keep their handler threads reading forever."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "localspace"
    sys_version = ""
    server: _Server

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass  # the request log is LocalSpace.request_log

    def _dispatch(self) -> None:
        space = self.server.space
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        decision = space.fault_plan.decide(self.command, path)
        if decision.delay:
            space._stopping.wait(decision.delay)
        rule = decision.http
        if rule is not None and not rule.after_processing:
            return self._fault(space, rule, path)
        req = Request(method=self.command, path=path, query=parse_qs(parts.query, keep_blank_values=True),
                      headers=self.headers, body=body,
                      base_url=space.url)
        reply = space.handle(req, decision)
        if rule is not None:
            return self._fault(space, rule, path)
        space.log(self.command, path, reply.status)
        self._send(reply)

    def _fault(self, space: LocalSpace, rule, path: str) -> None:
        if rule.kind == "drop":
            space.log(self.command, path, 0)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        reply = fault_reply(rule)
        space.log(self.command, path, reply.status)
        self._send(reply)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply) -> None:
        body = reply.body
        if body is None:
            data = b""
        elif isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        headers = dict(reply.headers)
        length = headers.pop("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        if reply.status not in (204, 304):
            self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD" and reply.status not in (204, 304):
            try:
                self.wfile.write(data)
            except OSError:
                self.close_connection = True
