"""Users as SCIM describes them, without HTTP.

The emulator has one principal per credential (the PAT's user, or an OAuth client id), so a
user is derived from the principal name: a stable id from its hash, so two calls agree.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


@dataclass(frozen=True)
class User:
    user_name: str

    @property
    def id(self) -> str:
        return str(int(hashlib.sha256(self.user_name.encode()).hexdigest()[:12], 16))

    def to_dict(self) -> dict:
        local = self.user_name.split("@", 1)[0]
        return {"schemas": [SCHEMA], "id": self.id, "userName": self.user_name,
                "displayName": local, "active": True,
                "emails": [{"value": self.user_name, "type": "work", "primary": True}] if "@" in self.user_name else []}


class ScimModel:
    def me(self, principal: str) -> User:
        return User(principal)
