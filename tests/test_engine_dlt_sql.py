"""Pipeline sources read into dataset definitions (no Spark: the queries stay text)."""
from __future__ import annotations

import pytest

from localspace.engine.dlt_sql import Cdc, Expectation, PipelineSqlError, ReadFiles, lift_read_files, parse, statements


def test_statements_split_on_semicolons_outside_strings_comments_and_parentheses():
    text = """-- a comment; not a statement
    SET landing = '/Volumes/a;b';
    /* block; */ CREATE MATERIALIZED VIEW m COMMENT 'x; y' AS SELECT ';' AS s FROM (SELECT 1; );
    """
    assert statements(text) == ["SET landing = '/Volumes/a;b'",
                                "CREATE MATERIALIZED VIEW m COMMENT 'x; y' AS SELECT ';' AS s FROM (SELECT 1; )"]


def test_a_streaming_table_with_constraints():
    found = parse("""CREATE OR REFRESH STREAMING TABLE Orders (
        id INT, CONSTRAINT valid_id EXPECT (id IS NOT NULL AND (id > 0)) ON VIOLATION DROP ROW,
        CONSTRAINT positive EXPECT (amount > 0),
        CONSTRAINT known EXPECT (kind IN ('a', 'b')) ON VIOLATION FAIL UPDATE
      ) COMMENT 'as they land' AS SELECT * FROM STREAM(LIVE.raw)""")
    assert (found.kind, found.name, found.comment, found.columns) == ("streaming_table", "Orders", "as they land", "id INT")
    assert found.expectations == [Expectation("valid_id", "id IS NOT NULL AND (id > 0)", "drop"),
                                  Expectation("positive", "amount > 0", "warn"),
                                  Expectation("known", "kind IN ('a', 'b')", "fail")]
    assert found.query == "SELECT * FROM STREAM(LIVE.raw)"


@pytest.mark.parametrize("text, kind", [
    ("CREATE MATERIALIZED VIEW gold AS SELECT 1", "materialized_view"),
    ("CREATE OR REFRESH LIVE TABLE gold AS SELECT 1", "materialized_view"),
    ("CREATE STREAMING LIVE TABLE s AS SELECT * FROM STREAM t", "streaming_table"),
    ("CREATE TEMPORARY VIEW v AS SELECT 1", "view"),
    ("CREATE OR REFRESH STREAMING TABLE target", "streaming_table"),
])
def test_dataset_kinds(text, kind):
    assert parse(text).kind == kind


def test_a_flow_appends_into_its_target():
    found = parse("CREATE FLOW backfill AS INSERT INTO ONCE orders BY NAME SELECT * FROM old_orders")
    assert (found.kind, found.name, found.target, found.once, found.query) == (
        "flow", "backfill", "orders", True, "SELECT * FROM old_orders")


@pytest.mark.parametrize("text, message", [
    ("APPLY CHANGES INTO t FROM STREAM s KEYS (id) SEQUENCE BY ts STORED AS SCD TYPE 2",
     "localspace does not emulate SCD type 2"),
    ("SELECT * FROM t", "this statement is none of them"),
    ("CREATE MATERIALIZED VIEW m", "needs AS <query>"),
    ("CREATE TEMPORARY STREAMING TABLE t AS SELECT 1", "localspace does not emulate temporary tables"),
])
def test_what_a_pipeline_cannot_take(text, message):
    with pytest.raises(PipelineSqlError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


def test_streamed_read_files_calls_are_lifted_out_of_a_query():
    calls: list[ReadFiles] = []

    def view(call: ReadFiles) -> str:
        calls.append(call)
        return f"v{len(calls)}"

    query = ("SELECT * FROM STREAM read_files('/Volumes/c/s/v/in', format => 'json', inferColumnTypes => true) "
             "JOIN STREAM(read_files(\"/x\", format => 'csv')) USING (id) JOIN read_files('/y', format => 'parquet')")
    assert lift_read_files(query, view) == ("SELECT * FROM v1 JOIN v2 USING (id) "
                                            "JOIN read_files('/y', format => 'parquet')")  # batch: Spark's own
    assert calls == [ReadFiles("/Volumes/c/s/v/in", {"format": "json", "inferColumnTypes": "true"}),
                     ReadFiles("/x", {"format": "csv"})]


def test_a_pipeline_notebook_is_one_language():
    from localspace.engine.base import PipelineSource
    from localspace.engine.dlt_graph import PipelineDefinitionError
    from localspace.engine.dlt_source import cells as _cells
    text = "# Databricks notebook source\n# MAGIC %md\n# MAGIC # Bronze\n\n# COMMAND ----------\n\nimport dlt\n"
    assert _cells(PipelineSource("/p", "PYTHON", text)) == ["import dlt"]
    mixed = text + "\n# COMMAND ----------\n\n# MAGIC %sql\n# MAGIC SELECT 1\n"
    with pytest.raises(PipelineDefinitionError, match="localspace does not emulate %sql cells in pipeline source"):
        _cells(PipelineSource("/p", "PYTHON", mixed))


def test_the_older_cloud_files_is_auto_loader_with_its_own_defaults():
    calls: list[ReadFiles] = []
    query = "SELECT * FROM cloud_files('/Volumes/c/s/v/in', 'csv', map('header', 'true', 'cloudFiles.inferColumnTypes', 'true'))"
    assert lift_read_files(query, lambda call: calls.append(call) or "v") == "SELECT * FROM v"
    assert calls == [ReadFiles("/Volumes/c/s/v/in", {"format": "csv", "header": "true",
                                                    "cloudFiles.inferColumnTypes": "true"}, read_files=False)]


def test_apply_changes_in_sql():
    found = parse("APPLY CHANGES INTO LIVE.users FROM STREAM(LIVE.users_bz) KEYS (user_id, `device`) "
                  "APPLY AS DELETE WHEN op = 'DELETE' SEQUENCE BY ts COLUMNS * EXCEPT (op) STORED AS SCD TYPE 1")
    assert (found.kind, found.name, found.target) == ("flow", "users_cdc", "users")
    assert found.cdc == Cdc("LIVE.users_bz", ["user_id", "device"], "ts", "op = 'DELETE'", ["op"], None)
    flow = parse("CREATE FLOW upserts AS AUTO CDC INTO users FROM STREAM users_bz KEYS (id) SEQUENCE BY ts")
    assert (flow.name, flow.target, flow.cdc.source, flow.cdc.keys) == ("upserts", "users", "users_bz", ["id"])
