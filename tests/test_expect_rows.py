"""Rows from a file against a query's rows: the format rules and the failure text."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from e2e_support import clean, project, run, stream_plan
from streamtest import expect
from streamtest.plan import expected_file
from streamtest.plan.model import ExpectedRows

COLUMNS = ("id", "name")


def rows_of(text: str, name: str = "gold.csv", tmp_path: Path = None) -> ExpectedRows:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    loaded, problems = expected_file.load(path, name)
    assert not problems, problems
    return loaded


def test_csv_header_names_the_columns_and_an_empty_cell_is_null(tmp_path):
    rows = rows_of("""
        id,name
        1,ada
        2,
    """, tmp_path=tmp_path)
    assert rows.columns == COLUMNS and rows.rows == [("1", "ada"), ("2", None)]


def test_json_lines_keep_their_types(tmp_path):
    rows = rows_of('{"id": 1, "ok": true, "x": null}\n{"ok": false, "x": 2.5, "id": 2}\n', "gold.jsonl", tmp_path)
    assert rows.columns == ("id", "ok", "x") and rows.rows == [(1, True, None), (2, False, 2.5)]


def test_unordered_by_default():
    wanted = ExpectedRows("gold.csv", COLUMNS, [("1", "ada"), ("2", "grace")])
    assert expect.rows_match(COLUMNS, [["2", "grace"], ["1", "ada"]], wanted).ok


def test_ordered_names_the_first_row_that_differs():
    wanted = ExpectedRows("gold.csv", COLUMNS, [("1", "ada"), ("2", "grace")], ordered=True)
    verdict = expect.rows_match(COLUMNS, [["2", "grace"], ["1", "ada"]], wanted)
    assert not verdict.ok and verdict.message.startswith("row 1 differs from gold.csv (2 rows)")


def test_columns_match_by_name_in_any_order_and_case():
    wanted = ExpectedRows("gold.csv", ("NAME", "id"), [("ada", "1")])
    assert expect.rows_match(COLUMNS, [["1", "ada"]], wanted).ok


def test_other_columns_are_a_failure_naming_both_lists():
    verdict = expect.rows_match(("id", "nom"), [["1", "ada"]], ExpectedRows("gold.csv", COLUMNS, [("1", "ada")]))
    assert not verdict.ok and "['id', 'nom']" in verdict.message and "['id', 'name']" in verdict.message


@pytest.mark.parametrize("seen, tolerance, ok", [("1.004", 0.01, True), ("1.02", 0.01, False), ("1.0", 0, True)])
def test_numbers_within_tolerance(seen, tolerance, ok):
    wanted = ExpectedRows("gold.csv", ("x",), [("1",)], tolerance=tolerance)
    assert expect.rows_match(("x",), [[seen]], wanted).ok is ok


def test_values_compare_as_the_sql_api_returns_them():
    wanted = ExpectedRows("gold.jsonl", ("b", "n", "s"), [(True, 15, None)])
    assert expect.rows_match(("b", "n", "s"), [["true", "15.0", None]], wanted).ok
    assert not expect.rows_match(("b", "n", "s"), [["true", "15", ""]], wanted).ok


@pytest.mark.parametrize("type_name, seen, written, equal", [
    ("STRING", "007", "7", False), ("STRING", "007", "007", True), ("LONG", "7", "7.0", True),
    ("DOUBLE", "1.004", "1", False), ("BOOLEAN", "true", "TRUE", True), ("BOOLEAN", "false", True, False),
    ("TIMESTAMP", "2024-05-01T10:00:00.000Z", "2024-05-01 10:00:00", True),
    ("TIMESTAMP", "2024-05-01T10:00:00.000Z", "2024-05-01T12:00:00+02:00", True),
    ("DATE", "2024-05-01", "2024-05-02", False), ("STRING", None, None, True), ("STRING", "", None, False),
])
def test_each_column_compares_as_its_sql_type(type_name, seen, written, equal):
    assert expect.cell_equal(seen, written, type_name) is equal


def test_the_query_types_decide_a_file_comparison():
    wanted = ExpectedRows("gold.csv", ("code",), [("7",)])
    assert expect.rows_match(("code",), [["007"]], wanted, types=("LONG",)).ok
    assert not expect.rows_match(("code",), [["007"]], wanted, types=("STRING",)).ok


def test_a_failure_counts_and_shows_the_first_missing_and_unexpected_rows():
    wanted = ExpectedRows("gold.csv", ("id",), [(str(i),) for i in range(1, 9)])
    verdict = expect.rows_match(("id",), [["1"], ["2"], ["99"]], wanted)
    assert verdict.message == "rows differ from gold.csv (8 rows): got 3 rows (6 missing, 1 unexpected)"
    assert verdict.seen == 'missing [["3"], ["4"], ["5"], ["6"], ["7"]] (and 1 more); unexpected [["99"]]'


GOLD_PLAN = """
    iterations:
      - name: payload 1
        produce: [{upload: data/payload-1, to: "${var.landing}"}]
        validate:
          - name: bronze as expected
            sql: SELECT id, name FROM main.${var.schema}.bronze
            expect: {file: expected/bronze-1.csv}
            within: 20s
"""


def test_a_query_passes_against_its_expected_csv(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("gold", GOLD_PLAN))
    (plan.parent / "expected").mkdir()
    (plan.parent / "expected" / "bronze-1.csv").write_text("name,id\ngrace,2\nlinus,3\nada,1\n")
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    assert clean(localspace)


def test_a_failing_check_against_a_csv_shows_what_differs(localspace, workspace_env, tmp_path, capsys, monkeypatch):
    plan = project(tmp_path, stream_plan("gold", GOLD_PLAN.replace("within: 20s", "within: 2s")))
    (plan.parent / "expected").mkdir()
    (plan.parent / "expected" / "bronze-1.csv").write_text("id,name\n1,ada\n2,grace\n4,barbara\n")
    result = run(plan, capsys, monkeypatch=monkeypatch)
    assert result.code == 1
    failure = result.junit["payload 1"]["bronze as expected"].result[0]
    assert "expected/bronze-1.csv (3 rows): got 3 rows (1 missing, 1 unexpected)" in failure.message
    assert 'missing [["4", "barbara"]]; unexpected [["3", "linus"]]' in failure.text
    assert clean(localspace)
