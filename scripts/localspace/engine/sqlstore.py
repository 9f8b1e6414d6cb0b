"""The python engine's embedded SQL store: Unity Catalog-shaped SQL on one sqlite file.

Fast tests need SQL steps (create schema, count rows) without a JVM, and notebooks run by
the python engine must see the same tables as the sql room's statements. One sqlite file
under the emulator's root, opened per session in WAL mode with a busy timeout, gives both
processes (the emulator and each notebook child) one shared store. ``cat.schema.table``
becomes the sqlite table ``cat__schema__table``; catalogs, schemas and volumes are the
Unity Catalog folders every part of localspace shares (unity/models.py), so CREATE/DROP/SHOW
here and the Unity Catalog REST API see the same namespaces.
"""
from __future__ import annotations

import re
import shutil
import sqlite3
import time
from typing import Optional

from ..config import DEFAULT_CATALOG, DEFAULT_SCHEMA
from ..paths import Paths
from ..unity import models as unity
from .base import SqlColumn, SqlError, SqlResult
from .sqltext import (DELTA_MESSAGE, NamespaceStatement, parse_namespace_statement,
                      rewrite_tables, table_refs, tokenize, uses_delta)

SEPARATOR = "__"
WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE")  # statements whose commit is recorded


def _type_name(values: list) -> str:
    """Databricks type name for a result column, from the first non-null value."""
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return "BOOLEAN"
        if isinstance(value, int):
            return "LONG"
        if isinstance(value, float):
            return "DOUBLE"
        if isinstance(value, bytes):
            return "BINARY"
        return "STRING"
    return "STRING"


def _text(value) -> Optional[str]:
    """As the Statement API writes values: booleans are "true"/"false"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


_PREDICATE_WORDS = {"IS", "IN", "LIKE", "BETWEEN", "EXISTS", "NOT", "AND", "OR", "TRUE", "FALSE", "RLIKE"}
_COMPARISONS = {"=", "==", "<>", "!=", "<", ">", "<=", ">="}
_SELECT_END = {"FROM", "WHERE", "GROUP", "ORDER", "LIMIT", "UNION", "HAVING", "EXCEPT", "INTERSECT"}


def _boolean_items(sql: str, count: int) -> list[bool]:
    """Which result columns of a SELECT are predicates (``a > 1``, ``x IS NULL``, ``true``):
    sqlite answers them as 0/1, Databricks as BOOLEAN "true"/"false". Read from the select
    list (outside parentheses and CASE ... END); unknown (``*``, not a SELECT) is all False."""
    tokens = [t for t in tokenize(sql) if t.kind not in ("ws", "comment")]
    if not tokens or tokens[0].upper != "SELECT":
        return [False] * count
    items: list[list] = [[]]
    depth = 0
    for token in tokens[1:]:
        word = token.upper if token.kind == "word" else token.text
        if depth == 0 and word in _SELECT_END:
            break
        if word in ("(", "CASE"):
            depth += 1
        elif word in (")", "END"):
            depth -= 1
        elif depth == 0 and word == ",":
            items.append([])
            continue
        items[-1].append((depth, word))
    if len(items) != count or any(word == "*" for item in items for _, word in item[-1:]):
        return [False] * count
    flags = []
    for item in items:
        if len(item) >= 2 and item[-2][1] == "AS":
            item = item[:-2]
        top = [word for depth, word in item if depth == 0]
        flags.append(any(w in _COMPARISONS or w in _PREDICATE_WORDS for w in top) and "DISTINCT" not in top)
    return flags


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqlStore:
    """The sqlite file and its metadata; hand out sessions, one per caller."""

    def __init__(self, paths: Paths):
        self.paths = paths
        self.file = paths.root / "sql" / "warehouse.sqlite"
        self.file.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as connection:
            connection.execute("CREATE TABLE IF NOT EXISTS _ls_commits (name TEXT, at REAL)")

    def connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.file, timeout=30, isolation_level=None,
                                     check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=30000")
        connection.create_function("concat", -1, lambda *a: None if None in a else "".join(map(str, a)))
        return connection

    def session(self, catalog: Optional[str] = None, schema: Optional[str] = None) -> "SqlSession":
        return SqlSession(self, catalog or DEFAULT_CATALOG, schema or DEFAULT_SCHEMA)

    def table_versions(self) -> dict[str, list[float]]:
        """{"cat.schema.table": [commit time, ...]}: when each write became visible, from any
        process (benchmarks measure "data there -> verdict" from it)."""
        versions: dict[str, list[float]] = {}
        with self.connect() as connection:
            for name, at in connection.execute("SELECT name, at FROM _ls_commits ORDER BY rowid"):
                versions.setdefault(name, []).append(at)
        return versions


class SqlSession:
    """One caller's view: a current catalog and schema, temp views, one connection."""

    def __init__(self, store: SqlStore, catalog: str, schema: str):
        self.store = store
        self.catalog = catalog.lower()
        self.schema = schema.lower()
        self.temp_names: set[str] = set()
        self._connection: Optional[sqlite3.Connection] = None

    def __enter__(self) -> "SqlSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self.store.connect()
        return self._connection

    # ---- names ---------------------------------------------------------------------------

    def _resolve(self, parts: list[str]) -> tuple[str, str, str]:
        parts = [p.lower() for p in parts]
        if len(parts) == 1:
            return self.catalog, self.schema, parts[0]
        if len(parts) == 2:
            return self.catalog, parts[0], parts[1]
        return parts[-3], parts[-2], parts[-1]

    def _map(self, parts: list[str]) -> Optional[str]:
        if len(parts) == 1 and parts[0].lower() in self.temp_names:
            return None
        return _quote(SEPARATOR.join(self._resolve(parts)))

    @staticmethod
    def _unmap(message: str) -> str:
        """Turn sqlite names in an error message back into three-part names."""
        return re.sub(r"\b(\w+?)__(\w+?)__(\w+)\b", r"`\1`.`\2`.`\3`", message)

    def _schema_exists(self, catalog: str, schema: str) -> bool:
        return unity.exists(self.store.paths, catalog, schema)

    def _catalog_exists(self, catalog: str) -> None:
        if not unity.exists(self.store.paths, catalog):
            raise SqlError(f"[NO_SUCH_CATALOG_EXCEPTION] Catalog '{catalog}' was not found. Please verify "
                           "the catalog name and then retry the query or command again.")

    def _tables_in(self, catalog: str, schema: str) -> list[str]:
        prefix = f"{catalog}{SEPARATOR}{schema}{SEPARATOR}"
        rows = self.connection.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table','view') AND substr(name,1,?)=?",
            (len(prefix), prefix)).fetchall()
        return sorted(r[0][len(prefix):] for r in rows)

    # ---- statements ----------------------------------------------------------------------

    def execute(self, statement: str) -> SqlResult:
        """Run one statement; sqlite errors come back as SqlError with Databricks-like text."""
        text = statement.strip().rstrip(";").strip()
        if uses_delta(text):
            raise SqlError(DELTA_MESSAGE, "INVALID_PARAMETER_VALUE")
        namespace = parse_namespace_statement(text)
        try:
            if namespace is not None:
                return self._namespace(namespace)
            result = self._statement(text)
            self._record_commit(text)
            return result
        except sqlite3.Error as exc:
            message = self._unmap(str(exc))
            missing = re.match(r"no such table: (.+)", message)
            if missing:
                raise SqlError(f"[TABLE_OR_VIEW_NOT_FOUND] The table or view {missing.group(1)} "
                               "cannot be found.") from None
            exists = re.match(r"table (.+) already exists", message)
            if exists:
                raise SqlError(f"[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view "
                               f"{exists.group(1)} because it already exists.") from None
            raise SqlError(message) from None

    def _record_commit(self, text: str) -> None:
        """Note the time a write committed (autocommit: it just did) under its table's name."""
        tokens = tokenize(re.sub(r"^INSERT\s+OVERWRITE\s+(?:TABLE\s+)?", "INSERT INTO ", text, flags=re.I))
        first = next((t.upper for t in tokens if t.kind not in ("ws", "comment")), "")
        refs = table_refs(tokens) if first in WRITES else []
        if refs:
            self.connection.execute("INSERT INTO _ls_commits VALUES (?, ?)",
                                    (".".join(self._resolve(refs[0].parts)), time.time()))

    def _statement(self, text: str) -> SqlResult:
        temp = re.match(r"CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?`?(\w+)`?",
                        text, re.I)
        if temp:
            self.temp_names.add(temp.group(1).lower())
            text = re.sub(r"^CREATE\s+OR\s+REPLACE\s+", "CREATE ", text, flags=re.I)
            self.connection.execute(f"DROP VIEW IF EXISTS temp.{_quote(temp.group(1).lower())}")
        create = re.match(r"CREATE\s+(OR\s+REPLACE\s+)?(TABLE|VIEW)\s+(IF\s+NOT\s+EXISTS\s+)?", text, re.I)
        if create:
            return self._create(text, create)
        upper = text.upper()
        if upper.startswith("TRUNCATE TABLE"):
            text = "DELETE FROM" + text[len("TRUNCATE TABLE"):]
        overwrite = re.match(r"INSERT\s+OVERWRITE\s+(?:TABLE\s+)?", text, re.I)
        if overwrite:
            text = "INSERT INTO " + text[overwrite.end():]
            target = self._map(table_refs(tokenize(text))[0].parts)
            self.connection.execute("BEGIN")
            try:
                self.connection.execute(f"DELETE FROM {target}")
                result = self._run(rewrite_tables(text, self._map))
                self.connection.execute("COMMIT")
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            return result
        describe = re.match(r"DESC(?:RIBE)?\s+(?:TABLE\s+)?(?:EXTENDED\s+)?(\S+)\s*$", text, re.I)
        if describe:
            return self._describe(text)
        return self._run(rewrite_tables(text, self._map))

    def _create(self, text: str, match: re.Match) -> SqlResult:
        refs = table_refs(tokenize(text))  # the created name is the first reference
        if not refs:
            raise SqlError("Cannot find the table name in CREATE statement")
        catalog, schema, table = self._resolve(refs[0].parts)
        temp_view = len(refs[0].parts) == 1 and refs[0].parts[0].lower() in self.temp_names
        if not temp_view and not self._schema_exists(catalog, schema):
            raise SqlError(f"[SCHEMA_NOT_FOUND] The schema `{catalog}`.`{schema}` cannot be found.")
        # Databricks table clauses sqlite has no use for.
        body = re.sub(r"\bUSING\s+\w+", "", text, flags=re.I) if match.group(2).upper() == "TABLE" else text
        body = re.sub(r"\b(TBLPROPERTIES|OPTIONS)\s*\([^)]*\)", "", body, flags=re.I)
        body = re.sub(r"\b(PARTITIONED|CLUSTER)\s+BY\s*\([^)]*\)", "", body, flags=re.I)
        if match.group(1):
            body = "CREATE " + body[match.end(1):].lstrip()
            kind = match.group(2).upper()
            self.connection.execute(f"DROP {kind} IF EXISTS {self._map(refs[0].parts)}")
        return self._run(rewrite_tables(body, self._map))

    def _describe(self, text: str) -> SqlResult:
        refs = table_refs(tokenize(text))
        name = self._map(refs[0].parts) if refs else '""'
        rows = self.connection.execute(f"PRAGMA table_info({name})").fetchall()
        if not rows:
            raise SqlError(f"[TABLE_OR_VIEW_NOT_FOUND] The table or view "
                           f"{self._unmap(name.strip(chr(34)))} cannot be found.")
        return SqlResult(columns=[SqlColumn("col_name", "STRING"), SqlColumn("data_type", "STRING"),
                                  SqlColumn("comment", "STRING")],
                         rows=[[r[1], (r[2] or "string").lower(), None] for r in rows])

    def _run(self, sql: str) -> SqlResult:
        cursor = self.connection.execute(sql)
        if cursor.description is None:
            if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "MERGE")):
                count = str(max(cursor.rowcount, 0))
                return SqlResult([SqlColumn("num_affected_rows", "LONG"),
                                  SqlColumn("num_inserted_rows", "LONG")], [[count, count]])
            return SqlResult(columns=[], rows=[])
        rows = cursor.fetchall()
        names = [d[0] for d in cursor.description]
        flags = _boolean_items(sql, len(names))
        for i, flag in enumerate(flags):
            if flag and all(r[i] in (0, 1, None) for r in rows):
                rows = [tuple(bool(v) if j == i and v is not None else v for j, v in enumerate(r)) for r in rows]
        columns = [SqlColumn(name, "BOOLEAN" if flags[i] else _type_name([r[i] for r in rows]))
                   for i, name in enumerate(names)]
        return SqlResult(columns=columns, rows=[[_text(v) for v in row] for row in rows])

    # ---- catalogs, schemas, volumes ------------------------------------------------------

    def _namespace(self, ns: NamespaceStatement) -> SqlResult:
        paths = self.store.paths
        if ns.action == "use":
            if ns.kind == "catalog":
                self._catalog_exists(ns.parts[-1])
                self.catalog = ns.parts[-1]
            else:
                catalog, schema = self._schema_name(ns.parts)
                if not self._schema_exists(catalog, schema):
                    raise SqlError(f"[SCHEMA_NOT_FOUND] The schema `{catalog}`.`{schema}` cannot be found.")
                self.catalog, self.schema = catalog, schema
            return SqlResult([], [])
        if ns.action == "show":
            return self._show(ns)
        if ns.kind == "catalog":
            name = ns.parts[-1]
            if ns.action == "create":
                if unity.exists(paths, name) and not ns.if_not_exists:
                    raise SqlError(f"[CATALOG_ALREADY_EXISTS] Cannot create catalog `{name}` because it "
                                   "already exists.")
                unity.ensure_catalog(paths, name)
                return SqlResult([], [])
            if not unity.exists(paths, name):
                if ns.if_exists:
                    return SqlResult([], [])
                self._catalog_exists(name)
            for schema in unity.children(unity.catalog_dir(paths, name)):
                self._drop_schema(name, schema, cascade=ns.cascade, if_exists=True)
            shutil.rmtree(unity.catalog_dir(paths, name), ignore_errors=True)
            return SqlResult([], [])
        if ns.kind == "schema":
            catalog, schema = self._schema_name(ns.parts)
            if ns.action == "create":
                self._catalog_exists(catalog)
                if self._schema_exists(catalog, schema) and not ns.if_not_exists:
                    raise SqlError(f"[SCHEMA_ALREADY_EXISTS] Cannot create schema `{schema}` because it already exists.")
                unity.schema_dir(paths, catalog, schema).mkdir(parents=True, exist_ok=True)
                return SqlResult([], [])
            self._drop_schema(catalog, schema, cascade=ns.cascade, if_exists=ns.if_exists)
            return SqlResult([], [])
        parts = ns.parts if len(ns.parts) == 3 else [self.catalog, self.schema][:3 - len(ns.parts)] + ns.parts
        parts = [p.lower() for p in parts]
        folder = unity.volume_dir(paths, *parts)
        if ns.action == "create":
            if not self._schema_exists(parts[0], parts[1]):
                raise SqlError(f"[SCHEMA_NOT_FOUND] The schema `{parts[0]}`.`{parts[1]}` cannot be found.")
            folder.mkdir(exist_ok=True)
        elif folder.exists():
            shutil.rmtree(folder)
        elif not ns.if_exists:
            raise SqlError(f"[VOLUME_NOT_FOUND] Volume `{'`.`'.join(parts)}` does not exist.")
        return SqlResult([], [])

    def _schema_name(self, parts: list[str]) -> tuple[str, str]:
        catalog, schema = (parts[-2], parts[-1]) if len(parts) > 1 else (self.catalog, (parts or [self.schema])[0])
        return catalog.lower(), schema.lower()

    def _drop_schema(self, catalog: str, schema: str, cascade: bool, if_exists: bool) -> None:
        if not self._schema_exists(catalog, schema):
            if if_exists:
                return
            raise SqlError(f"[SCHEMA_NOT_FOUND] The schema `{catalog}`.`{schema}` cannot be found.")
        folder = unity.schema_dir(self.store.paths, catalog, schema)
        tables = self._tables_in(catalog, schema)
        if (tables or unity.children(folder)) and not cascade:
            raise SqlError(f"[SCHEMA_NOT_EMPTY] Cannot drop a schema `{schema}` because it contains "
                           "objects. Use DROP SCHEMA ... CASCADE to drop the schema and all its objects.")
        for table in tables:
            name = SEPARATOR.join((catalog, schema, table))
            kind = self.connection.execute("SELECT type FROM sqlite_master WHERE name=?", (name,)).fetchone()[0]
            self.connection.execute(f"DROP {kind.upper()} IF EXISTS {_quote(name)}")
        shutil.rmtree(folder, ignore_errors=True)
        if self.catalog == catalog and self.schema == schema:
            self.schema = DEFAULT_SCHEMA

    def _show(self, ns: NamespaceStatement) -> SqlResult:
        paths = self.store.paths
        if ns.kind == "catalogs":
            return SqlResult([SqlColumn("catalog", "STRING")], [[n] for n in unity.children(paths.volumes_root)])
        if ns.kind == "schemas":
            catalog = ns.parts[-1] if ns.parts else self.catalog
            self._catalog_exists(catalog)
            return SqlResult([SqlColumn("databaseName", "STRING")],
                             [[n] for n in unity.children(unity.catalog_dir(paths, catalog))])
        catalog, schema = self._schema_name(ns.parts)
        if not self._schema_exists(catalog, schema):
            raise SqlError(f"[SCHEMA_NOT_FOUND] The schema `{catalog}`.`{schema}` cannot be found.")
        if ns.kind == "volumes":
            return SqlResult([SqlColumn("database", "STRING"), SqlColumn("volume_name", "STRING")],
                             [[schema, n] for n in unity.children(unity.schema_dir(paths, catalog, schema))])
        return SqlResult([SqlColumn("database", "STRING"), SqlColumn("tableName", "STRING"),
                          SqlColumn("isTemporary", "BOOLEAN")],
                         [[schema, t, "false"] for t in self._tables_in(catalog, schema)])
