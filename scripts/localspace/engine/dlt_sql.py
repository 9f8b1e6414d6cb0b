"""Pipeline SQL: the statements a SQL source of a declarative pipeline is made of.

Databricks' pipeline SQL (https://docs.databricks.com/aws/en/ldp/developer/sql-ref) declares
datasets, it does not run them: ``CREATE OR REFRESH STREAMING TABLE x [(... CONSTRAINT c
EXPECT (cond) [ON VIOLATION DROP ROW | FAIL UPDATE])] [COMMENT ...] AS SELECT ...``,
``CREATE [OR REFRESH] MATERIALIZED VIEW``, the older ``LIVE TABLE`` / ``STREAMING LIVE
TABLE``, ``CREATE TEMPORARY VIEW``, ``CREATE FLOW f AS INSERT INTO t BY NAME SELECT ...``
and ``SET key = value``. This module only splits and reads them into ``SqlDefinition``s;
the query text stays Spark SQL, which the executor hands to Spark as it is (Spark 4.1 parses
``STREAM t`` and ``STREAM(t)``; ``read_files(...)`` is a table-valued function of the
engine, ReadFiles.java). ``STREAM read_files(...)``, the streaming form only pipelines have,
is lifted out here (``lift_read_files``) so the executor can stand Auto Loader in for it, and
so is the older ``cloud_files(path, format[, map(option, value, ...)])`` of DLT SQL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

_HEAD = re.compile(
    r"CREATE\s+(?:OR\s+REFRESH\s+|OR\s+REPLACE\s+)?(?P<temp>TEMPORARY\s+)?(?P<kind>STREAMING\s+LIVE\s+TABLE|"
    r"STREAMING\s+TABLE|MATERIALIZED\s+VIEW|LIVE\s+TABLE|LIVE\s+VIEW|VIEW|FLOW)\s+"
    r"(?P<name>[\w`.]+)", re.IGNORECASE)
_CONSTRAINT = re.compile(r"CONSTRAINT\s+(?P<name>[\w`]+)\s+EXPECT\s*(?P<rest>\(.*\))\s*"
                         r"(?:ON\s+VIOLATION\s+(?P<action>DROP\s+ROW|FAIL\s+UPDATE))?\s*$",
                         re.IGNORECASE | re.DOTALL)
_INSERT = re.compile(r"INSERT\s+INTO\s+(?P<once>ONCE\s+)?(?P<target>[\w`.]+)\s+(?:BY\s+NAME\s+)?(?P<query>.*)",
                     re.IGNORECASE | re.DOTALL)
_SET = re.compile(r"SET\s+(?P<key>[^=\s]+)\s*=\s*(?P<value>.*)", re.IGNORECASE | re.DOTALL)
_STREAM_READ_FILES = re.compile(r"\bSTREAM\s*(?P<paren>\()?\s*\bread_files\s*\(|\b(?P<legacy>cloud_files)\s*\(",
                                re.IGNORECASE)


class PipelineSqlError(ValueError):
    """A statement a pipeline cannot take; the message names it."""


@dataclass
class Expectation:
    name: str
    condition: str                   # a SQL boolean expression
    action: str = "warn"             # warn | drop | fail


@dataclass
class Cdc:
    """An APPLY CHANGES / AUTO CDC flow (SCD type 1): upsert the source's changes by key."""

    source: str                      # the dataset (or table) the changes stream from
    keys: list[str]
    sequence_by: object              # a column name or SQL expression, or (Python) a Column
    delete_when: object = None       # apply_as_deletes: a SQL condition or a Column
    except_columns: list[str] = field(default_factory=list)
    columns: Optional[list[str]] = None


@dataclass
class SqlDefinition:
    kind: str                        # streaming_table | materialized_view | view | flow | set
    name: str = ""
    query: Optional[str] = None      # None: a streaming table declared for flows to fill
    target: Optional[str] = None     # flows: the dataset they append to
    once: bool = False
    comment: Optional[str] = None
    expectations: list[Expectation] = field(default_factory=list)
    columns: Optional[str] = None    # column definitions as a DDL string, when given
    value: str = ""                  # SET: the value
    cdc: Optional[Cdc] = None        # flows: APPLY CHANGES / AUTO CDC


def _code(text: str, comments: bool = False):
    """(index, character, depth) of each character outside quotes (and, with ``comments``,
    outside ``--`` and ``/* */`` comments); depth counts the parentheses open after it.
    A quoted run comes as one item: (index, the whole quoted text, depth)."""
    depth, i = 0, 0
    while i < len(text):
        if comments and text.startswith(("--", "/*"), i):
            end = text.find("\n" if text.startswith("--", i) else "*/", i + 2)
            i = len(text) if end < 0 else end + (0 if text.startswith("--", i) else 2)
            continue
        if text[i] in "'\"`":
            end = _quote_end(text, i)
            yield i, text[i:end], depth
            i = end
            continue
        depth += (text[i] == "(") - (text[i] == ")")
        yield i, text[i], depth
        i += 1


def _split(text: str, sep: str, comments: bool = False) -> list[str]:
    parts, current = [], []
    for _i, piece, depth in _code(text, comments):
        if piece == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(piece)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def statements(text: str) -> list[str]:
    """Split on top-level semicolons, outside quotes, parentheses and comments; comments go."""
    return _split(text, ";", comments=True)


def _quote_end(text: str, start: int) -> int:
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == "\\" and quote != "`":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    return len(text)


def _group_end(text: str, start: int) -> int:
    """Index after the parenthesis group opening at ``text[start] == '('``."""
    for i, piece, depth in _code(text[start:]):
        if piece == ")" and depth == 0:
            return start + i + 1
    raise PipelineSqlError(f"Unbalanced parentheses in: {text[:80]}")


def _top_level_split(text: str) -> list[str]:
    return _split(text, ",")


def _top_level_as(text: str) -> Optional[int]:
    """Where the top-level ``AS`` keyword that starts the query is, or None."""
    for i, piece, depth in _code(text):
        if depth == 0 and piece in "aA" and re.match(r"AS\b", text[i:], re.IGNORECASE) \
                and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            return i
    return None


def parse(statement: str) -> SqlDefinition:
    setting = _SET.fullmatch(statement.strip())
    if setting:
        return SqlDefinition("set", name=setting["key"], value=setting["value"].strip().strip("'\""))
    head = _HEAD.match(statement.strip())
    if head is None:
        cdc = re.match(r"\s*(?:APPLY\s+CHANGES|AUTO\s+CDC)\s+INTO\s+", statement, re.IGNORECASE)
        if cdc:
            return _cdc_flow(None, statement.strip()[cdc.end():])
        raise PipelineSqlError(f"A pipeline's SQL declares datasets (CREATE STREAMING TABLE, CREATE MATERIALIZED "
                               f"VIEW, CREATE VIEW, CREATE FLOW, SET); this statement is none of them: "
                               f"{statement.strip().splitlines()[0][:120]}")
    text = statement.strip()[head.end():].strip()
    kind = re.sub(r"\s+", " ", head["kind"].upper())
    name = head["name"].replace("`", "")
    if kind == "FLOW":
        return _flow(name, text)
    definition = SqlDefinition({"STREAMING TABLE": "streaming_table", "STREAMING LIVE TABLE": "streaming_table",
                                "MATERIALIZED VIEW": "materialized_view", "LIVE TABLE": "materialized_view",
                                "LIVE VIEW": "view", "VIEW": "view"}[kind],
                               name=name)
    if head["temp"] and definition.kind != "view":
        raise PipelineSqlError(f"localspace does not emulate temporary tables ({name}); declare a VIEW "
                               '(see README "What each engine does").')
    if text.startswith("("):
        end = _group_end(text, 0)
        _columns(definition, text[1:end - 1])
        text = text[end:].strip()
    at = _top_level_as(text)
    clauses, query = (text, None) if at is None else (text[:at], text[at + 2:].strip())
    comment = re.search(r"\bCOMMENT\s+(['\"])(?P<c>.*?)\1", clauses, re.IGNORECASE | re.DOTALL)
    definition.comment = comment["c"] if comment else None
    definition.query = query
    if query is None and definition.kind != "streaming_table":
        raise PipelineSqlError(f"{head['kind'].upper()} {name} needs AS <query>.")
    return definition


_CDC = re.compile(
    r"(?P<target>[\w`.]+)\s+FROM\s+(?P<source>STREAM\s*\(\s*[\w`.]+\s*\)|STREAM\s+[\w`.]+|[\w`.]+)\s+"
    r"KEYS\s*\((?P<keys>[^)]*)\)\s*(?:APPLY\s+AS\s+DELETE\s+WHEN\s+(?P<delete>.+?)\s+)?"
    r"SEQUENCE\s+BY\s+(?P<sequence>[\w`]+)\s*(?P<rest>.*)", re.IGNORECASE | re.DOTALL)


def _cdc_flow(name: Optional[str], text: str) -> SqlDefinition:
    found = _CDC.fullmatch(text.strip())
    if found is None:
        raise PipelineSqlError("APPLY CHANGES INTO t FROM STREAM(s) KEYS (k) [APPLY AS DELETE WHEN c] SEQUENCE BY col "
                               "[COLUMNS * EXCEPT (...)] [STORED AS SCD TYPE 1] is the form localspace emulates.")
    rest = found["rest"]
    scd = re.search(r"STORED\s+AS\s+SCD\s+TYPE\s+(\d)", rest, re.IGNORECASE)
    if scd and scd[1] != "1":
        raise PipelineSqlError('localspace does not emulate SCD type 2 (see README "What each engine does").')
    except_columns = re.search(r"COLUMNS\s+\*\s+EXCEPT\s*\(([^)]*)\)", rest, re.IGNORECASE)
    columns = re.search(r"COLUMNS\s+(?!\*)(.+?)(?:\s+STORED\s+AS|$)", rest, re.IGNORECASE | re.DOTALL)
    target = found["target"].replace("`", "")
    target = target.split(".", 1)[1] if target.lower().startswith("live.") else target
    source = re.sub(r"^STREAM\s*\(?\s*|\s*\)$", "", found["source"], flags=re.IGNORECASE).replace("`", "")
    names = lambda text: [c.strip().strip("`") for c in text.split(",") if c.strip()]  # noqa: E731
    return SqlDefinition("flow", name=name or f"{target}_cdc", target=target, cdc=Cdc(
        source, names(found["keys"]), found["sequence"].strip("`"), found["delete"],
        names(except_columns[1]) if except_columns else [], names(columns[1]) if columns else None))


def _flow(name: str, text: str) -> SqlDefinition:
    at = _top_level_as(text)
    cdc = re.match(r"\s*(?:APPLY\s+CHANGES|AUTO\s+CDC)\s+INTO\s+", text[at + 2:], re.IGNORECASE) if at is not None else None
    if cdc:
        return _cdc_flow(name, text[at + 2:][cdc.end():])
    insert = _INSERT.fullmatch(text[at + 2:].strip()) if at is not None else None
    if insert is None:
        raise PipelineSqlError(f"CREATE FLOW {name} AS INSERT INTO <target> BY NAME <query> is the form localspace "
                               "emulates.")
    return SqlDefinition("flow", name=name, target=insert["target"].replace("`", ""), once=bool(insert["once"]),
                         query=insert["query"].strip())


def _columns(definition: SqlDefinition, body: str) -> None:
    columns = []
    for item in _top_level_split(body):
        found = _CONSTRAINT.match(item) if item.upper().startswith("CONSTRAINT") else None
        if item.upper().startswith("CONSTRAINT") and found is None:
            raise PipelineSqlError(f"Cannot read the constraint: {item}")
        if found is None:
            columns.append(item)
            continue
        action = (found["action"] or "").upper().split()
        condition = found["rest"].strip()[1:-1].strip()
        definition.expectations.append(Expectation(found["name"].replace("`", ""), condition,
                                                   {"DROP": "drop", "FAIL": "fail"}.get(action[0] if action else "",
                                                                                        "warn")))
    definition.columns = ", ".join(columns) or None


@dataclass
class ReadFiles:
    """One ``STREAM read_files(path, option => value, ...)`` (or ``cloud_files``), lifted out
    of a query."""

    path: str
    options: dict[str, str]
    read_files: bool = True          # read_files' defaults (typed columns, CSV header); cloud_files: Auto Loader's


def lift_read_files(query: str, placeholder) -> str:
    """Replace each ``STREAM read_files(...)`` / ``STREAM(read_files(...))`` with
    ``placeholder(ReadFiles)`` (a view name); a batch ``read_files(...)`` stays for Spark."""
    out, position = [], 0
    while True:
        found = _STREAM_READ_FILES.search(query, position)
        if found is None:
            out.append(query[position:])
            return "".join(out)
        open_at = found.end() - 1
        end = _group_end(query, open_at)
        args = query[open_at + 1:end - 1]
        call = _cloud_files_args(args) if found["legacy"] else _read_files_args(args)
        if found["paren"]:   # STREAM(read_files(...)): its closing parenthesis goes too
            close = re.match(r"\s*\)", query[end:])
            if close is None:
                raise PipelineSqlError("STREAM( read_files(...) ) is missing its closing parenthesis.")
            end += close.end()
        out.append(query[position:found.start()])
        out.append(placeholder(call))
        position = end


def _literal(text: str, what: str) -> str:
    if not re.fullmatch(r"'[^']*'|\"[^\"]*\"", text.strip()):
        raise PipelineSqlError(f"{what} must be a string literal, got {text.strip()!r}.")
    return text.strip()[1:-1]


def _cloud_files_args(args: str) -> ReadFiles:
    parts = _top_level_split(args)
    if len(parts) not in (2, 3):
        raise PipelineSqlError("cloud_files takes (path, format[, map(option, value, ...)]).")
    options = {"format": _literal(parts[1], "cloud_files' format")}
    if len(parts) == 3:
        found = re.fullmatch(r"map\s*\((.*)\)", parts[2], re.IGNORECASE | re.DOTALL)
        pairs = _top_level_split(found[1]) if found else []
        if not found or len(pairs) % 2:
            raise PipelineSqlError("cloud_files' options are map('option', 'value', ...).")
        options.update({_literal(k, "an option name"): _literal(v, "an option value")
                        for k, v in zip(pairs[::2], pairs[1::2])})
    return ReadFiles(_literal(parts[0], "cloud_files' path"), options, read_files=False)


def _read_files_args(args: str) -> ReadFiles:
    parts = _top_level_split(args)
    if not parts or not re.fullmatch(r"'[^']*'|\"[^\"]*\"", parts[0]):
        raise PipelineSqlError("read_files needs the path as its first argument: read_files('/Volumes/...').")
    options = {}
    for part in parts[1:]:
        found = re.fullmatch(r"([\w.]+)\s*=>\s*(.+)", part, re.DOTALL)
        if found is None:
            raise PipelineSqlError(f"read_files options are written name => value, got {part!r}.")
        value = found[2].strip()
        if value[:1] in "'\"" and value[-1:] == value[:1]:
            value = value[1:-1]
        options[found[1]] = value
    return ReadFiles(parts[0][1:-1], options)
