"""Just enough SQL lexing for the python engine, whose SQLite store has no Unity Catalog.

SQLite does not understand ``catalog.schema.table``, so the python engine (sqlstore.py)
rewrites table references into names it does understand; the spark engine needs none of
this (Spark resolves the names itself, spark_session.py). Finding those references needs to
tell strings, comments and quoted identifiers from code, and table positions (``FROM x``,
``INTO x``, ``TABLE x``) from column references (``u.name``). Namespace statements
(catalogs, schemas, volumes) are recognised here too. ``split_statements`` also serves
``%sql`` cells on both engines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<qident>`(?:[^`]|``)*`)
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?[A-Za-z]*)
  | (?P<punct>.)
""", re.VERBOSE | re.DOTALL)


@dataclass
class Token:
    kind: str      # ws | comment | string | qident | word | number | punct
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokenize(sql: str) -> list[Token]:
    return [Token(m.lastgroup, m.group()) for m in _TOKEN.finditer(sql)]


def split_statements(sql: str) -> list[str]:
    """Split a script on top-level semicolons; empty statements are dropped."""
    statements, current = [], []
    for token in tokenize(sql):
        if token.kind == "punct" and token.text == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(token.text)
    statements.append("".join(current))
    return [s.strip() for s in statements if _has_code(s)]


def _has_code(sql: str) -> bool:
    return any(t.kind not in ("ws", "comment") for t in tokenize(sql))


def unquote(text: str) -> str:
    if text.startswith("`") and text.endswith("`"):
        return text[1:-1].replace("``", "`")
    return text


# Words after which a name is a table (or view) reference.
_TABLE_AFTER = {"FROM", "JOIN", "INTO", "UPDATE", "TABLE", "VIEW"}
# Statement-leading words after which a name is a table reference.
_LEADING = {"DESCRIBE", "DESC"}
# Words that, read where a table name was expected, mean "this is not about a table".
_NOT_TABLES = {"SCHEMA", "DATABASE", "CATALOG", "FUNCTION", "VOLUME", "QUERY", "NULLS"}
# Optional words that may sit between such a word and the name.
_SKIPPABLE = {"IF", "NOT", "EXISTS", "TABLE", "EXTENDED", "FORMATTED", "ONLY", "LATERAL",
              "DETAIL", "HISTORY"}
# Words that end a FROM list (so a following word is not an alias).
_CLAUSE_WORDS = {
    "WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "UNION", "EXCEPT", "INTERSECT", "JOIN",
    "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "OUTER", "ON", "USING", "WINDOW", "SET",
    "VALUES", "SELECT", "AS", "PARTITION", "OPTIONS", "TBLPROPERTIES", "LOCATION", "COMMENT",
    "CLUSTER", "DISTRIBUTE", "SORT", "QUALIFY", "NATURAL", "SEMI", "ANTI", "WHEN", "MATCHED",
    "THEN", "TIMESTAMP", "VERSION", "TABLESAMPLE", "PIVOT", "UNPIVOT", "LATERAL", "OVERWRITE",
    "BY", "FOR", "RETURNING",
}


@dataclass
class NameRef:
    """A table reference: token index range [start, end) and its unquoted parts."""

    start: int
    end: int
    parts: list[str]


def _read_name(tokens: list[Token], i: int) -> Optional[NameRef]:
    """Read a dotted name starting at token i (no whitespace inside), or None."""
    if i >= len(tokens) or tokens[i].kind not in ("word", "qident"):
        return None
    parts, j = [unquote(tokens[i].text)], i + 1
    while (j + 1 < len(tokens) and tokens[j].text == "." and tokens[j].kind == "punct"
           and tokens[j + 1].kind in ("word", "qident")):
        parts.append(unquote(tokens[j + 1].text))
        j += 2
    return NameRef(i, j, parts)


def _next_code(tokens: list[Token], i: int) -> int:
    while i < len(tokens) and tokens[i].kind in ("ws", "comment"):
        i += 1
    return i


def cte_names(tokens: list[Token]) -> set[str]:
    """Names defined by WITH name AS (...) so they are not mistaken for tables."""
    names, previous = set(), ""
    for i, token in enumerate(tokens):
        if token.kind in ("ws", "comment"):
            continue
        if previous in ("WITH", ",") and token.kind in ("word", "qident"):
            j = _next_code(tokens, i + 1)
            k = _next_code(tokens, j + 1)
            if j < len(tokens) and tokens[j].upper == "AS" and k < len(tokens) and tokens[k].text == "(":
                names.add(unquote(token.text).lower())
        previous = token.upper or token.text
    return names


def table_refs(tokens: list[Token]) -> list[NameRef]:
    """Every table reference in a statement, in order."""
    refs: list[NameRef] = []
    first_index = _next_code(tokens, 0)
    first = tokens[first_index].upper if first_index < len(tokens) else ""
    i = 0
    while i < len(tokens):
        token = tokens[i]
        word = token.upper
        is_trigger = (word in _TABLE_AFTER or (word == "USING" and first == "MERGE")
                      or (word in _LEADING and i == first_index))
        if not is_trigger:
            i += 1
            continue
        j = _next_code(tokens, i + 1)
        while j < len(tokens) and tokens[j].upper in _SKIPPABLE:
            j = _next_code(tokens, j + 1)
        in_from = word in ("FROM", "JOIN")
        while True:
            ref = _read_name(tokens, j)
            if ref is None or (len(ref.parts) == 1
                               and ref.parts[0].upper() in _CLAUSE_WORDS | _NOT_TABLES):
                break
            after = _next_code(tokens, ref.end)
            if after < len(tokens) and tokens[after].text == "(" and in_from:
                break  # a table-valued function, e.g. FROM range(10)
            refs.append(ref)
            j = after
            if not in_from:
                break
            # Skip an alias: [AS] name
            if j < len(tokens) and tokens[j].upper == "AS":
                j = _next_code(tokens, j + 1)
            if j < len(tokens) and tokens[j].kind in ("word", "qident") and tokens[j].upper not in _CLAUSE_WORDS:
                j = _next_code(tokens, j + 1)
            if j < len(tokens) and tokens[j].text == ",":
                j = _next_code(tokens, j + 1)
                continue
            break
        i = max(i + 1, j)
    return refs


def rewrite_tables(sql: str, mapper: Callable[[list[str]], Optional[str]]) -> str:
    """Replace each table reference by mapper(parts) (None keeps it as written)."""
    tokens = tokenize(sql)
    ctes = cte_names(tokens)
    replacements = {}
    for ref in table_refs(tokens):
        if len(ref.parts) == 1 and ref.parts[0].lower() in ctes:
            continue
        new = mapper(ref.parts)
        if new is not None:
            replacements[ref.start] = (ref.end, new)
    out, i = [], 0
    while i < len(tokens):
        if i in replacements:
            end, new = replacements[i]
            out.append(new)
            i = end
        else:
            out.append(tokens[i].text)
            i += 1
    return "".join(out)


# ---- namespace statements ---------------------------------------------------------------

_NAME = r"((?:`[^`]+`|[\w$]+)(?:\s*\.\s*(?:`[^`]+`|[\w$]+))*)"


@dataclass
class NamespaceStatement:
    """CREATE/DROP/USE/SHOW on catalogs, schemas and volumes, plus SHOW TABLES."""

    action: str               # create | drop | use | show
    kind: str                 # catalog | schema | volume | tables | schemas | catalogs
    parts: list[str]          # the (unquoted, lower-cased) name, [] when none was given
    if_exists: bool = False
    if_not_exists: bool = False
    cascade: bool = False


_PATTERNS = [
    ("create", re.compile(rf"^CREATE\s+(CATALOG|SCHEMA|DATABASE|(?:EXTERNAL\s+)?VOLUME)\s+(IF\s+NOT\s+EXISTS\s+)?{_NAME}", re.I)),
    ("drop", re.compile(rf"^DROP\s+(CATALOG|SCHEMA|DATABASE|VOLUME)\s+(IF\s+EXISTS\s+)?{_NAME}(.*)$", re.I | re.S)),
    ("use", re.compile(rf"^USE\s+(CATALOG|SCHEMA|DATABASE)?\s*{_NAME}\s*$", re.I)),
    ("show", re.compile(rf"^SHOW\s+(TABLES|SCHEMAS|DATABASES|CATALOGS|VOLUMES)(?:\s+(?:IN|FROM)\s+{_NAME})?", re.I)),
]


def strip_comments(sql: str) -> str:
    """The statement without its comments (not those inside strings) and trailing ';'."""
    return "".join(t.text for t in tokenize(sql) if t.kind != "comment").strip().rstrip(";").strip()


def _name_parts(name: str) -> list[str]:
    return [unquote(p.strip()).lower() for p in re.findall(r"`[^`]+`|[^.\s]+", name)]


def parse_namespace_statement(sql: str) -> Optional[NamespaceStatement]:
    text = strip_comments(sql)
    for action, pattern in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        if action == "show":
            kind = match.group(1).lower().replace("databases", "schemas")
            return NamespaceStatement("show", kind, _name_parts(match.group(2)) if match.group(2) else [])
        if action == "use":
            kind = (match.group(1) or "schema").lower().replace("database", "schema")
            return NamespaceStatement("use", kind, _name_parts(match.group(2)))
        kind = match.group(1).lower().split()[-1].replace("database", "schema")
        statement = NamespaceStatement(action, kind, _name_parts(match.group(3)))
        if action == "create":
            statement.if_not_exists = bool(match.group(2))
        else:
            statement.if_exists = bool(match.group(2))
            statement.cascade = "CASCADE" in match.group(4).upper()
        return statement
    return None


def uses_delta(sql: str) -> bool:
    """True when a statement asks for the Delta format (USING DELTA)."""
    tokens = [t for t in tokenize(sql) if t.kind not in ("ws", "comment")]
    return any(a.upper == "USING" and b.upper == "DELTA" for a, b in zip(tokens, tokens[1:]))


def is_copy_into(sql: str) -> bool:
    """True for COPY INTO, which loads files into a Delta table (spark engine only)."""
    tokens = [t.upper for t in tokenize(sql) if t.kind not in ("ws", "comment")][:2]
    return tokens == ["COPY", "INTO"]


COPY_INTO_MESSAGE = ("localspace does not emulate COPY INTO on the python engine (README section "
                     "'What each engine does'): start localspace with --engine spark")
DELTA_MESSAGE = ("localspace does not emulate Delta Lake on the python engine (README section "
                 "'What each engine does'): start localspace with --engine spark, the default "
                 "when Java is present")

