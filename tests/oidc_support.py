"""A stand-in for GitHub's OIDC token service, shared by the emulator's, the runner's and the
action's federation tests.

In an Actions job with ``permissions: id-token: write``, ``GET $ACTIONS_ID_TOKEN_REQUEST_URL
&audience=AUD`` with ``Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`` answers
``{"value": <jwt>}``. This one answers the same on 127.0.0.1 with an unsigned JWT for the
requested audience (localspace checks the audience, not the signature) and refuses any
other bearer, so a caller that loses the request token fails here as it would on GitHub.
"""
from __future__ import annotations

import base64
import contextlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

ISSUER = "https://token.actions.githubusercontent.com"


def unsigned_jwt(claims: dict) -> str:
    """header.claims.signature with a placeholder signature."""
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


@dataclass
class GitHubTokenService:
    request_token: str
    env: dict[str, str] = field(default_factory=dict)   # ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN
    issued: list[str] = field(default_factory=list)     # every JWT handed out, for leak scans
    audiences: list[str] = field(default_factory=list)  # what each caller asked for


@contextlib.contextmanager
def github_token_service(request_token: str = "") -> Iterator[GitHubTokenService]:
    """Serve GitHub's token endpoint on 127.0.0.1 for the ``with`` block."""
    service = GitHubTokenService(request_token or f"ghs-{secrets.token_hex(12)}")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.headers.get("Authorization") != f"Bearer {service.request_token}":
                self.send_error(401)
                return
            audience = parse_qs(urlsplit(self.path).query).get("audience", [""])[0]
            jwt = unsigned_jwt({"iss": ISSUER, "aud": audience, "exp": int(time.time()) + 600,
                                "sub": "repo:OWNER/app:ref:refs/heads/main", "jti": secrets.token_hex(8)})
            service.audiences.append(audience)
            service.issued.append(jwt)
            body = json.dumps({"value": jwt}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="fake-github-oidc")
    thread.start()
    service.env.update({
        # already has a query, as GitHub's does: callers must append "&audience=", not "?"
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"http://127.0.0.1:{server.server_port}/token?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": service.request_token})
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
