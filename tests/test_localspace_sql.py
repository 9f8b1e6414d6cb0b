"""SQL Statement Execution through the official SDK, on the python engine's embedded store."""
from __future__ import annotations

import pytest
from databricks.sdk.errors import InvalidParameterValue, NotFound
from databricks.sdk.service.sql import StatementParameterListItem, StatementState

from conftest import TEST_TOKEN
from localspace_helpers import client, wait_until


@pytest.fixture
def w(localspace):
    return client(localspace, TEST_TOKEN)


def run(w, statement: str, **kwargs):
    return w.statement_execution.execute_statement(statement=statement, warehouse_id="localspace", **kwargs)


def test_statements_succeed_with_string_values(w):
    for statement in ("CREATE SCHEMA IF NOT EXISTS dev.sbit",
                      "CREATE TABLE dev.sbit.users (id INT, name STRING, score DOUBLE)",
                      "INSERT INTO dev.sbit.users VALUES (1, 'ada', 1.5), (2, 'bob', NULL)"):
        assert run(w, statement).status.state == StatementState.SUCCEEDED
    answer = run(w, "SELECT id, name, score FROM dev.sbit.users ORDER BY id")
    assert answer.status.state == StatementState.SUCCEEDED
    assert [c.name for c in answer.manifest.schema.columns] == ["id", "name", "score"]
    assert answer.manifest.total_row_count == 2
    assert answer.result.data_array == [["1", "ada", "1.5"], ["2", "bob", None]]
    count = run(w, "SELECT count(*) FROM dev.sbit.users WHERE name = :name",
                parameters=[StatementParameterListItem(name="name", value="ada'; DROP TABLE x; --")])
    assert count.result.data_array == [["0"]]


def test_failed_statement_is_http_200_with_error(w):
    answer = run(w, "SELECT * FROM dev.nothing.here")
    assert answer.status.state == StatementState.FAILED
    assert answer.status.error.message


def test_async_statement_get_and_cancel(w):
    answer = run(w, "SELECT 1 AS one", wait_timeout="0s")
    assert answer.status.state in (StatementState.PENDING, StatementState.RUNNING, StatementState.SUCCEEDED)
    done = wait_until(lambda: (s := w.statement_execution.get_statement(answer.statement_id))
                      .status.state == StatementState.SUCCEEDED and s, what="statement")
    assert done.result.data_array == [["1"]]
    w.statement_execution.cancel_execution(answer.statement_id)   # a no-op once finished
    assert w.statement_execution.get_statement(answer.statement_id).status.state == StatementState.SUCCEEDED
    chunk = w.statement_execution.get_statement_result_chunk_n(answer.statement_id, 0)
    assert chunk.data_array == [["1"]]


def test_request_errors(w):
    with pytest.raises(InvalidParameterValue):
        run(w, "SELECT 1", wait_timeout="3s")
    with pytest.raises(InvalidParameterValue):
        w.api_client.do("POST", "/api/2.0/sql/statements", body={"statement": "SELECT 1"})  # no warehouse_id
    with pytest.raises(NotFound):
        w.statement_execution.get_statement("01f00000-0000-0000-0000-000000000000")
