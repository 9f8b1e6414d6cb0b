"""Statements and their life cycle, without HTTP.

Each statement runs in its own worker thread through ``engine.execute_sql`` (one statement
at a time per worker, as a warehouse session would), so a submit can wait up to
``wait_timeout`` and then answer PENDING/RUNNING while the statement carries on. The
engine interface cannot interrupt a statement, so cancel marks it CANCELED at once and its
eventual result is dropped.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Optional

from localspace.engine.base import SqlError, SqlResult
from localspace.errors import ResourceDoesNotExist
from localspace.sql.params import bind
from localspace.sql.warehouses import WarehousesModel

TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED", "CLOSED")
CHUNK_ROWS = 10_000        # rows per result chunk (the real limit is by bytes; rows are simpler)
TYPE_TEXT = {"LONG": "BIGINT", "SHORT": "SMALLINT", "BYTE": "TINYINT"}
# "Statements with disposition=INLINE are limited to 25 MiB and will fail when this limit is
# exceeded" (SDK service/sql.py, StatementExecutionAPI docstring, "Limits and limitations").
INLINE_LIMIT = 25 * 1024 * 1024
INLINE_LIMIT_MESSAGE = (f"Inline byte limit exceeded. Statements executed with disposition=INLINE can have a "
                        f"result size of at most {INLINE_LIMIT} bytes. Please use disposition=EXTERNAL_LINKS "
                        "to fetch result sets of arbitrary size.")


@dataclass
class Statement:
    statement_id: str
    text: str
    warehouse_id: str
    catalog: Optional[str]
    schema: Optional[str]
    row_limit: Optional[int] = None
    state: str = "PENDING"
    result: Optional[SqlResult] = None
    error: Optional[tuple[str, str]] = None      # (error_code, message)
    truncated: bool = False
    created: float = field(default_factory=time.time)
    done: threading.Event = field(default_factory=threading.Event)

    def chunk_count(self) -> int:
        rows = len(self.result.rows) if self.result else 0
        return (rows + CHUNK_ROWS - 1) // CHUNK_ROWS


class SqlModel:
    def __init__(self, engine, warehouses: WarehousesModel):
        self.engine = engine
        self.warehouses = warehouses
        self._statements: dict[str, Statement] = {}
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()

    def submit(self, warehouse_id: str, text: str, catalog: Optional[str], schema: Optional[str],
               parameters: Optional[list], row_limit: Optional[int]) -> Statement:
        self.warehouses.get(warehouse_id)  # an unknown warehouse is refused on submit
        bound = bind(text, parameters)  # a bad parameter is a 400 on submit, as on Databricks
        stmt = Statement(statement_id=_statement_id(), text=bound, warehouse_id=warehouse_id, catalog=catalog,
                         schema=schema, row_limit=row_limit)
        thread = threading.Thread(target=self._execute, args=(stmt,), daemon=True,
                                  name=f"localspace-sql-{stmt.statement_id[:8]}")
        with self._lock:
            self._statements[stmt.statement_id] = stmt
            self._threads.add(thread)
        thread.start()
        return stmt

    def _execute(self, stmt: Statement) -> None:
        """PENDING while the warehouse starts (cancel ends the wait), RUNNING in the engine."""
        try:
            stmt.done.wait(self.warehouses.seconds_to_running(stmt.warehouse_id))
            with self._lock:
                if stmt.state != "PENDING":
                    return
                stmt.state = "RUNNING"
            if self.engine is None:
                raise SqlError("localspace has no engine to run SQL.", "INTERNAL_ERROR")
            result = self.engine.execute_sql(stmt.text, catalog=stmt.catalog, schema=stmt.schema)
            with self._lock:
                if stmt.state == "RUNNING":
                    if stmt.row_limit is not None and len(result.rows) > stmt.row_limit:
                        result = SqlResult(result.columns, result.rows[: stmt.row_limit])
                        stmt.truncated = True
                    if _inline_size(result) > INLINE_LIMIT:
                        stmt.state, stmt.error = "FAILED", ("BAD_REQUEST", INLINE_LIMIT_MESSAGE)
                    else:
                        stmt.result, stmt.state = result, "SUCCEEDED"
        except SqlError as err:
            self._fail(stmt, err.error_code, str(err))
        except Exception as exc:  # an engine bug still ends the statement
            self._fail(stmt, "INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")
        finally:
            stmt.done.set()
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _fail(self, stmt: Statement, code: str, message: str) -> None:
        with self._lock:
            if stmt.state == "RUNNING":
                stmt.state, stmt.error = "FAILED", (code, message)

    def get(self, statement_id: str) -> Statement:
        with self._lock:
            stmt = self._statements.get(statement_id)
        if stmt is None:
            raise ResourceDoesNotExist(f"The statement {statement_id} was not found.")
        return stmt

    def cancel(self, statement_id: str) -> None:
        stmt = self.get(statement_id)
        with self._lock:
            if stmt.state not in TERMINAL:
                stmt.state = "CANCELED"
        stmt.done.set()

    def count_active(self) -> int:
        with self._lock:
            return sum(1 for s in self._statements.values() if s.state not in TERMINAL)

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel what is active; wait briefly for workers (the engine closes right after)."""
        with self._lock:
            ids = [s.statement_id for s in self._statements.values() if s.state not in TERMINAL]
            threads = list(self._threads)
        for statement_id in ids:
            self.cancel(statement_id)
        deadline = time.time() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.time()))


def _inline_size(result: SqlResult) -> int:
    """Bytes of the rows as JSON_ARRAY would carry them (the real limit counts internal bytes)."""
    return sum(len(json.dumps(row, separators=(",", ":"))) for row in result.rows)


def _statement_id() -> str:
    raw = uuid.uuid4().hex
    return f"01f0{raw[4:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:32]}"


def type_text(type_name: str) -> str:
    return TYPE_TEXT.get(type_name, type_name)
