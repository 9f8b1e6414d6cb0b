"""Unity Catalog names on Spark's plain session catalog.

Spark's default catalog has databases, not catalogs, and only accepts
``spark_catalog.db.table`` as a three-part name; catalog plugins that would host ``dev`` as
a catalog need jars we cannot fetch. So a Unity Catalog schema ``dev.sbit`` is the Spark
database ``dev__sbit`` and ``dev.sbit.users`` is ``dev__sbit.users``. The current catalog of
a session lives in that session's conf (``localspace.catalog``), so each run's
``newSession()`` keeps its own, like a notebook on Databricks. Every SQL text and every
table name a notebook or the sql room hands to Spark goes through this module.
"""
from __future__ import annotations

import re
import shutil
from typing import Callable, Optional

from ..paths import Paths
from .sqltext import (DeltaNotAvailable, NamespaceStatement, parse_namespace_statement,
                      rewrite_tables, table_refs, tokenize, unquote, uses_delta)

DEFAULT_CATALOG = "main"
DEFAULT_SCHEMA = "default"
SEPARATOR = "__"
CATALOG_CONF = "localspace.catalog"
# First parts that are not catalogs or schemas: Spark's own namespaces and path tables.
_PASS_THROUGH = {"spark_catalog", "global_temp"}
_CREATE_OR_REPLACE_TABLE = re.compile(r"^\s*CREATE\s+OR\s+REPLACE\s+TABLE\s+", re.I)
FILE_FORMATS = {"parquet", "csv", "json", "text", "orc", "binaryfile", "avro", "xml"}


def database(catalog: str, schema: str) -> str:
    return f"{catalog.lower()}{SEPARATOR}{schema.lower()}"


def quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def current_catalog(session) -> str:
    return session.conf.get(CATALOG_CONF, DEFAULT_CATALOG)


def split_name(name: str) -> list[str]:
    """'dev.sbit.users' or '`dev`.`sbit`.users' -> ['dev', 'sbit', 'users']."""
    return [unquote(p) for p in re.findall(r"`(?:[^`]|``)*`|[^.]+", name.strip())]


def map_parts(catalog: str, parts: list[str],
              map_path: Callable[[str], str] = lambda p: p) -> Optional[str]:
    """Spark's spelling of a table reference, or None to keep it as written."""
    if len(parts) >= 2 and parts[0].lower() in _PASS_THROUGH:
        return None
    if len(parts) == 2 and parts[0].lower() in FILE_FORMATS and parts[1].startswith(("/", "dbfs:")):
        return f"{parts[0]}.{quoted(map_path(parts[1]))}"
    if len(parts) == 3:
        return f"{quoted(database(parts[0], parts[1]))}.{quoted(parts[2].lower())}"
    if len(parts) == 2:
        return f"{quoted(database(catalog, parts[0]))}.{quoted(parts[1].lower())}"
    return None


def unmap_message(text: Optional[str]) -> Optional[str]:
    """Spark's messages name `dev__sbit`.`users`; users wrote dev.sbit.users."""
    if not text:
        return text
    return re.sub(r"(?:`spark_catalog`\.)?`([a-z0-9_]+?)__([a-z0-9_]+)`", r"`\1`.`\2`", text)


def map_table_name(session, name: str) -> str:
    """A table name given to a DataFrame API (saveAsTable, toTable, table, ...)."""
    mapped = map_parts(current_catalog(session), split_name(name))
    return name if mapped is None else mapped


def qualified_name(session, parts: list[str]) -> Optional[str]:
    """``cat.schema.table`` for a table reference as a notebook wrote it, resolved against
    the session's current catalog and schema; None for a path (``parquet.`/x```)."""
    parts = [p.lower() for p in parts]
    if not parts or (len(parts) == 2 and parts[0] in FILE_FORMATS and parts[1].startswith(("/", "dbfs:"))):
        return None
    if len(parts) >= 3 or (len(parts) == 2 and parts[0] in _PASS_THROUGH):
        return ".".join(parts)
    if len(parts) == 2:
        return ".".join([current_catalog(session), *parts])
    catalog, _, schema = session.catalog.currentDatabase().partition(SEPARATOR)
    return ".".join([catalog, schema, *parts]) if schema else ".".join([current_catalog(session), catalog, *parts])


class SqlTranslator:
    """Turns one Unity Catalog SQL statement into what the plain session catalog runs."""

    def __init__(self, paths: Paths, map_path: Callable[[str], str]):
        self.paths = paths
        self.map_path = map_path

    def translate(self, session, text: str, run_sql: Callable[[str], object],
                  empty: Callable[[], object]):
        """Either the statement Spark should run (a str) or, for namespace statements that
        are answered here, their result frame. ``run_sql`` is Spark's own sql."""
        if uses_delta(text):
            raise DeltaNotAvailable()
        namespace = parse_namespace_statement(text)
        if namespace is not None:
            return self._namespace(session, namespace, run_sql, empty)
        catalog = current_catalog(session)
        mapper = lambda parts: map_parts(catalog, parts, self.map_path)  # noqa: E731
        replace = _CREATE_OR_REPLACE_TABLE.match(text)
        if replace:
            # Spark's session catalog has no REPLACE TABLE (Databricks/Delta has): drop, create.
            text = "CREATE TABLE " + text[replace.end():]
            name = table_refs(tokenize(text))[0].parts
            run_sql(f"DROP TABLE IF EXISTS {mapper(name) or quoted(name[0])}")
        return self._map_locations(rewrite_tables(text, mapper))

    def _map_locations(self, text: str) -> str:
        """LOCATION '/Volumes/...' names a folder under the root."""
        out, previous = [], ""
        for token in tokenize(text):
            if token.kind == "string" and previous == "LOCATION":
                value = token.text[1:-1]
                token.text = token.text[0] + self.map_path(value) + token.text[-1]
            out.append(token.text)
            if token.kind not in ("ws", "comment"):
                previous = token.upper
        return "".join(out)

    def use(self, session, catalog: str, schema: str, run_sql: Callable[[str], object]) -> None:
        """Make catalog.schema current; the default schema of a catalog always exists."""
        if schema == DEFAULT_SCHEMA:
            run_sql(f"CREATE DATABASE IF NOT EXISTS {quoted(database(catalog, schema))}")
        session.conf.set(CATALOG_CONF, catalog)
        run_sql(f"USE {quoted(database(catalog, schema))}")

    def _databases(self, run_sql) -> list[str]:
        return [row[0] for row in run_sql("SHOW DATABASES").collect()]

    def _namespace(self, session, ns: NamespaceStatement, run_sql, empty):
        catalog = current_catalog(session)
        if ns.action == "use":
            if ns.kind == "catalog":
                self.use(session, ns.parts[-1], DEFAULT_SCHEMA, run_sql)
            elif len(ns.parts) > 1:
                self.use(session, ns.parts[-2], ns.parts[-1], run_sql)
            else:
                self.use(session, catalog, ns.parts[0], run_sql)
            return empty()
        if ns.action == "show":
            return self._show(session, ns, run_sql)
        if ns.kind == "catalog":
            if ns.action == "drop":
                for name in self._databases(run_sql):
                    if name.startswith(ns.parts[-1] + SEPARATOR):
                        run_sql(f"DROP DATABASE IF EXISTS {quoted(name)}"
                                + (" CASCADE" if ns.cascade else ""))
            return empty()  # catalogs exist implicitly, as prefixes of database names
        if ns.kind == "schema":
            owner, schema = (ns.parts[-2], ns.parts[-1]) if len(ns.parts) > 1 else (catalog, ns.parts[0])
            name = quoted(database(owner, schema))
            if ns.action == "create":
                return run_sql(f"CREATE DATABASE {'IF NOT EXISTS ' if ns.if_not_exists else ''}{name}")
            result = run_sql(f"DROP DATABASE {'IF EXISTS ' if ns.if_exists else ''}{name}"
                             + (" CASCADE" if ns.cascade else ""))
            volumes = self.paths.volume(f"/Volumes/{owner}/{schema}")
            if ns.cascade and volumes.exists():
                shutil.rmtree(volumes)
            return result
        parts = ns.parts if len(ns.parts) == 3 else [catalog, DEFAULT_SCHEMA][:3 - len(ns.parts)] + ns.parts
        folder = self.paths.volume("/Volumes/" + "/".join(parts))
        if ns.action == "create":
            if database(parts[0], parts[1]) not in self._databases(run_sql):
                run_sql(f"USE {quoted(database(parts[0], parts[1]))}")  # raises SCHEMA_NOT_FOUND
            folder.mkdir(parents=True, exist_ok=True)
        elif folder.exists():
            shutil.rmtree(folder)
        elif not ns.if_exists:
            raise ValueError(f"[VOLUME_NOT_FOUND] Volume `{'`.`'.join(parts)}` does not exist.")
        return empty()

    def _show(self, session, ns: NamespaceStatement, run_sql):
        catalog = current_catalog(session)
        if ns.kind == "tables":
            owner, schema = (ns.parts[-2], ns.parts[-1]) if len(ns.parts) > 1 else (catalog, (ns.parts or [None])[0])
            if schema is None:
                return run_sql("SHOW TABLES")
            return run_sql(f"SHOW TABLES IN {quoted(database(owner, schema))}")
        names = self._databases(run_sql)
        if ns.kind == "catalogs":
            catalogs = sorted({n.split(SEPARATOR, 1)[0] for n in names if SEPARATOR in n} | {DEFAULT_CATALOG})
            return session.createDataFrame([(c,) for c in catalogs], "catalog STRING")
        if ns.kind == "schemas":
            owner = ns.parts[-1] if ns.parts else catalog
            prefix = owner + SEPARATOR
            schemas = sorted({n[len(prefix):] for n in names if n.startswith(prefix)} | {DEFAULT_SCHEMA})
            return session.createDataFrame([(s,) for s in schemas], "databaseName STRING")
        owner, schema = (ns.parts[-2], ns.parts[-1]) if len(ns.parts) > 1 else (catalog, (ns.parts or [DEFAULT_SCHEMA])[0])
        folder = self.paths.volume(f"/Volumes/{owner}/{schema}")
        volumes = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.exists() else []
        return session.createDataFrame([(schema, v) for v in volumes], "database STRING, volume_name STRING")
