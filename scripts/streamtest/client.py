"""The one HTTP client: one ``requests.Session``, one retry policy, one error type.

Every call to the workspace (and to the token endpoints) goes through ``HttpClient.call``,
so connection reuse, retries, token refresh and error shaping happen in exactly one place.

Retry policy (what the Databricks SDK does, with jitter): 429 and 503 wait for
``Retry-After`` (1 s when absent or malformed); other 5xx, timeouts and dropped connections
back off exponentially with jitter, capped at 10 s per wait; all of it bounded by a total
time budget, which also caps each attempt's timeouts (to what is left of it, at least 10 s).
A call marked ``idempotent=False`` (jobs/create) is never repeated after a
failure that may have been processed on the server: ``recover`` looks the object up first
(its answer stands for the reply; None means "not created", so the call is retried under
the same policy), and without ``recover`` the caller gets ``AmbiguousError``.

First contact is different: until the workspace has answered once, a refused connection, a
name that does not resolve, a TLS failure or no answer at all within ``FIRST_CONNECT``
seconds means the host is wrong or the workspace is not there, not that it is having a bad
moment, so the call fails at once (``Unreachable``) with the likely fix instead of spending
the retry budget. Once it has answered, the same errors are transient and retried.
"""
from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import InvalidHeader, NameResolutionError, NewConnectionError
from urllib3.util.retry import Retry

from streamtest import __version__, redaction
from streamtest.config import LOCAL_HOSTS
from streamtest.signals import Interrupted

USER_AGENT = f"streamtest/{__version__}"
BUDGET_ENV = "STREAMTEST_RETRY_BUDGET"
FIRST_CONNECT = 5.0               # connect timeout until the workspace has answered once
ATTEMPT_FLOOR = 10.0              # s an attempt may always wait for its reply, whatever the budget has left


def default_budget() -> float:
    """300 s, as the SDK; ``STREAMTEST_RETRY_BUDGET`` (seconds) shortens it, e.g. for fault tests."""
    try:
        seconds = float(os.environ.get(BUDGET_ENV, ""))
    except ValueError:
        return 300.0
    return seconds if 0 < seconds <= 3600 else 300.0


class ApiError(Exception):
    """A failed call: ``error_code``, ``message``, HTTP ``status`` (0 = no response), ``endpoint``.

    The text is redacted and never includes request headers, so no token can leak through it.
    """

    def __init__(self, error_code: str, message: str, status: int, endpoint: str):
        self.error_code = str(error_code)
        self.message = redaction.redact(message or "")
        self.status = status
        self.endpoint = endpoint
        super().__init__(str(self))

    def __str__(self) -> str:
        status = f"HTTP {self.status} " if self.status else ""
        return f"{self.endpoint}: {status}{self.error_code}: {self.message}"

    @classmethod
    def from_response(cls, response: requests.Response, endpoint: str) -> "ApiError":
        code, message = "", ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            code = body.get("error_code") or body.get("error") or ""
            message = body.get("message") or body.get("error_description") or ""
        if not code:
            code = {400: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                    404: "RESOURCE_DOES_NOT_EXIST", 409: "RESOURCE_ALREADY_EXISTS",
                    429: "REQUEST_LIMIT_EXCEEDED", 500: "INTERNAL_ERROR",
                    503: "TEMPORARILY_UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}.get(response.status_code, "HTTP_ERROR")
        if not message:
            message = (response.text or response.reason or "")[:300]
        return cls(code, message, response.status_code, endpoint)


class AmbiguousError(ApiError):
    """A non-idempotent call failed in a way that may have been processed anyway."""


class Unreachable(ApiError):
    """The workspace never answered: the host, port or scheme is wrong, or nothing listens."""


@dataclass
class RetryPolicy:
    total: float = field(default_factory=default_budget)  # give up after this many seconds
    base: float = 0.5             # first backoff wait
    cap: float = 10.0             # longest single wait
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """Exponential with 'equal jitter': half fixed, half random, so retries spread out."""
        wait = min(self.cap, self.base * (2 ** attempt))
        return wait / 2 + self.rng.random() * wait / 2

    @staticmethod
    def retry_after(response: requests.Response) -> float:
        value = response.headers.get("Retry-After")
        if not value:
            return 1.0
        try:
            seconds = Retry().parse_retry_after(value)
        except (InvalidHeader, ValueError, TypeError):
            return 1.0
        return max(0.0, min(seconds, 60.0))


class HttpClient:
    """Calls ``host`` with auth headers from ``auth`` (see auth.py) under one ``RetryPolicy``."""

    def __init__(self, host: str, auth=None, *, policy: Optional[RetryPolicy] = None,
                 session: Optional[requests.Session] = None, timeout=(10.0, 70.0),
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 on_retry: Optional[Callable[[str, ApiError, float], None]] = None,
                 answered_before: bool = False):
        self.host = host.rstrip("/")
        self.auth = auth
        self.policy = policy or RetryPolicy()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.timeout = timeout
        self.clock, self.sleep = clock, sleep
        self.on_retry = on_retry
        # has the workspace answered once? (see the module docstring) ``answered_before``: it
        # did in an earlier process (cleanup from a state file), so a blip now is transient
        self.reached = answered_before

    def close(self) -> None:
        self.session.close()

    def call(self, method: str, path: str, *, params=None, json=None, data=None,
             headers: Optional[dict] = None, idempotent: bool = True, authenticated: bool = True,
             basic: Optional[tuple] = None, total: Optional[float] = None,
             recover: Optional[Callable[[], Any]] = None) -> Any:
        """One logical call with retries; returns parsed JSON ({} for an empty body)."""
        url = path if path.startswith(("http://", "https://")) else self.host + path
        endpoint = f"{method} {urlsplit(url).path}"
        deadline = self.clock() + (self.policy.total if total is None else total)
        attempt, refreshed = 0, False
        while True:
            request_headers = dict(headers or {})
            if authenticated and self.auth is not None:
                request_headers.update(self.auth.headers(self))
            connect, read = self.timeout if self.reached else (min(FIRST_CONNECT, self.timeout[0]), self.timeout[1])
            # an attempt waits no longer than the call's budget has left (but at least
            # ATTEMPT_FLOOR: a slow reply is still a reply): a blackholed connection, no reply
            # and no close, would otherwise hold the call for the whole read timeout
            left = max(deadline - self.clock(), ATTEMPT_FLOOR)
            timeout = (min(connect, left), min(read, left))
            try:
                response = self.session.request(method, url, params=params, json=json, data=data,
                                                headers=request_headers, auth=basic, timeout=timeout)
            except Interrupted as exc:  # the workspace may still act on it: say so to cleanup
                if method not in ("GET", "HEAD") and authenticated:
                    exc.in_flight = endpoint
                raise
            except (requests.ConnectionError, requests.Timeout, *CUT_OFF) as exc:
                error = ApiError("NETWORK_ERROR", _describe(exc), 0, endpoint)
                if not self.reached and _never_answered(exc):
                    raise Unreachable("UNREACHABLE", _first_contact_fix(exc, url), 0, endpoint) from None
                if not idempotent and _maybe_sent(exc):
                    found = _recovered(recover, error)
                    if found is not None:
                        return found
                wait = self.policy.backoff(attempt)
            else:
                self.reached = True
                if response.status_code < 400 and not _cut_off(response):
                    return _body(response)
                error = ApiError.from_response(response, endpoint)
                status = response.status_code
                if status < 400:      # a success whose reply was cut off: as a dropped connection
                    error = ApiError("NETWORK_ERROR", "the reply was cut off before its body", 0, endpoint)
                    if not idempotent:
                        found = _recovered(recover, error)
                        if found is not None:
                            return found
                    wait = self.policy.backoff(attempt)
                elif status in (401, 403) and authenticated and not refreshed and getattr(self.auth, "refreshable", False):
                    # an expired OAuth token ("Invalid access token"): fetch a new one, once
                    self.auth.invalidate()
                    refreshed = True
                    continue
                elif status in (429, 503):
                    wait = self.policy.retry_after(response)
                elif status >= 500:
                    if not idempotent:
                        found = _recovered(recover, error)
                        if found is not None:
                            return found
                    wait = self.policy.backoff(attempt)
                else:
                    raise error
            attempt += 1
            if self.clock() + wait > deadline:
                raise ApiError(error.error_code, f"{error.message} (gave up after {attempt} attempts)",
                               error.status, endpoint)
            if self.on_retry:
                self.on_retry(endpoint, error, wait)
            self.sleep(wait)


def _recovered(recover: Optional[Callable[[], Any]], error: ApiError) -> Any:
    """After a non-idempotent call that may have been processed: what ``recover`` finds
    (None: it was not, so retrying is safe), or AmbiguousError when there is no way to look."""
    if recover is None:
        raise AmbiguousError(error.error_code, error.message, error.status, error.endpoint) from None
    return recover()


# a reply whose body broke off: shorter than its Content-Length, or a bad chunk
CUT_OFF = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


def _cut_off(response: requests.Response) -> bool:
    """A reply the connection lost part of that still parsed: its headers ended at the close, so
    it has neither Content-Length nor chunked framing and an empty body (every API reply with
    a body is framed; 204 and HEAD have none)."""
    if response.status_code in (204, 304) or response.request.method == "HEAD" or response.content:
        return False
    headers = response.headers
    return "Content-Length" not in headers and "chunked" not in headers.get("Transfer-Encoding", "").lower()


def _body(response: requests.Response) -> Any:
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        return {"_text": response.text}


def _reason(exc: Exception, kind: type) -> bool:
    """Whether urllib3's underlying reason for a requests error is of ``kind``."""
    reason = exc.args[0] if exc.args else None
    return isinstance(getattr(reason, "reason", reason), kind)


def _never_answered(exc: Exception) -> bool:
    """A failure to reach the server at all: refused, unresolvable, TLS, or a connect timeout."""
    return (isinstance(exc, (requests.ConnectTimeout, requests.exceptions.SSLError))
            or _reason(exc, NewConnectionError) or _reason(exc, NameResolutionError))


def _first_contact_fix(exc: Exception, url: str) -> str:
    """What went wrong at first contact, and the likely fix, in one line (no secrets: no headers)."""
    parts = urlsplit(url)
    host, root = parts.hostname or "", f"{parts.scheme}://{parts.netloc}"
    local = host in LOCAL_HOSTS
    if _reason(exc, NameResolutionError):
        return f"cannot resolve {host}: check DATABRICKS_HOST for a typo"
    if isinstance(exc, requests.exceptions.SSLError):
        if local or "wrong version number" in str(exc).lower() or "record layer" in str(exc).lower():
            return (f"TLS handshake with {root} failed: the server speaks plain HTTP (localspace does); "
                    f"set DATABRICKS_HOST=http://{parts.netloc}")
        return f"TLS handshake with {root} failed (a proxy or an untrusted certificate?): check DATABRICKS_HOST"
    if isinstance(exc, requests.ConnectTimeout):
        return f"no answer from {root} within {FIRST_CONNECT:.0f}s: check DATABRICKS_HOST (host and port), a VPN or a firewall"
    if local:
        return (f"connection refused at {root}: is localspace running? Start it with `python -m localspace serve` "
                "and set DATABRICKS_HOST to the URL it prints")
    return f"connection refused at {root}: check DATABRICKS_HOST (host and port)"


def _maybe_sent(exc: Exception) -> bool:
    """False only when the request certainly never reached the server."""
    return not (isinstance(exc, requests.ConnectTimeout) or _reason(exc, NewConnectionError))


def _describe(exc: Exception) -> str:
    """A short, secret-free description (exception text may include URLs, never headers)."""
    if isinstance(exc, requests.Timeout):
        return "the request timed out"
    return f"connection failed ({type(exc).__name__})"
