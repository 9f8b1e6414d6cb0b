"""HTTP side of the workspace room (/api/2.0/workspace/*)."""
from __future__ import annotations

import base64
import binascii

from localspace.errors import InvalidParameterValue, MaxNotebookSizeExceeded
from localspace.web import Reply, Request, coerce, form_fields
from localspace.workspace.models import HEADERS, WorkspaceModel

# "The 10 MB limit is on the base64 text" (workspace/import docs: content "is limited to 10 MB";
# what is sent is base64), error MAX_NOTEBOOK_SIZE_EXCEEDED. A multipart import sends raw bytes.
MAX_IMPORT_BYTES = 10 * 1024 * 1024


class WorkspaceResponses:
    def __init__(self, model: WorkspaceModel):
        self.model = model

    def import_(self, req: Request) -> dict:
        if req.headers.get("Content-Type", "").startswith("multipart/form-data"):
            fields = form_fields(req)
            text = {k: v.decode("utf-8", "replace") for k, v in fields.items() if k != "content"}
            path, content = text.get("path"), fields.get("content", b"")
            fmt, language = text.get("format"), text.get("language")
            overwrite = coerce("overwrite", text.get("overwrite", "false"), bool)
            _check_size(len(content))
        else:
            path = req.field("path", required=True)
            encoded = req.field("content", default="")
            _check_size(len(encoded))
            content = _b64decode(encoded)
            fmt, language = req.field("format"), req.field("language")
            overwrite = req.field("overwrite", bool, default=False)
        if not path:
            raise InvalidParameterValue("Missing required field: path")
        self.model.import_(path, content, fmt, language, overwrite)
        return {}

    def export(self, req: Request):
        path = req.field("path", required=True)
        data, info = self.model.export(path, req.field("format", default="SOURCE"))
        if req.field("direct_download", bool, default=False):
            return Reply(200, data, content_type="application/octet-stream")
        out = {"content": base64.b64encode(data).decode("ascii")}
        if info.language:
            out["file_type"] = HEADERS[info.language][1].lstrip(".")
        return out

    def mkdirs(self, req: Request) -> dict:
        self.model.mkdirs(req.field("path", required=True))
        return {}

    def get_status(self, req: Request) -> dict:
        return self.model.get_status(req.field("path", required=True)).to_dict()

    def list(self, req: Request) -> dict:
        objects = self.model.list(req.field("path", required=True))
        return {"objects": [o.to_dict() for o in objects]} if objects else {}

    def delete(self, req: Request) -> dict:
        self.model.delete(req.field("path", required=True), req.field("recursive", bool, default=False))
        return {}


def _check_size(size: int) -> None:
    if size > MAX_IMPORT_BYTES:
        raise MaxNotebookSizeExceeded(f"File size imported is ({size} bytes), exceeded max size "
                                      f"({MAX_IMPORT_BYTES} bytes)")


def _b64decode(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameterValue("content is not valid base64") from None
