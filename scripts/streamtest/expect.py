"""Judging results against ``expect``/``rows``: the one place values are compared.

Databricks returns every SQL value as a string or null, and a notebook's exit value is a
string that may hold JSON. So: null matches only null; when both sides read as numbers they
compare as numbers (``"15"`` equals ``15`` and ``15.0``); otherwise as text (YAML ``true``
is ``"true"``). Ordering comparisons need numbers.

Rows from a file (``ExpectedRows``) are matched by column name, as a multiset unless the
file is ``ordered``, numbers within the file's ``tolerance``; a failure counts the rows and
shows the first missing and unexpected ones.
"""
from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Optional

from streamtest.plan.model import UNSET, ExpectedRows

SHOWN_ROWS = 5  # missing / unexpected rows named in a failure
# the SQL API's column type names (manifest.schema.columns[].type_name), by how they compare
NUMERIC_TYPES = ("BYTE", "SHORT", "INT", "LONG", "FLOAT", "DOUBLE", "DECIMAL")
TEMPORAL_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP_NTZ")
TEXT_TYPES = ("STRING", "CHAR", "BINARY")
OPS = {"==": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge,
       "<": operator.lt, "<=": operator.le}


@dataclass
class Verdict:
    ok: bool
    expected: str = ""
    seen: str = ""
    message: str = ""


def number(value: Any) -> Optional[Decimal]:
    """The value as a finite number, or None: how both the plan check and the comparisons
    decide what "a number" is (``"15"``, ``15`` and ``15.0`` are; ``true`` and ``"nan"`` are not)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _text(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def same(actual: Any, expected: Any) -> bool:
    """Equality under the rules above, recursing into lists and mappings (notebook JSON)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and actual.keys() == expected.keys() and all(
            same(actual[k], expected[k]) for k in expected)
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(
            same(a, e) for a, e in zip(actual, expected))
    if isinstance(actual, (dict, list)):
        return False
    if actual is None or expected is None:
        return actual is None and expected is None
    a, e = number(actual), number(expected)
    if a is not None and e is not None:
        return a == e
    return _text(actual) == _text(expected)


def compare(actual: Any, op: str, expected: Any) -> bool:
    if op in ("==", "!="):
        return same(actual, expected) == (op == "==")
    a, e = number(actual), number(expected)
    return a is not None and e is not None and OPS[op](a, e)


def show(value: Any) -> str:
    """How a value is written in failure messages: JSON-ish, null for None."""
    if isinstance(value, ExpectedRows):
        return f"{value.file} ({len(value.rows)} rows)"
    if isinstance(value, dict) and value and all(k in OPS for k in value):
        return " and ".join(f"{op} {show(v)}" for op, v in value.items())
    return json.dumps(value, default=str)


def matches(actual: Any, expected: Any) -> bool:
    """A comparison mapping {op: value} or plain equality."""
    if isinstance(expected, dict) and expected and all(k in OPS for k in expected):
        return all(compare(actual, op, value) for op, value in expected.items())
    return same(actual, expected)


def sql(rows: list[list[Optional[str]]], total_rows: int, expect: Any = UNSET, count: Any = UNSET,
        columns: tuple = (), types: tuple = ()) -> Verdict:
    """``expect``: scalar (first cell), comparison (first cell), list of rows or rows from a
    file (matched by ``columns``, the query's column names, compared by ``types``); ``count``: rows."""
    if count is not UNSET and not matches(total_rows, count):
        return Verdict(False, f"{show(count)} rows", f"{total_rows} rows",
                       f"row count {total_rows} does not match {show(count)}")
    if expect is UNSET:
        return Verdict(True, seen=f"{total_rows} rows")
    if isinstance(expect, ExpectedRows):
        return rows_match(columns, rows, expect, types)
    if isinstance(expect, list):
        wanted = [row if isinstance(row, list) else [row] for row in expect]
        if same(rows, wanted):
            return Verdict(True, show(wanted), show(rows))
        return Verdict(False, show(wanted), _rows_preview(rows), "rows differ")
    first = rows[0][0] if rows and rows[0] else None
    if not rows:
        return Verdict(False, show(expect), "no rows", "the query returned no rows")
    if matches(first, expect):
        return Verdict(True, show(expect), show(first))
    return Verdict(False, show(expect), show(first), f"got {show(first)}, expected {show(expect)}")


def notebook(exit_value: Optional[str], expect: Any = UNSET) -> Verdict:
    """Compare ``dbutils.notebook.exit``'s value, parsed as JSON when it parses."""
    if expect is UNSET:
        return Verdict(True, seen=show(exit_value))
    actual: Any = exit_value
    if exit_value is not None:
        try:
            actual = json.loads(exit_value)
        except ValueError:
            actual = exit_value
    if same(actual, expect):
        return Verdict(True, show(expect), show(actual))
    return Verdict(False, show(expect), show(actual), f"exit value {show(actual)}, expected {show(expect)}")


def rows_match(columns: tuple, rows: list, expected: ExpectedRows, types: tuple = ()) -> Verdict:
    """The query's rows against a file's, by column name; ``types`` are the query's column
    type names (the SQL API's manifest), which decide how each column compares."""
    wanted = show(expected)
    order = _column_order(columns, expected.columns)
    if order is None:
        return Verdict(False, f"columns {list(expected.columns)}", f"columns {list(columns)}",
                       f"the query's columns {list(columns)} are not the columns of {expected.file} "
                       f"{list(expected.columns)}")
    actual = [tuple(row[i] for i in order) for row in rows]
    kinds = [str(types[i]).upper() if i < len(types) else "" for i in order]

    def equal(got: tuple, want: tuple) -> bool:
        return len(got) == len(want) and all(
            cell_equal(a, e, kind, expected.tolerance) for a, e, kind in zip(got, want, kinds))

    if expected.ordered:
        for index, (got, want) in enumerate(zip(actual, expected.rows)):
            if not equal(got, want):
                return Verdict(False, wanted, f"row {index + 1}: {show(list(got))}",
                               f"row {index + 1} differs from {wanted}: expected {show(list(want))}, "
                               f"got {show(list(got))} (of {len(actual)} rows)")
        missing, unexpected = list(expected.rows[len(actual):]), actual[len(expected.rows):]
    else:
        missing, unexpected = _unmatched(actual, expected.rows, equal)
    if not missing and not unexpected:
        return Verdict(True, wanted, f"{len(actual)} rows as in {expected.file}")
    parts = [f"{len(missing)} missing", f"{len(unexpected)} unexpected"]
    seen = "; ".join(f"{label} {show([list(r) for r in found[:SHOWN_ROWS]])}"
                     + (f" (and {len(found) - SHOWN_ROWS} more)" if len(found) > SHOWN_ROWS else "")
                     for label, found in (("missing", missing), ("unexpected", unexpected)) if found)
    return Verdict(False, wanted, seen, f"rows differ from {wanted}: got {len(actual)} rows ({', '.join(parts)})")


def _column_order(columns: tuple, wanted: tuple) -> Optional[list[int]]:
    """Positions of ``wanted`` in ``columns`` (case-insensitive); positional when unnamed."""
    if not columns:
        return list(range(len(wanted)))
    index = {str(c).lower(): i for i, c in enumerate(columns)}
    if len(columns) != len(wanted) or any(w.lower() not in index for w in wanted):
        return None
    return [index[w.lower()] for w in wanted]


def cell_equal(actual: Any, expected: Any, type_name: str = "", tolerance: float = 0.0) -> bool:
    """One SQL value (a string or None, as the API returns it) against a file's value, the way
    its column type reads: numbers as numbers (within ``tolerance``), BOOLEAN without case,
    DATE/TIMESTAMP as points in time, STRING exactly as text ("007" is not "7"); an unknown
    type by the general rule of ``same``. NULL equals only NULL."""
    if actual is None or expected is None:
        return actual is None and expected is None
    if type_name in NUMERIC_TYPES or (not type_name and number(actual) is not None and number(expected) is not None):
        a, e = number(actual), number(expected)
        return a is not None and e is not None and abs(a - e) <= Decimal(str(tolerance))
    if type_name == "BOOLEAN":
        return str(actual).lower() == (_text(expected) or "").lower()
    if type_name in TEMPORAL_TYPES:
        a, e = _instant(actual), _instant(_text(expected))
        if a is not None and e is not None:
            return a == e
    if type_name in TEXT_TYPES or type_name in TEMPORAL_TYPES:
        return str(actual) == _text(expected)
    return same(actual, expected)


def _instant(text: Optional[str]) -> Optional[datetime]:
    """An ISO date or timestamp ('2024-05-01', '2024-05-01 10:00:00', '...T10:00:00.000Z') in
    UTC (a time without zone counts as UTC, as the SQL API writes TIMESTAMP_NTZ); else None."""
    try:
        moment = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _unmatched(actual: list, expected: list, equal: Callable[[tuple, tuple], bool]) -> tuple[list, list]:
    """(expected rows no actual row matched, actual rows left over), as multisets."""
    left = list(actual)
    missing = []
    for want in expected:
        hit = next((i for i, got in enumerate(left) if equal(got, want)), None)
        if hit is None:
            missing.append(want)
        else:
            left.pop(hit)
    return missing, left


def _rows_preview(rows: list, limit: int = 20) -> str:
    text = show(rows[:limit])
    return text + (f" ... ({len(rows)} rows)" if len(rows) > limit else "")
