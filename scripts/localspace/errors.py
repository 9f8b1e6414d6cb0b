"""Databricks API errors as classes: each knows its HTTP status and ``error_code``.

The official SDK picks its exception class from ``error_code`` first and the HTTP status
second (databricks/sdk/errors/mapper.py), so both must be right for a client to see
``NotFound``, ``ResourceAlreadyExists``, ``InvalidParameterValue`` and friends. Rooms raise
these; the server renders them as ``{"error_code", "message", "details": []}``.
"""
from __future__ import annotations


class ApiError(Exception):
    """Base class; subclasses fix ``status`` and ``error_code``."""

    status = 500
    error_code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict:
        return {"error_code": self.error_code, "message": self.message, "details": []}


class InvalidParameterValue(ApiError):
    status, error_code = 400, "INVALID_PARAMETER_VALUE"


class InvalidState(ApiError):
    status, error_code = 400, "INVALID_STATE"


class MaxBlockSizeExceeded(ApiError):
    """DBFS put/add-block with more than 1 MB of data."""
    status, error_code = 400, "MAX_BLOCK_SIZE_EXCEEDED"


class DirectoryNotEmpty(ApiError):
    """Workspace/DBFS delete of a non-empty folder without ``recursive``."""
    status, error_code = 400, "DIRECTORY_NOT_EMPTY"


class JobDoesNotExist(ApiError):
    """The Jobs service answers 400 INVALID_PARAMETER_VALUE "Job N does not exist." (the SDK
    maps that message to ResourceDoesNotExist for jobs/get and runs/get)."""
    status, error_code = 400, "INVALID_PARAMETER_VALUE"


class ClusterDoesNotExist(ApiError):
    """clusters/get and jobs on an unknown cluster id: 400 INVALID_PARAMETER_VALUE "Cluster X does
    not exist" (the SDK's errors/overrides.py maps that message to ResourceDoesNotExist)."""
    status, error_code = 400, "INVALID_PARAMETER_VALUE"


class MaxNotebookSizeExceeded(ApiError):
    """workspace/import whose base64 ``content`` is over 10 MB."""
    status, error_code = 400, "MAX_NOTEBOOK_SIZE_EXCEEDED"


class Unauthenticated(ApiError):
    status, error_code = 401, "UNAUTHENTICATED"


class PermissionDenied(ApiError):
    status, error_code = 403, "PERMISSION_DENIED"


class ResourceDoesNotExist(ApiError):
    status, error_code = 404, "RESOURCE_DOES_NOT_EXIST"


class NotFound(ApiError):
    """The Files API's flavour of "no such file" (404 NOT_FOUND)."""
    status, error_code = 404, "NOT_FOUND"


class CatalogDoesNotExist(ApiError):
    status, error_code = 404, "CATALOG_DOES_NOT_EXIST"


class SchemaDoesNotExist(ApiError):
    status, error_code = 404, "SCHEMA_DOES_NOT_EXIST"


class TableDoesNotExist(ApiError):
    status, error_code = 404, "TABLE_DOES_NOT_EXIST"


class CatalogAlreadyExists(ApiError):
    status, error_code = 409, "CATALOG_ALREADY_EXISTS"


class SchemaAlreadyExists(ApiError):
    status, error_code = 409, "SCHEMA_ALREADY_EXISTS"


class Conflict(ApiError):
    """Unity Catalog's generic 409 (a volume that already exists)."""
    status, error_code = 409, "RESOURCE_ALREADY_EXISTS"


class CatalogNotEmpty(ApiError):
    status, error_code = 400, "CATALOG_NOT_EMPTY"


class SchemaNotEmpty(ApiError):
    status, error_code = 400, "SCHEMA_NOT_EMPTY"


class EndpointNotFound(ApiError):
    status, error_code = 404, "ENDPOINT_NOT_FOUND"


class ResourceAlreadyExists(ApiError):
    """Workspace import/mkdirs and DBFS answer 400 with this code; the SDK maps it by code."""
    status, error_code = 400, "RESOURCE_ALREADY_EXISTS"


class AlreadyExists(ApiError):
    """The Files API's conflict (409 ALREADY_EXISTS)."""
    status, error_code = 409, "ALREADY_EXISTS"


class RequestLimitExceeded(ApiError):
    status, error_code = 429, "REQUEST_LIMIT_EXCEEDED"


class InternalError(ApiError):
    status, error_code = 500, "INTERNAL_ERROR"


class TemporarilyUnavailable(ApiError):
    status, error_code = 503, "TEMPORARILY_UNAVAILABLE"


class ResourceConflict(ApiError):
    """Pipelines: a duplicate name without allow_duplicate_names, a second active update."""
    status, error_code = 409, "RESOURCE_CONFLICT"
