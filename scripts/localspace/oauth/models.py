"""Who may call the emulator, and the OAuth tokens it has issued.

Three ways in, as on Databricks: the configured personal access token; an OAuth M2M token
from ``client_credentials`` with a configured client id/secret; an OAuth token from a
token exchange of a JWT (GitHub Actions OIDC federation). Tokens expire after ``ttl``
seconds so that a runner's refresh logic is tested for real (configure it short).
"""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets as _secrets
import threading
import time
from typing import Callable, Iterable, Optional

from localspace.errors import PermissionDenied, Unauthenticated


class OAuthError(Exception):
    """An RFC 6749 error reply: ``{"error", "error_description"}`` with an HTTP status."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


class OAuthModel:
    def __init__(self, token: str, clients: dict[str, str] | None, ttl: float,
                 audiences: Iterable[str] = (), clock: Callable[[], float] = time.monotonic):
        self._pat = token
        self._clients = dict(clients or {})
        self.ttl = float(ttl)
        self._audiences = set(audiences)
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}   # access token -> (principal, expiry)
        self._lock = threading.Lock()

    def add_audience(self, audience: str) -> None:
        """The token endpoint URL is only known once the server is bound."""
        self._audiences.add(audience)

    # -- issuing -------------------------------------------------------------------------

    def client_credentials(self, client_id: Optional[str], client_secret: Optional[str],
                           scope: Optional[str]) -> dict:
        expected = self._clients.get(client_id or "")
        if expected is None or not hmac.compare_digest(expected, client_secret or ""):
            raise OAuthError(401, "invalid_client", "Client authentication failed")
        return self._issue(client_id, scope)

    def token_exchange(self, subject_token: Optional[str], subject_token_type: Optional[str],
                       client_id: Optional[str], scope: Optional[str]) -> dict:
        """Federation: a JWT whose ``aud`` is an accepted audience, for a known service
        principal (``client_id``). The signature is not checked: there is no issuer to trust
        locally, and the point is to exercise the client's exchange and refresh."""
        if subject_token_type not in (None, "urn:ietf:params:oauth:token-type:jwt",
                                      "urn:ietf:params:oauth:token-type:id_token"):
            raise OAuthError(400, "invalid_request", "Unsupported subject_token_type")
        if not client_id or client_id not in self._clients:
            raise OAuthError(401, "invalid_client", "Unknown client_id for token federation")
        claims = _jwt_claims(subject_token or "")
        if claims is None:
            raise OAuthError(400, "invalid_request", "subject_token is not a well-formed JWT")
        aud = claims.get("aud")
        auds = set(aud) if isinstance(aud, list) else {aud}
        if not auds & self._audiences:
            raise OAuthError(400, "invalid_grant", "The audience of the subject token is not accepted")
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and exp < time.time():
            raise OAuthError(400, "invalid_grant", "The subject token has expired")
        return self._issue(client_id, scope)

    def run_token(self, principal: str) -> str:
        """A token of a notebook run's own (its context's ``apiToken()``), for calls back to
        this workspace; it expires with the others."""
        return self._issue(principal, None)["access_token"]

    def _issue(self, principal: str, scope: Optional[str]) -> dict:
        access_token = "dlsp" + _secrets.token_hex(24)
        with self._lock:
            now = self._clock()
            self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
            self._tokens[access_token] = (principal, now + self.ttl)
        return {"access_token": access_token, "token_type": "Bearer",
                "expires_in": int(self.ttl), "scope": scope or "all-apis"}

    # -- checking ------------------------------------------------------------------------

    def authenticate(self, authorization: Optional[str]) -> str:
        """The principal behind an Authorization header; 401 without one, 403 when it is wrong
        or expired (as Databricks answers "Invalid access token")."""
        if not authorization:
            raise Unauthenticated("Unauthorized: no credentials were provided")
        scheme, _, credential = authorization.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthenticated("Unauthorized: only Bearer tokens are accepted")
        if hmac.compare_digest(credential.encode(), self._pat.encode()):
            return "localspace-user@example.com"
        with self._lock:
            entry = self._tokens.get(credential)
        if entry is None:
            raise PermissionDenied("Invalid access token.")
        principal, expiry = entry
        if expiry <= self._clock():
            raise PermissionDenied("Invalid access token: the token has expired.")
        return principal

    def live_tokens(self) -> int:
        now = self._clock()
        with self._lock:
            return sum(1 for _, expiry in self._tokens.values() if expiry > now)


def _jwt_claims(token: str) -> Optional[dict]:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return None
    try:
        segments = [json.loads(_b64url(p)) for p in parts[:2]]
    except (ValueError, binascii.Error):
        return None
    header, claims = segments
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return claims


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
