"""HTTP side of the OAuth room: discovery documents, the token endpoint, and "who am I"."""
from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs

from localspace.oauth.models import OAuthError, OAuthModel
from localspace.web import Reply, Request

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
WORKSPACE_ID = "7000000000000001"


class OAuthResponses:
    def __init__(self, model: OAuthModel):
        self.model = model

    def host_metadata(self, req: Request) -> dict:
        """``/.well-known/databricks-config``: the SDK (0.16x) reads its OIDC root from here
        before anything else."""
        return {"oidc_endpoint": f"{req.base_url}/oidc", "workspace_id": WORKSPACE_ID}

    def discovery(self, req: Request) -> dict:
        oidc = f"{req.base_url}/oidc"
        return {
            "issuer": oidc,
            "authorization_endpoint": f"{oidc}/v1/authorize",
            "token_endpoint": f"{oidc}/v1/token",
            "jwks_uri": f"{oidc}/jwks.json",
            "grant_types_supported": ["client_credentials", TOKEN_EXCHANGE],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["all-apis", "offline_access"],
        }

    def token(self, req: Request) -> Reply:
        form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        client_id, client_secret = _basic_auth(req.headers.get("Authorization"))
        client_id = client_id or form.get("client_id")
        client_secret = client_secret if client_secret is not None else form.get("client_secret")
        grant = form.get("grant_type")
        try:
            if grant == "client_credentials":
                body = self.model.client_credentials(client_id, client_secret, form.get("scope"))
            elif grant == TOKEN_EXCHANGE:
                body = self.model.token_exchange(form.get("subject_token"), form.get("subject_token_type"),
                                                 client_id, form.get("scope"))
            else:
                raise OAuthError(400, "unsupported_grant_type", "Unsupported grant_type")
        except OAuthError as err:
            return Reply(err.status, {"error": err.error, "error_description": err.description})
        return Reply(200, body, headers={"Cache-Control": "no-store"})

    def me(self, req: Request) -> dict:
        """SCIM ``Me``: lets a client check its credentials with one cheap call."""
        return {"id": "1", "userName": req.principal, "displayName": req.principal, "active": True,
                "emails": [{"value": req.principal, "primary": True, "type": "work"}]}


def _basic_auth(header: str | None) -> tuple[str | None, str | None]:
    if not header or not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else (None, None)
