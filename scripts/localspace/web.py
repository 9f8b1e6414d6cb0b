"""The request and reply objects every room's responses.py works with.

Kept apart from server.py so rooms never import the server (which imports their url
tables): a room sees a parsed ``Request`` and returns a dict (a 200 JSON reply) or a
``Reply``. Field access goes through ``Request.field`` so that a missing or mistyped field
is always the same 400 INVALID_PARAMETER_VALUE, whichever room asks.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from localspace.errors import InvalidParameterValue

_MISSING = object()


@dataclass
class Reply:
    """A non-default reply: another status, raw bytes, or extra headers."""

    status: int = 200
    body: Any = None                  # dict/list -> JSON; bytes -> as is; None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class Request:
    method: str
    path: str                         # without the query string, percent-decoded
    query: dict[str, list[str]]
    headers: Any                      # email.message.Message (case-insensitive get)
    body: bytes
    base_url: str                     # "http://127.0.0.1:PORT", for URLs the reply names
    params: dict[str, str] = field(default_factory=dict)   # named groups of the route
    principal: Optional[str] = None   # who the bearer token belongs to
    faults: list = field(default_factory=list)              # run-level fault rules that fired
    _json: Any = _MISSING

    def json(self) -> dict:
        """The body as a JSON object; an empty body is ``{}``."""
        if self._json is _MISSING:
            if not self.body.strip():
                self._json = {}
            else:
                try:
                    self._json = json.loads(self.body)
                except ValueError as exc:
                    raise InvalidParameterValue(f"Malformed JSON in request body: {exc}") from None
            if not isinstance(self._json, dict):
                raise InvalidParameterValue("Invalid JSON given in the body of the request - expected a map")
        return self._json

    def _raw(self, name: str) -> Any:
        if self.method in ("GET", "HEAD", "DELETE") and not self.body.strip():
            values = self.query.get(name)
            return values[-1] if values else _MISSING
        return self.json().get(name, _MISSING)

    def field(self, name: str, kind: type = str, *, required: bool = False, default: Any = None) -> Any:
        """One field from the JSON body (POST/PUT/PATCH) or the query string (GET/HEAD/DELETE),
        coerced to ``kind`` the way Databricks' proto-JSON does (int64 may come as a string,
        booleans in a query string are ``true``/``false``)."""
        value = self._raw(name)
        if value is _MISSING or value is None:
            if required:
                raise InvalidParameterValue(f"Missing required field: {name}")
            return default
        return coerce(name, value, kind)


def coerce(name: str, value: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
    elif kind is int:
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            return value
        elif isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
    elif kind is str:
        if isinstance(value, str):
            return value
    elif kind in (dict, list):
        if isinstance(value, kind):
            return value
    else:
        return value
    raise InvalidParameterValue(f"Invalid value for field {name}: expected {kind.__name__}, got {type(value).__name__}")


def form_fields(req: Request) -> dict[str, bytes]:
    """Fields of a ``multipart/form-data`` body (the SDK's workspace.upload, databricks-cli's
    dbfs/put). Split on the boundary by hand, byte for byte: binary file parts must come back
    exactly (the email parser reads parts as lines and may keep a line ending)."""
    content_type = req.headers.get("Content-Type", "")
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise InvalidParameterValue("Malformed multipart/form-data body")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields = {}
    for part in req.body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, sep, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]*)"', head) if sep else None
        if name is None:
            raise InvalidParameterValue("Malformed multipart/form-data body")
        fields[name.group(1).decode("utf-8")] = content.removesuffix(b"\r\n")
    return fields


def page_token(offset: int) -> str:
    """The opaque ``page_token`` of list calls that page by offset (jobs, pipelines)."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def page_offset(token: str) -> int:
    try:
        kind, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "offset":
            return max(0, int(number))
    except (ValueError, binascii.Error):
        pass
    raise InvalidParameterValue("Invalid page_token.")
