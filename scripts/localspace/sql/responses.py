"""HTTP side of the SQL room (/api/2.0/sql/statements...)."""
from __future__ import annotations

import re

from localspace.errors import InvalidParameterValue, InvalidState
from localspace.sql.models import CHUNK_ROWS, SqlModel, Statement, type_text
from localspace.web import Request


class SqlResponses:
    def __init__(self, model: SqlModel):
        self.model = model

    def execute(self, req: Request) -> dict:
        warehouse_id = req.field("warehouse_id", required=True)
        text = req.field("statement", required=True)
        wait = _wait_timeout(req.field("wait_timeout", default="10s"))
        on_timeout = req.field("on_wait_timeout", default="CONTINUE").upper()
        if on_timeout not in ("CONTINUE", "CANCEL"):
            raise InvalidParameterValue("on_wait_timeout must be CONTINUE or CANCEL.")
        if req.field("disposition", default="INLINE").upper() != "INLINE":
            raise InvalidParameterValue("localspace supports disposition INLINE only.")
        if req.field("format", default="JSON_ARRAY").upper() != "JSON_ARRAY":
            raise InvalidParameterValue("The INLINE disposition supports format JSON_ARRAY only.")
        row_limit = req.field("row_limit", int)
        stmt = self.model.submit(warehouse_id, text, req.field("catalog"), req.field("schema"),
                                 req.field("parameters", list), row_limit)
        if wait and not stmt.done.wait(wait) and on_timeout == "CANCEL":
            self.model.cancel(stmt.statement_id)
        return _render(stmt, req.base_url)

    def get(self, req: Request) -> dict:
        return _render(self.model.get(req.params["statement_id"]), req.base_url)

    def chunk(self, req: Request) -> dict:
        stmt = self.model.get(req.params["statement_id"])
        if stmt.state != "SUCCEEDED":
            raise InvalidState(f"The statement {stmt.statement_id} has no result (state {stmt.state}).")
        index = int(req.params["chunk_index"])
        if index >= max(1, stmt.chunk_count()):
            raise InvalidParameterValue(f"Chunk index {index} is out of range.")
        return _chunk(stmt, index, req.base_url)

    def cancel(self, req: Request) -> dict:
        self.model.cancel(req.params["statement_id"])
        return {}

    # -- warehouses --------------------------------------------------------------------------

    def list_warehouses(self, req: Request) -> dict:
        return {"warehouses": [w.to_dict(req.base_url) for w in self.model.warehouses.list()]}

    def get_warehouse(self, req: Request) -> dict:
        return self.model.warehouses.get(req.params["warehouse_id"]).to_dict(req.base_url)

    def start_warehouse(self, req: Request) -> dict:
        self.model.warehouses.start(req.params["warehouse_id"])
        return {}

    def stop_warehouse(self, req: Request) -> dict:
        self.model.warehouses.stop(req.params["warehouse_id"])
        return {}


def _wait_timeout(value: str) -> float:
    match = re.fullmatch(r"(\d+)s", str(value).strip())
    seconds = int(match.group(1)) if match else -1
    if seconds != 0 and not 5 <= seconds <= 50:
        raise InvalidParameterValue("wait_timeout must be 0s or between 5s and 50s.")
    return float(seconds)


def _render(stmt: Statement, base: str) -> dict:
    state = stmt.state
    out: dict = {"statement_id": stmt.statement_id, "status": {"state": state}}
    if state == "FAILED" and stmt.error:
        out["status"]["error"] = {"error_code": stmt.error[0], "message": stmt.error[1]}
    if state == "SUCCEEDED" and stmt.result is not None:
        columns = stmt.result.columns
        rows = stmt.result.rows
        count = stmt.chunk_count()
        manifest = {
            "format": "JSON_ARRAY",
            "schema": {"column_count": len(columns),
                       "columns": [{"name": c.name, "position": i, "type_name": c.type_name,
                                    "type_text": type_text(c.type_name)} for i, c in enumerate(columns)]},
            "total_row_count": len(rows), "total_chunk_count": count, "truncated": stmt.truncated,
        }
        if count:
            manifest["chunks"] = [{"chunk_index": i, "row_offset": i * CHUNK_ROWS,
                                   "row_count": len(rows[i * CHUNK_ROWS:(i + 1) * CHUNK_ROWS])}
                                  for i in range(count)]
        out["manifest"] = manifest
        out["result"] = _chunk(stmt, 0, base)
    return out


def _chunk(stmt: Statement, index: int, base: str) -> dict:
    rows = stmt.result.rows[index * CHUNK_ROWS:(index + 1) * CHUNK_ROWS]
    out: dict = {"chunk_index": index, "row_offset": index * CHUNK_ROWS, "row_count": len(rows)}
    if rows:
        out["data_array"] = rows
    if index + 1 < stmt.chunk_count():
        out["next_chunk_index"] = index + 1
        out["next_chunk_internal_link"] = f"/api/2.0/sql/statements/{stmt.statement_id}/result/chunks/{index + 1}"
    return out
