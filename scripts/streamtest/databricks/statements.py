"""A SQL statement as streamtest reads it: ``Statement``, built from a Statement Execution reply.

Also the one judgement about failed statements that matters to a waiting check: whether the
error can heal. A table that is not there yet may be created by the stream in a moment, so a
check keeps waiting; a syntax error, an unresolved column, a type mismatch or a missing
permission stays what it is however long the check waits, so it fails the check at once.
Spark and Databricks name their errors with a bracketed class (``[PARSE_SYNTAX_ERROR] ...``);
the Statement API's ``error_code`` says PERMISSION_DENIED for grants.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

DONE = ("SUCCEEDED", "FAILED", "CANCELED", "CLOSED")
# error classes (prefixes) that no amount of waiting fixes
PERMANENT_CLASSES = ("PARSE_SYNTAX_ERROR", "PARSE_EMPTY_STATEMENT", "UNRESOLVED_COLUMN", "UNRESOLVED_FIELD",
                     "UNRESOLVED_ROUTINE", "UNRESOLVED_MAP_KEY", "DATATYPE_MISMATCH", "CAST_INVALID_INPUT",
                     "INVALID_TYPED_LITERAL", "WRONG_NUM_ARGS", "AMBIGUOUS_REFERENCE", "AMBIGUOUS_COLUMN_OR_FIELD",
                     "MISSING_AGGREGATION", "MISSING_GROUP_BY", "INSUFFICIENT_PERMISSIONS", "PERMISSION_DENIED",
                     "UNSUPPORTED_FEATURE")
PERMANENT_CODES = ("PERMISSION_DENIED", "UNAUTHENTICATED")
# the same errors worded without a class (other engines, e.g. sqlite behind localspace's python engine)
PERMANENT_TEXT = re.compile(r"syntax error|no such column|no such function|permission denied|"
                            r"cannot be resolved|datatype mismatch", re.I)
ERROR_CLASS = re.compile(r"\[([A-Z][A-Z0-9_]*)(?:\.[A-Z0-9_]+)*\]")


@dataclass(frozen=True)
class Statement:
    statement_id: str
    state: str                    # PENDING | RUNNING | SUCCEEDED | FAILED | CANCELED | CLOSED
    error_code: str = ""
    message: str = ""
    columns: tuple = ()           # column names, from the manifest
    types: tuple = ()             # their type names (LONG, STRING, BOOLEAN, TIMESTAMP, ...)
    total_rows: Optional[int] = None
    rows: list = field(default_factory=list)   # the first chunk's data_array
    next_chunk: Optional[int] = None

    @property
    def done(self) -> bool:
        return self.state in DONE

    @property
    def succeeded(self) -> bool:
        return self.state == "SUCCEEDED"

    @property
    def permanent(self) -> bool:
        """A failure that waiting cannot heal (see the module docstring)."""
        if self.state != "FAILED":
            return False
        if self.error_code in PERMANENT_CODES:
            return True
        found = ERROR_CLASS.search(self.message)
        if found:
            return found.group(1).startswith(PERMANENT_CLASSES)
        return bool(PERMANENT_TEXT.search(self.message))


def parse_statement(body: dict, statement_id: str = "") -> Statement:
    status = body.get("status") or {}
    error = status.get("error") or {}
    manifest = body.get("manifest") or {}
    described = (manifest.get("schema") or {}).get("columns") or []
    columns = tuple(c.get("name", "") for c in described)
    types = tuple(str(c.get("type_name") or "").upper() for c in described)
    result = body.get("result") or {}
    total = manifest.get("total_row_count")
    return Statement(body.get("statement_id") or statement_id, (status.get("state") or "").upper(),
                     str(error.get("error_code") or ""), error.get("message") or "", columns, types,
                     None if total is None else int(total), list(result.get("data_array") or []),
                     result.get("next_chunk_index"))
