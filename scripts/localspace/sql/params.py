"""Named parameter markers (``:name``) turned into SQL literals before the engine sees them.

The engine interface takes plain statement text, so typed parameters are rendered here,
once, with quoting that cannot be broken out of; markers inside string literals, quoted
identifiers and comments are left alone.
"""
from __future__ import annotations

import re
from typing import Optional

from localspace.errors import InvalidParameterValue

_NUMERIC = {"INT", "INTEGER", "BIGINT", "LONG", "SMALLINT", "SHORT", "TINYINT", "BYTE",
            "DOUBLE", "FLOAT", "REAL", "DECIMAL"}
_TOKEN = re.compile(r"::|'(?:[^'\\]|\\.|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|--[^\n]*|/\*.*?\*/|:([A-Za-z_]\w*)|.",
                    re.S)


def literal(value: Optional[str], type_name: Optional[str]) -> str:
    if value is None:
        return "NULL"
    kind = (type_name or "STRING").upper().split("(")[0].strip()
    if kind in _NUMERIC:
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", value.strip()):
            raise InvalidParameterValue(f"Parameter value is not a valid {kind}.")
        return value.strip()
    if kind == "BOOLEAN":
        if value.strip().lower() not in ("true", "false"):
            raise InvalidParameterValue("Parameter value is not a valid BOOLEAN.")
        return value.strip().upper()
    quoted = "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    if kind in ("DATE", "TIMESTAMP"):
        return f"{kind} {quoted}"
    return quoted


def bind(statement: str, parameters: Optional[list]) -> str:
    if not parameters:
        return statement
    values: dict[str, str] = {}
    for param in parameters:
        if not isinstance(param, dict) or not param.get("name"):
            raise InvalidParameterValue("Each parameter needs a name.")
        values[param["name"]] = literal(param.get("value"), param.get("type"))
    used: set[str] = set()

    def render(match: re.Match) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)
        if name not in values:
            raise InvalidParameterValue(f"No value was given for the parameter marker :{name}.")
        used.add(name)
        return values[name]
    return _TOKEN.sub(render, statement)
