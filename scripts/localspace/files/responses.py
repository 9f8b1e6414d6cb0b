"""HTTP side of the files room: /api/2.0/fs/* (raw bytes) and /api/2.0/dbfs/* (base64 JSON)."""
from __future__ import annotations

import base64
import binascii
from email.utils import formatdate

from localspace.errors import InvalidParameterValue
from localspace.files.models import MAX_BLOCK, DbfsModel, VolumesModel
from localspace.web import Reply, Request, coerce, form_fields


class FilesResponses:
    def __init__(self, volumes: VolumesModel, dbfs: DbfsModel):
        self.volumes = volumes
        self.dbfs = dbfs

    # -- Files API ---------------------------------------------------------------------------

    def upload(self, req: Request) -> Reply:
        overwrite = coerce("overwrite", (req.query.get("overwrite") or ["false"])[-1], bool)
        self.volumes.upload(req.params["path"], req.body, overwrite)
        return Reply(204)

    def download(self, req: Request) -> Reply:
        local = self.volumes.file(req.params["path"])
        data = b"" if req.method == "HEAD" else local.read_bytes()
        stat = local.stat()
        headers = {"Last-Modified": formatdate(stat.st_mtime, usegmt=True),
                   "Content-Length": str(stat.st_size)}
        return Reply(200, data, headers=headers, content_type="application/octet-stream")

    def delete_file(self, req: Request) -> Reply:
        self.volumes.delete_file(req.params["path"])
        return Reply(204)

    def create_directory(self, req: Request) -> Reply:
        self.volumes.mkdirs(_dir(req.params["path"]))
        return Reply(204)

    def list_directory(self, req: Request) -> dict:
        entries = self.volumes.list(_dir(req.params["path"]))
        page_size = coerce("page_size", (req.query.get("page_size") or ["1000"])[-1], int)
        start = _offset(req.query.get("page_token"))
        page = entries[start:start + max(1, page_size)]
        out = {}
        if page:
            out["contents"] = [{"path": e.path + ("/" if e.is_dir else ""), "is_directory": e.is_dir,
                                "file_size": e.size, "last_modified": e.modified_ms,
                                "name": e.path.rsplit("/", 1)[-1]} for e in page]
        if start + len(page) < len(entries):
            out["next_page_token"] = _token(start + len(page))
        return out

    def directory_metadata(self, req: Request) -> Reply:
        self.volumes.directory(_dir(req.params["path"]))
        return Reply(200)

    def delete_directory(self, req: Request) -> Reply:
        self.volumes.delete_directory(_dir(req.params["path"]))
        return Reply(204)

    # -- DBFS --------------------------------------------------------------------------------

    def dbfs_put(self, req: Request) -> dict:
        """JSON with base64 ``contents`` (at most 1 MB), or multipart/form-data with the bytes in
        a ``file`` part, which databricks-cli 0.18 sends for ``fs cp`` (files under 2 GB)."""
        if req.headers.get("Content-Type", "").startswith("multipart/form-data"):
            fields = form_fields(req)
            path = fields.get("path", b"").decode("utf-8")
            if not path:
                raise InvalidParameterValue("Missing required field: path")
            overwrite = coerce("overwrite", fields.get("overwrite", b"false").decode(), bool)
            self.dbfs.put(path, fields.get("file", b""), overwrite, limit=None)
            return {}
        data = _b64(req.field("contents", default=""))
        self.dbfs.put(req.field("path", required=True), data, req.field("overwrite", bool, default=False))
        return {}

    def dbfs_create(self, req: Request) -> dict:
        handle = self.dbfs.create(req.field("path", required=True), req.field("overwrite", bool, default=False))
        return {"handle": handle}

    def dbfs_add_block(self, req: Request) -> dict:
        self.dbfs.add_block(req.field("handle", int, required=True), _b64(req.field("data", required=True)))
        return {}

    def dbfs_close(self, req: Request) -> dict:
        self.dbfs.close(req.field("handle", int, required=True))
        return {}

    def dbfs_read(self, req: Request) -> dict:
        data = self.dbfs.read(req.field("path", required=True), req.field("offset", int, default=0),
                              req.field("length", int, default=MAX_BLOCK // 2))
        return {"bytes_read": len(data), "data": base64.b64encode(data).decode("ascii")}

    def dbfs_get_status(self, req: Request) -> dict:
        return _file_info(self.dbfs.status(req.field("path", required=True)))

    def dbfs_list(self, req: Request) -> dict:
        entries = self.dbfs.list(req.field("path", required=True))
        return {"files": [_file_info(e) for e in entries]} if entries else {}

    def dbfs_mkdirs(self, req: Request) -> dict:
        self.dbfs.mkdirs(req.field("path", required=True))
        return {}

    def dbfs_delete(self, req: Request) -> dict:
        self.dbfs.delete(req.field("path", required=True), req.field("recursive", bool, default=False))
        return {}

    def dbfs_move(self, req: Request) -> dict:
        self.dbfs.move(req.field("source_path", required=True), req.field("destination_path", required=True))
        return {}


def _file_info(entry) -> dict:
    return {"path": entry.path, "is_dir": entry.is_dir, "file_size": entry.size,
            "modification_time": entry.modified_ms}


def _dir(path: str) -> str:
    return path.rstrip("/") or "/"


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameterValue("The data is not valid base64.") from None


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(values) -> int:
    if not values:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(values[-1].encode()).decode().partition(":")
        if kind == "offset":
            return max(0, int(number))
    except (ValueError, binascii.Error):
        pass
    raise InvalidParameterValue("Invalid page_token.")
