"""HTTP side of the SCIM room: who the bearer token belongs to."""
from __future__ import annotations

from localspace.scim.models import ScimModel
from localspace.web import Request


class ScimResponses:
    def __init__(self, model: ScimModel):
        self.model = model

    def me(self, req: Request) -> dict:
        return self.model.me(req.principal or "").to_dict()
