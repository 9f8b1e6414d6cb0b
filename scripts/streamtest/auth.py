"""Credential strategies: each gives the client fresh ``Authorization`` headers.

PAT is static. OAuth M2M and GitHub OIDC federation fetch an access token from the
workspace's token endpoint and fetch a new one before the old expires (at 3/4 of a short
lifetime, or a minute before a long one), so a test longer than a token's life keeps working.
A 401 makes the client call ``invalidate`` and retry once with a new token.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Optional
from urllib.parse import urlencode

from streamtest import redaction
from streamtest.client import ApiError, HttpClient
from streamtest.config import Config
from streamtest.databricks.workspace import OIDC_DISCOVERY, OIDC_TOKEN

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"


class PatAuth:
    refreshable = False

    def __init__(self, token: str):
        redaction.register(token)
        self._header = {"Authorization": f"Bearer {token}"}

    def headers(self, client: HttpClient) -> dict:
        return self._header

    def invalidate(self) -> None:
        pass


class OAuthAuth:
    """A refreshing bearer token from ``host``'s token endpoint (discovered once);
    ``fetch(client, endpoint)`` asks it for a token and returns its JSON."""

    refreshable = True

    def __init__(self, host: str, fetch: Callable[[HttpClient, str], dict],
                 clock: Callable[[], float] = time.monotonic):
        self._host = host
        self._endpoint: Optional[str] = None
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Optional[str] = None
        self._refresh_at = 0.0

    def headers(self, client: HttpClient) -> dict:
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._renew(client)
            return {"Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _renew(self, client: HttpClient) -> None:
        now = self._clock()
        if self._endpoint is None:
            self._endpoint = _token_endpoint(client, self._host)
        body = self._fetch(client, self._endpoint)
        token = body.get("access_token")
        if not token:
            raise ApiError("UNAUTHENTICATED", "the token endpoint returned no access_token", 200, "POST token")
        redaction.register(token)
        lifetime = float(body["expires_in"]) if body.get("expires_in") is not None else 3600.0
        margin = lifetime / 4 if lifetime < 240 else 60.0
        self._token, self._refresh_at = token, now + lifetime - margin


def _token_endpoint(client: HttpClient, host: str) -> str:
    """Discover the token endpoint the way the SDK does; fall back to the documented path."""
    try:
        meta = client.call("GET", host + OIDC_DISCOVERY, authenticated=False, total=60)
        endpoint = meta.get("token_endpoint")
        if endpoint:
            return endpoint
    except ApiError as exc:
        if exc.status in (401, 403) or exc.status == 0:
            raise
    return host + OIDC_TOKEN


def m2m(cfg: Config, clock=time.monotonic) -> OAuthAuth:
    redaction.register(cfg.client_secret)

    def fetch(client: HttpClient, endpoint: str) -> dict:
        return client.call("POST", endpoint, authenticated=False, total=120,
                           data={"grant_type": "client_credentials", "scope": "all-apis"},
                           basic=(cfg.client_id, cfg.client_secret))
    return OAuthAuth(cfg.host, fetch, clock)


def github_oidc(cfg: Config, clock=time.monotonic) -> OAuthAuth:
    redaction.register(cfg.id_token_request_token)

    def fetch(client: HttpClient, endpoint: str) -> dict:
        audience = cfg.token_audience or endpoint
        separator = "&" if "?" in cfg.id_token_url else "?"
        id_token = client.call("GET", cfg.id_token_url + separator + urlencode({"audience": audience}),
                               authenticated=False, total=120,
                               headers={"Authorization": f"Bearer {cfg.id_token_request_token}"}).get("value")
        if not id_token:
            raise ApiError("UNAUTHENTICATED", "GitHub returned no OIDC token", 200, "GET id token")
        redaction.register(id_token)
        return client.call("POST", endpoint, authenticated=False, total=120, data={
            "grant_type": TOKEN_EXCHANGE, "subject_token_type": JWT_TYPE, "subject_token": id_token,
            "client_id": cfg.client_id, "scope": "all-apis"})
    return OAuthAuth(cfg.host, fetch, clock)


def for_config(cfg: Config, clock=time.monotonic):
    """The strategy ``cfg.auth_type`` names."""
    if cfg.auth_type == "pat":
        return PatAuth(cfg.token)
    if cfg.auth_type == "oauth-m2m":
        return m2m(cfg, clock)
    return github_oidc(cfg, clock)
