"""Unity Catalog objects as streamtest reads them: ``Schema`` and ``Volume``, built from the
replies of /api/2.1/unity-catalog/schemas and /volumes (SchemaInfo, VolumeInfo).

Only what the scratch namespace needs: its full name, the comment that says which run made
it (how a schema whose create reply was lost is told apart from one that was there before,
and how ``sweep`` finds one left behind), when it was made, and a volume's /Volumes path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Schema:
    full_name: str                # catalog.schema, lower-cased as Unity Catalog stores it
    comment: str = ""
    created: Optional[float] = None   # epoch seconds (SchemaInfo.created_at is in milliseconds)


@dataclass(frozen=True)
class Volume:
    full_name: str                # catalog.schema.volume

    @property
    def path(self) -> str:
        return "/Volumes/" + "/".join(self.full_name.split("."))


def parse_schema(body: dict) -> Schema:
    full_name = body.get("full_name") or f"{body.get('catalog_name', '')}.{body.get('name', '')}"
    created = body.get("created_at")
    return Schema(str(full_name), str(body.get("comment") or ""),
                  created / 1000.0 if isinstance(created, (int, float)) and not isinstance(created, bool) else None)


def parse_volume(body: dict) -> Volume:
    full_name = body.get("full_name") or ".".join(
        str(body.get(k, "")) for k in ("catalog_name", "schema_name", "name"))
    return Volume(str(full_name))
