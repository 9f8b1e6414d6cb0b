"""Expected rows from a file next to the plan: ``expect: {file: expected/gold-1.csv}``.

Users keep a layer's expected output as data, not as a long YAML list. Two formats, chosen
by extension: CSV with a header row (``.csv``; an empty cell is SQL NULL, since the SQL API
cannot return an empty cell any other way for most types), or JSON lines (``.json``,
``.jsonl``, ``.ndjson``; one object per line, keys are the columns, ``null`` is NULL). Values
stay as written and are compared later the way the SQL API returns them (``expect.rows_match``).
A file that cannot be read this way is a plan problem at the file's own line.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Optional

from streamtest.plan.model import ExpectedRows
from streamtest.plan.source import Problem, read_text

JSON_LINES = (".json", ".jsonl", ".ndjson")


def load(path: Path, shown: str) -> tuple[Optional[ExpectedRows], list[Problem]]:
    """The file's columns and rows, or the problems that make it unusable (with their lines)."""
    if path.suffix.lower() not in (".csv",) + JSON_LINES:
        return None, [Problem(shown, 1, f"expect.file {path.name}: use a .csv file (with a header) "
                                        "or JSON lines (.jsonl, .json, .ndjson)")]
    text, unreadable = read_text(path, shown, "the expected-rows file")
    if unreadable:
        return None, [unreadable]
    if path.suffix.lower() == ".csv":
        return _csv(text, shown)
    return _json_lines(text, shown)


def _csv(text: str, shown: str) -> tuple[Optional[ExpectedRows], list[Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[Problem] = []
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            return None, [Problem(shown, 1, "the expected-rows CSV needs a header row naming the columns")]
        columns = tuple(h.strip() for h in header)
        if len(set(c.lower() for c in columns)) != len(columns) or not all(columns):
            return None, [Problem(shown, 1, f"the CSV header has empty or repeated column names: {list(columns)}")]
        rows = []
        for cells in reader:
            line = reader.line_num
            if not cells:
                continue  # a blank line
            if len(cells) != len(columns):
                problems.append(Problem(shown, line, f"this row has {len(cells)} cells; the header has {len(columns)}"))
                continue
            rows.append(tuple(None if cell == "" else cell for cell in cells))
    except csv.Error as exc:
        return None, [Problem(shown, reader.line_num or 1, f"CSV error: {exc}")]
    return (None if problems else ExpectedRows(shown, columns, rows)), problems


def _json_lines(text: str, shown: str) -> tuple[Optional[ExpectedRows], list[Problem]]:
    problems: list[Problem] = []
    columns: Optional[tuple] = None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            problems.append(Problem(shown, number, f"not a JSON object: {exc}"))
            continue
        if not isinstance(item, dict) or not item:
            problems.append(Problem(shown, number, "each line must be a JSON object of column: value"))
            continue
        if any(isinstance(v, (dict, list)) for v in item.values()):
            problems.append(Problem(shown, number, "values must be scalars (the SQL API returns nested "
                                                   "values as JSON text: write them as strings)"))
            continue
        if columns is None:
            columns = tuple(item)
        elif {k.lower() for k in item} != {c.lower() for c in columns}:
            problems.append(Problem(shown, number, f"this line's keys {sorted(item)} differ from the first "
                                                   f"line's {sorted(columns)}"))
            continue
        lowered = {k.lower(): v for k, v in item.items()}
        rows.append(tuple(lowered[c.lower()] for c in columns))
    if columns is None and not problems:
        problems.append(Problem(shown, 1, "the expected-rows file has no rows; use `rows: 0` to expect none"))
    return (None if problems else ExpectedRows(shown, columns or (), rows)), problems

