"""Where the workspace is and how to authenticate, read from the environment once.

Mirrors the Databricks CLI/SDK variables so a user's existing set-up works unchanged:
``DATABRICKS_HOST`` plus one of PAT (``DATABRICKS_TOKEN``), OAuth M2M
(``DATABRICKS_CLIENT_ID`` + ``DATABRICKS_CLIENT_SECRET``) or GitHub OIDC federation
(``DATABRICKS_AUTH_TYPE=github-oidc`` + ``DATABRICKS_CLIENT_ID``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional
from urllib.parse import urlsplit

from streamtest import redaction

SECRET_ENV = ("DATABRICKS_TOKEN", "DATABRICKS_CLIENT_SECRET", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
HOSTNAME = re.compile(r"[a-z0-9.-]+|[0-9a-f:.]+")      # a DNS name or an IP address (v6 unbracketed)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")                 # a line break in a header would split it
CREDENTIAL_ENV = ("DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET")
WELL_FORMED = re.compile(r"https?://[^/]", re.I)
# 'http:/h', 'http//h', 'https:h', 'htp:h', 'http:///h': a scheme was meant and mistyped
USERINFO = re.compile(r"[^/@\s]+@")
SCHEME_TYPO = re.compile(r"[a-z][a-z0-9+.-]*:?/+|h?t{1,2}p{1,2}s?:", re.I)


class ConfigError(ValueError):
    """The environment does not say how to reach the workspace (exit 2: nothing created)."""


class SchemeError(ConfigError):
    """DATABRICKS_HOST names no usable scheme: the workspace cannot be reached as written
    (exit 3, like a refused connection; nothing created)."""


@dataclass(frozen=True)
class Config:
    host: str
    auth_type: str                 # pat | oauth-m2m | github-oidc
    token: Optional[str] = None
    client_id: Optional[str] = None
    client_secret: Optional[str] = None
    token_audience: Optional[str] = None
    id_token_url: Optional[str] = None
    id_token_request_token: Optional[str] = None

    def __repr__(self) -> str:  # never show secrets, even in a debugger or traceback
        return f"Config(host={self.host!r}, auth_type={self.auth_type!r})"


def register_secrets(env: Mapping[str, str]) -> None:
    """Hide auth secrets from every output, even before they are used."""
    for name in SECRET_ENV:
        redaction.register(env.get(name))


def normalize_host(value: str) -> str:
    """https://host (no path, no trailing slash); plain http only for the local emulator.

    A scheme that is missing or mistyped is never guessed into a request that spends the
    retry budget: a loopback host without one, ``htp://``, ``http:/`` or ``http//`` is a
    ``SchemeError`` naming the URL that was most likely meant."""
    raw = value.strip()
    if not WELL_FORMED.match(raw):
        raw = USERINFO.sub("", raw)  # echoed below: never a password someone put in the URL
        if "://" in raw or SCHEME_TYPO.match(raw):
            meant = _meant(raw)
            raise SchemeError(f"DATABRICKS_HOST {raw!r} has no usable scheme (https://, or http:// for the "
                              f"local emulator): set DATABRICKS_HOST={meant}")
        bare = urlsplit("//" + raw)
        if bare.hostname in LOCAL_HOSTS:
            # https:// would be a guess that spends the whole retry budget against localspace
            raise SchemeError(f"DATABRICKS_HOST {raw!r} has no scheme; the local emulator speaks plain HTTP: "
                              f"set DATABRICKS_HOST=http://{bare.netloc}")
        raw = "https://" + raw  # a workspace host name, as the Databricks CLI and SDK read it
    parts = urlsplit(raw)
    if not parts.hostname:
        raise ConfigError(f"DATABRICKS_HOST is not a workspace URL: {value!r}")
    try:
        parts.port
    except ValueError:
        raise ConfigError(f"DATABRICKS_HOST has an invalid port: {value!r}") from None
    if not HOSTNAME.fullmatch(parts.hostname):
        raise ConfigError(f"DATABRICKS_HOST has characters no host name has: {value!r}")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ConfigError("DATABRICKS_HOST must use https:// (http:// only for 127.0.0.1/localhost)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"DATABRICKS_HOST must be the workspace root, without a path: {value!r}")
    if parts.username or parts.password:
        raise ConfigError("DATABRICKS_HOST must not contain credentials")
    return f"{parts.scheme}://{parts.netloc}"


def _meant(raw: str) -> str:
    """The URL a mistyped DATABRICKS_HOST most likely meant: its host with the right scheme."""
    rest = re.sub(r"^[a-z][a-z0-9+.-]*(:/*|/+)", "", raw, count=1, flags=re.I)
    netloc = rest.split("/", 1)[0]
    hostname = urlsplit("//" + netloc).hostname
    return ("http://" if hostname in LOCAL_HOSTS else "https://") + netloc


def from_env(env: Mapping[str, str], host: Optional[str] = None) -> Config:
    """Resolve host and auth; ``host`` (e.g. from a state file) is used when the env has none."""
    register_secrets(env)
    for name in CREDENTIAL_ENV:  # never echo the value: it is a secret, or next to one
        if CONTROL.search(env.get(name) or ""):
            raise ConfigError(f"{name} contains a line break or another control character; "
                              "store the credential without it")
    raw_host = env.get("DATABRICKS_HOST") or host
    if not raw_host:
        raise ConfigError("DATABRICKS_HOST is not set")
    base = normalize_host(raw_host)
    auth_type = (env.get("DATABRICKS_AUTH_TYPE") or "").strip().lower()
    client_id = env.get("DATABRICKS_CLIENT_ID") or None
    if auth_type in ("github-oidc", "github_oidc"):
        url, request_token = env.get("ACTIONS_ID_TOKEN_REQUEST_URL"), env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        if not client_id:
            raise ConfigError("github-oidc auth needs DATABRICKS_CLIENT_ID (the service principal's id)")
        if not url or not request_token:
            raise ConfigError("github-oidc auth needs ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN: "
                              "give the workflow `permissions: id-token: write`")
        return Config(base, "github-oidc", client_id=client_id,
                      token_audience=env.get("DATABRICKS_TOKEN_AUDIENCE") or None,
                      id_token_url=url, id_token_request_token=request_token)
    if auth_type in ("", "pat") and env.get("DATABRICKS_TOKEN"):
        return Config(base, "pat", token=env["DATABRICKS_TOKEN"])
    if auth_type in ("", "oauth-m2m") and client_id and env.get("DATABRICKS_CLIENT_SECRET"):
        return Config(base, "oauth-m2m", client_id=client_id, client_secret=env["DATABRICKS_CLIENT_SECRET"])
    if auth_type and auth_type not in ("pat", "oauth-m2m"):
        raise ConfigError(f"DATABRICKS_AUTH_TYPE={auth_type!r} is not supported "
                          "(use pat, oauth-m2m or github-oidc)")
    raise ConfigError("no credentials: set DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID and "
                      "DATABRICKS_CLIENT_SECRET, or DATABRICKS_AUTH_TYPE=github-oidc")
