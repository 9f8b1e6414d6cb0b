"""What a pipeline spec may say, checked the way a workspace checks it, without HTTP.

The field names are the request body of ``POST /api/2.0/pipelines`` (the official SDK's
``PipelinesAPI.create``, generated from Databricks' API spec; a test holds the two lists
together). A key outside them is refused, as a misspelled ``libraries`` or ``catalogg`` must
not become a pipeline that silently does something else. Checks that need the rest of the
workspace (does the catalog, the schema, the notebook exist?) take it as arguments.
"""
from __future__ import annotations

import fnmatch
from typing import Callable, Optional

from localspace.config import DEFAULT_CATALOG, DEFAULT_SCHEMA
from localspace.errors import InvalidParameterValue

# Spec fields (PipelineSpec) plus the create-only switches.
SPEC_FIELDS = {
    "budget_policy_id", "catalog", "channel", "clusters", "configuration", "continuous", "deployment",
    "development", "edition", "environment", "event_log", "filters", "gateway_definition", "id",
    "ingestion_definition", "libraries", "name", "notifications", "parameters", "parent_path", "photon",
    "restart_window", "root_path", "run_as", "schema", "serverless", "serverless_compute_id", "storage",
    "tags", "target", "trigger", "usage_policy_id",
}
CREATE_ONLY = {"allow_duplicate_names", "dry_run"}
EDIT_ONLY = {"allow_duplicate_names", "expected_last_modified", "pipeline_id"}
LIBRARY_KINDS = {"notebook", "file", "glob", "jar", "maven", "whl"}
EDITIONS = {"CORE", "PRO", "ADVANCED"}
CHANNELS = {"CURRENT", "PREVIEW"}
# JSON types of the fields whose type a test could get wrong.
_TYPES = {"name": str, "catalog": str, "schema": str, "target": str, "storage": str, "channel": str,
          "edition": str, "continuous": bool, "development": bool, "photon": bool, "serverless": bool,
          "configuration": dict, "tags": dict, "libraries": list, "clusters": list, "notifications": list,
          "allow_duplicate_names": bool, "dry_run": bool, "root_path": str, "parent_path": str}
# Fields that ask for something localspace cannot do: refused with one line, not ignored.
_NOT_EMULATED = {
    "ingestion_definition": "managed ingestion pipelines (Lakeflow Connect)",
    "gateway_definition": "ingestion gateways",
    "trigger": "scheduled pipeline triggers",
    "deployment": "bundle deployment metadata",
}
WHERE = 'see README "What each engine does"'


def not_emulated(what: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"localspace does not emulate {what} ({WHERE}).")


def check_body(body: dict, extra: set[str]) -> None:
    """Unknown keys and wrong JSON types, refused with Databricks' error shape."""
    unknown = sorted(set(body) - SPEC_FIELDS - extra)
    if unknown:
        raise InvalidParameterValue(f"Invalid JSON given in the body of the request - unknown field "
                                    f"{', '.join(unknown)}.")
    for key, kind in _TYPES.items():
        value = body.get(key)
        if value is not None and not isinstance(value, kind):
            raise InvalidParameterValue(f"Invalid value for field {key}: expected {kind.__name__}, "
                                        f"got {type(value).__name__}.")
    for key, what in _NOT_EMULATED.items():
        if body.get(key):
            raise not_emulated(what)


def spec_of(body: dict, pipeline_id: str, *, serverless_enabled: bool,
            namespace_exists: Callable[..., bool], library_kind: Callable[[str], Optional[str]],
            workspace_glob: Callable[[str], list[str]]) -> dict:
    """The stored spec (what pipelines/get answers in ``spec``), or a 400 saying what is wrong.

    ``namespace_exists(catalog[, schema])`` asks Unity Catalog; ``library_kind(path)`` is the
    workspace's object type of a path (NOTEBOOK, FILE, DIRECTORY or None);
    ``workspace_glob(pattern)`` lists the notebooks and files a glob library matches."""
    spec = {k: v for k, v in body.items() if k in SPEC_FIELDS and v is not None}
    spec["id"] = pipeline_id
    if spec.get("schema") and spec.get("target"):
        # Databricks: "schema" is the newer name of "target"; a spec names one of them.
        raise InvalidParameterValue("Only one of 'schema' and 'target' can be specified.")
    for key in ("configuration", "tags"):
        if not all(isinstance(v, str) for v in (spec.get(key) or {}).values()):
            raise InvalidParameterValue(f"Invalid value for field {key}: values must be strings.")
    if spec.get("edition") is not None and spec["edition"].upper() not in EDITIONS:
        raise InvalidParameterValue(f"Invalid edition '{spec['edition']}'; expected one of {sorted(EDITIONS)}.")
    if spec.get("channel") is not None and spec["channel"].upper() not in CHANNELS:
        raise InvalidParameterValue(f"Invalid channel '{spec['channel']}'; expected one of {sorted(CHANNELS)}.")
    if spec.get("serverless") and not serverless_enabled:
        raise InvalidParameterValue("Serverless compute for pipelines is not enabled in this workspace.")
    if spec.get("serverless") and spec.get("clusters"):
        raise InvalidParameterValue("Serverless pipelines cannot specify 'clusters'.")
    catalog, schema = dataset_namespace(spec)
    if not namespace_exists(catalog):
        raise InvalidParameterValue(f"Catalog '{catalog}' does not exist.")
    if not namespace_exists(catalog, schema):
        raise InvalidParameterValue(f"Schema '{catalog}.{schema}' does not exist.")
    for index, library in enumerate(spec.get("libraries") or []):
        _check_library(index, library, library_kind, workspace_glob)
    return spec


def dataset_namespace(spec: dict) -> tuple[str, str]:
    """Where the pipeline's tables go: ``catalog`` (default: the workspace default catalog)
    and ``schema`` or its older name ``target`` (default: ``default``)."""
    catalog = (spec.get("catalog") or DEFAULT_CATALOG).lower()
    schema = (spec.get("schema") or spec.get("target") or DEFAULT_SCHEMA).lower()
    return catalog, schema


def _check_library(index: int, library, library_kind, workspace_glob) -> None:
    where = f"libraries[{index}]"
    if not isinstance(library, dict) or len(library) != 1 or not set(library) <= LIBRARY_KINDS:
        raise InvalidParameterValue(f"{where} must set exactly one of {', '.join(sorted(LIBRARY_KINDS))}.")
    (kind, value), = library.items()
    if kind in ("jar", "maven", "whl"):
        raise not_emulated(f"{kind} libraries in pipelines")
    key = "include" if kind == "glob" else "path"
    path = value.get(key) if isinstance(value, dict) else None
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidParameterValue(f"{where}.{kind}.{key} must be an absolute workspace path.")
    if set(value) - {key}:
        raise InvalidParameterValue(f"Invalid JSON given in the body of the request - unknown field "
                                    f"{', '.join(sorted(set(value) - {key}))} in {where}.{kind}.")
    if kind == "glob":
        if not workspace_glob(path):
            raise InvalidParameterValue(f"{where}.glob.include '{path}' matches no notebook or file.")
        return
    found = library_kind(path)
    expected = "NOTEBOOK" if kind == "notebook" else "FILE"
    if found != expected:
        raise InvalidParameterValue(f"The {kind} at path {path} does not exist ({where}).")


def glob_match(pattern: str, path: str) -> bool:
    """Databricks' glob libraries: ``/folder/**`` is everything under a folder, ``*`` within one
    name; a pattern without wildcards is a path (a folder means everything in it)."""
    pattern = pattern.rstrip("/")
    if pattern.endswith("/**"):
        return path.startswith(pattern[:-2])
    if not any(c in pattern for c in "*?["):
        return path == pattern or path.startswith(pattern + "/")
    return fnmatch.fnmatchcase(path, pattern)
