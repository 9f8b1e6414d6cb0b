"""Unity Catalog namespaces: where they live, whether they exist, and their metadata.

One model for every part of localspace (the Files API, DBFS, dbutils, both engines, this
room): a catalog exists iff ``volumes_root/<catalog>`` is a folder, a schema iff
``volumes_root/<catalog>/<schema>`` is, a volume iff ``.../<schema>/<volume>`` is; names are
lower-cased, as Unity Catalog folds them. Existence always comes from the folders, so an
object an engine created with SQL (and that has no registry entry) still lists, with
metadata made up on the spot. The JSON registry under ``<root>/unity/`` only remembers what
a folder cannot: ids, creation times, comments, volume types.
"""
from __future__ import annotations

import json
import posixpath
import re
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Optional

from localspace.config import DEFAULT_CATALOG, DEFAULT_SCHEMA
from localspace.engine.base import SqlError
from localspace.errors import (CatalogAlreadyExists, CatalogDoesNotExist, CatalogNotEmpty, Conflict,
                               InvalidParameterValue, ResourceDoesNotExist, SchemaAlreadyExists,
                               SchemaDoesNotExist, SchemaNotEmpty, TableDoesNotExist)
from localspace.paths import Paths

NAME = re.compile(r"[\w-]{1,255}")   # a catalog, schema or volume name (no dots, no slashes)
METASTORE_ID = "00000000-0000-0000-0000-00000000ca7a"


# -- the folder contract (engines import these) -------------------------------------------------

def catalog_dir(paths: Paths, catalog: str) -> Path:
    return paths.volumes_root / catalog.lower()


def schema_dir(paths: Paths, catalog: str, schema: str) -> Path:
    return catalog_dir(paths, catalog) / schema.lower()


def volume_dir(paths: Paths, catalog: str, schema: str, volume: str) -> Path:
    return schema_dir(paths, catalog, schema) / volume.lower()


def exists(paths: Paths, *names: str) -> bool:
    """``exists(paths, "main")``, ``exists(paths, "main", "default")``, or with a volume too."""
    if not 1 <= len(names) <= 3 or not all(names):
        return False
    return (paths.volumes_root.joinpath(*(n.lower() for n in names))).is_dir()


def children(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def missing_volume(paths: Paths, path: str) -> Optional[str]:
    """For a ``/Volumes/c/s/v/...`` path: None when the volume exists, else what is missing,
    in the words of a Unity Catalog not-found message ("Catalog 'c'", "Volume 'c.s.v'").
    The path is normalised first: ``..`` must not walk the check past a missing part."""
    parts = [p for p in posixpath.normpath("/" + path.lstrip("/")).split("/") if p][1:4]
    if len(parts) < 3:
        return f"Volume '{'.'.join(parts)}'"
    for depth, kind in ((1, "Catalog"), (2, "Schema"), (3, "Volume")):
        if not exists(paths, *parts[:depth]):
            return f"{kind} '{'.'.join(p.lower() for p in parts[:depth])}'"
    return None


def ensure_catalog(paths: Paths, catalog: str) -> None:
    """A catalog comes with its ``default`` schema, as on Databricks."""
    schema_dir(paths, catalog, DEFAULT_SCHEMA).mkdir(parents=True, exist_ok=True)


def check_name(kind: str, name: Optional[str]) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InvalidParameterValue(f"Invalid {kind} name: {name!r}.")
    return name.lower()


def _quoted(*names: str) -> str:
    return ".".join(f"`{n}`" for n in names)


# -- the registry and the operations -----------------------------------------------------------------

class UnityModel:
    """Catalogs, schemas and volumes on the folders above; tables through the engine's SQL."""

    def __init__(self, paths: Paths, engine, catalogs: tuple[str, ...] = ()):
        self.paths = paths
        self.engine = engine
        self._file = paths.root / "unity" / "registry.json"
        self._file.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        for name in (DEFAULT_CATALOG, *catalogs):
            ensure_catalog(paths, check_name("catalog", name))

    # registry: {"c": {...}, "c.s": {...}, "c.s.v": {...}} -> metadata saved at creation
    def _load(self) -> dict:
        try:
            return json.loads(self._file.read_text())
        except (OSError, ValueError):
            return {}

    def _save(self, registry: dict) -> None:
        tmp = self._file.with_suffix(".tmp")
        tmp.write_text(json.dumps(registry, indent=1, sort_keys=True))
        tmp.replace(self._file)

    def _remember(self, full_name: str, **meta) -> None:
        with self._lock:
            registry = self._load()
            registry[full_name] = {"id": str(uuid.uuid4()), "created_at": int(time.time() * 1000), **meta}
            self._save(registry)

    def _forget(self, full_name: str) -> None:
        with self._lock:
            registry = self._load()
            for key in [k for k in registry if k == full_name or k.startswith(full_name + ".")]:
                del registry[key]
            self._save(registry)

    def _meta(self, full_name: str, folder: Path) -> dict:
        meta = self._load().get(full_name)
        if meta is None:   # made by an engine: ids and times from the folder
            stamp = int(folder.stat().st_mtime * 1000)
            meta = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, full_name)), "created_at": stamp}
        return {"metastore_id": METASTORE_ID, "owner": "localspace-user@example.com",
                "created_by": "localspace-user@example.com", "updated_at": meta["created_at"], **meta}

    def update(self, read, full_name: str, changes: dict) -> dict:
        """PATCH of a catalog, schema or volume (``read`` is self.catalog, .schema or .volume):
        its comment; renames and other changes are not emulated and say so."""
        info = read(full_name)
        unsupported = sorted(set(changes) - {"comment", "name", "full_name"})
        if unsupported:
            raise InvalidParameterValue(f"localspace updates the comment only, not {', '.join(unsupported)}.")
        with self._lock:
            registry = self._load()
            entry = registry.setdefault(info["full_name"], {"id": info["id"], "created_at": info["created_at"]})
            if "comment" in changes:
                entry["comment"] = changes["comment"]
            self._save(registry)
        return read(full_name)

    # catalogs
    def catalog(self, name: str) -> dict:
        name = check_name("catalog", name)
        if not exists(self.paths, name):
            raise CatalogDoesNotExist(f"Catalog '{name}' does not exist.")
        meta = self._meta(name, catalog_dir(self.paths, name))
        return {"name": name, "full_name": name, "catalog_type": "MANAGED_CATALOG",
                "isolation_mode": "OPEN", "securable_type": "CATALOG", **meta}

    def catalogs(self) -> list[dict]:
        return [self.catalog(n) for n in children(self.paths.volumes_root)]

    def create_catalog(self, name: str, comment: Optional[str]) -> dict:
        name = check_name("catalog", name)
        with self._lock:
            if exists(self.paths, name):
                raise CatalogAlreadyExists(f"Catalog '{name}' already exists")
            ensure_catalog(self.paths, name)
            self._remember(name, **({"comment": comment} if comment else {}))
        return self.catalog(name)

    def delete_catalog(self, name: str, force: bool) -> None:
        self.catalog(name)
        name = name.lower()
        schemas = [s for s in children(catalog_dir(self.paths, name))
                   if s != DEFAULT_SCHEMA or self._schema_contents(name, s)]
        if schemas and not force:
            raise CatalogNotEmpty(f"Catalog '{name}' is not empty. The catalog has {len(schemas)} schema(s).")
        for schema in children(catalog_dir(self.paths, name)):
            self._drop_schema_contents(name, schema)
        shutil.rmtree(catalog_dir(self.paths, name), ignore_errors=True)
        self._forget(name)

    # schemas
    def schema(self, full_name: str) -> dict:
        catalog, schema = _split(full_name, 2, "schema")
        self.catalog(catalog)
        if not exists(self.paths, catalog, schema):
            raise SchemaDoesNotExist(f"Schema '{catalog}.{schema}' does not exist.")
        meta = self._meta(f"{catalog}.{schema}", schema_dir(self.paths, catalog, schema))
        return {"name": schema, "catalog_name": catalog, "full_name": f"{catalog}.{schema}",
                "catalog_type": "MANAGED_CATALOG", "securable_type": "SCHEMA", **meta}

    def schemas(self, catalog: str) -> list[dict]:
        self.catalog(catalog)
        return [self.schema(f"{catalog.lower()}.{s}") for s in children(catalog_dir(self.paths, catalog))]

    def create_schema(self, catalog: str, name: str, comment: Optional[str]) -> dict:
        catalog, name = check_name("catalog", catalog), check_name("schema", name)
        with self._lock:
            self.catalog(catalog)
            if exists(self.paths, catalog, name):
                raise SchemaAlreadyExists(f"Schema '{catalog}.{name}' already exists")
            schema_dir(self.paths, catalog, name).mkdir(parents=True)
            self._remember(f"{catalog}.{name}", **({"comment": comment} if comment else {}))
        return self.schema(f"{catalog}.{name}")

    def delete_schema(self, full_name: str, force: bool) -> None:
        catalog, schema = _split(full_name, 2, "schema")
        self.schema(full_name)
        if self._schema_contents(catalog, schema) and not force:
            raise SchemaNotEmpty(f"Schema '{catalog}.{schema}' is not empty.")
        self._drop_schema_contents(catalog, schema)
        shutil.rmtree(schema_dir(self.paths, catalog, schema), ignore_errors=True)
        self._forget(f"{catalog}.{schema}")

    def _schema_contents(self, catalog: str, schema: str) -> list[str]:
        return children(schema_dir(self.paths, catalog, schema)) + self._table_names(catalog, schema)

    def _drop_schema_contents(self, catalog: str, schema: str) -> None:
        """DROP SCHEMA ... CASCADE in the engine (its tables), then the folder (its volumes)."""
        if self.engine is not None and self._table_names(catalog, schema):
            self._sql(f"DROP SCHEMA IF EXISTS {_quoted(catalog, schema)} CASCADE")

    # volumes
    def volume(self, full_name: str) -> dict:
        catalog, schema, name = _split(full_name, 3, "volume")
        self.schema(f"{catalog}.{schema}")
        folder = volume_dir(self.paths, catalog, schema, name)
        if not folder.is_dir():
            raise ResourceDoesNotExist(f"Volume '{catalog}.{schema}.{name}' does not exist.")
        meta = self._meta(f"{catalog}.{schema}.{name}", folder)
        meta.setdefault("volume_type", "MANAGED")
        return {"name": name, "catalog_name": catalog, "schema_name": schema,
                "full_name": f"{catalog}.{schema}.{name}", "volume_id": meta["id"],
                "storage_location": folder.as_uri(), **meta}

    def volumes(self, catalog: str, schema: str) -> list[dict]:
        self.schema(f"{catalog}.{schema}")
        return [self.volume(f"{catalog}.{schema}.{v}".lower())
                for v in children(schema_dir(self.paths, catalog, schema))]

    def create_volume(self, catalog: str, schema: str, name: str, volume_type: str,
                      comment: Optional[str]) -> dict:
        catalog, schema = check_name("catalog", catalog), check_name("schema", schema)
        name = check_name("volume", name)
        if volume_type not in ("MANAGED", "EXTERNAL"):
            raise InvalidParameterValue(f"Invalid volume_type: {volume_type}.")
        with self._lock:
            self.schema(f"{catalog}.{schema}")
            folder = volume_dir(self.paths, catalog, schema, name)
            if folder.is_dir():
                raise Conflict(f"Volume '{catalog}.{schema}.{name}' already exists")
            folder.mkdir()
            meta = {"volume_type": volume_type, **({"comment": comment} if comment else {})}
            self._remember(f"{catalog}.{schema}.{name}", **meta)
        return self.volume(f"{catalog}.{schema}.{name}")

    def delete_volume(self, full_name: str) -> None:
        info = self.volume(full_name)
        shutil.rmtree(volume_dir(self.paths, info["catalog_name"], info["schema_name"], info["name"]))
        self._forget(info["full_name"])

    # tables: the engine knows them; plain SQL through the engine interface
    def _sql(self, statement: str):
        if self.engine is None:
            raise InvalidParameterValue("localspace has no engine to answer for tables.")
        return self.engine.execute_sql(statement)

    def _table_names(self, catalog: str, schema: str) -> list[str]:
        if self.engine is None:
            return []
        result = self._sql(f"SHOW TABLES IN {_quoted(catalog, schema)}")
        index = next((i for i, c in enumerate(result.columns) if c.name.lower() == "tablename"), 1)
        temporary = next((i for i, c in enumerate(result.columns) if c.name.lower() == "istemporary"), None)
        return sorted(row[index].lower() for row in result.rows
                      if temporary is None or str(row[temporary]).lower() != "true")

    def table(self, full_name: str) -> dict:
        catalog, schema, name = _split(full_name, 3, "table")
        if not self.table_exists(full_name):
            raise TableDoesNotExist(f"Table '{catalog}.{schema}.{name}' does not exist.")
        return {"name": name, "catalog_name": catalog, "schema_name": schema,
                "full_name": f"{catalog}.{schema}.{name}", "table_type": "MANAGED",
                "securable_type": "TABLE", "metastore_id": METASTORE_ID}

    def table_exists(self, full_name: str) -> bool:
        """tables/{name}/exists: false for a missing table, 404 for a missing catalog or schema."""
        catalog, schema, name = _split(full_name, 3, "table")
        self.schema(f"{catalog}.{schema}")
        return name in self._table_names(catalog, schema)

    def tables(self, catalog: str, schema: str) -> list[dict]:
        self.schema(f"{catalog}.{schema}")
        return [self.table(f"{catalog}.{schema}.{t}".lower()) for t in self._table_names(catalog, schema)]

    def delete_table(self, full_name: str) -> None:
        info = self.table(full_name)
        try:
            self._sql(f"DROP TABLE {_quoted(info['catalog_name'], info['schema_name'], info['name'])}")
        except SqlError as err:
            raise InvalidParameterValue(str(err)) from None


def _split(full_name: Optional[str], parts: int, kind: str) -> list[str]:
    names = (full_name or "").split(".")
    if len(names) != parts or not all(names):
        raise InvalidParameterValue(f"Invalid {kind} full name: {full_name!r}.")
    return [check_name(kind, n) for n in names]
