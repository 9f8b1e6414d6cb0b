"""JobSettings checked against Databricks' own JSON schema (``schema/job-settings.schema.json``).

The file is the job definition from Databricks' bundle schema (databricks/cli
bundle/schema/jsonschema.json, reduced to a job; its ``$comment`` names the commit and was
written for the copy tests read), vendored unchanged. Two things differ between a bundle's
job and what jobs/create takes, and are adjusted here when the schema loads, not in the file:
- every value may be a bundle interpolation (``oneOf: [X, "${var...}"]``); the wire takes X
  only, and the ``\\p{L}`` patterns of those strings are not Python regular expressions;
- the field lists differ: JobSettings (SDK service/jobs.py) has ``format``, ``deployment``,
  ``edit_mode``, ``duration_target`` and ``environment_variables``, which the bundle leaves out
  (and jobs/get shows ``format`` back to whoever resets), and no ``permissions`` or
  ``lifecycle``, which are the bundle's own; SubmitTask has ``ai_function_task`` and
  ``environment_variables_key``, newer than the bundle's Task. Fields the schema does not
  describe are accepted as they come.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from localspace.errors import InvalidParameterValue

SCHEMA_FILE = Path(__file__).with_name("schema") / "job-settings.schema.json"
_JOB_ONLY = {"format": {"enum": ["SINGLE_TASK", "MULTI_TASK"]}, "deployment": {"type": "object"},
             "edit_mode": {"enum": ["UI_LOCKED", "EDITABLE"]}, "duration_target": {}, "environment_variables": {}}
_BUNDLE_ONLY = ("permissions", "lifecycle")
_TASK_ONLY = {"ai_function_task": {"type": "object"}, "environment_variables_key": {"type": "string"}}


def _is_interpolation(branch: Any) -> bool:
    return isinstance(branch, dict) and branch.get("type") == "string" and \
        str(branch.get("pattern", "")).startswith("\\$\\{")


def _wire(node: Any) -> Any:
    """The schema with every bundle interpolation alternative removed."""
    if isinstance(node, list):
        return [_wire(n) for n in node]
    if not isinstance(node, dict):
        return node
    branches = node.get("oneOf")
    if isinstance(branches, list) and branches and all(_is_interpolation(b) for b in branches[1:]):
        rest = {k: v for k, v in node.items() if k != "oneOf"}
        return _wire({**branches[0], **rest})
    return {k: _wire(v) for k, v in node.items()}


@functools.lru_cache(maxsize=1)
def validator():
    import jsonschema

    schema = _wire(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    github = schema["$defs"]["github.com"]["databricks"]
    job = github["cli"]["bundle"]["config"]["resources.Job"]["properties"]
    job.update(_JOB_ONLY)
    for name in _BUNDLE_ONLY:
        job.pop(name, None)
    github["databricks-sdk-go"]["service"]["jobs.Task"]["properties"].update(_TASK_ONLY)
    return jsonschema.Draft7Validator(schema)


def check_schema(settings: dict) -> None:
    """400 INVALID_PARAMETER_VALUE naming the first field that JobSettings does not allow."""
    errors = sorted(validator().iter_errors(settings),
                    key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return
    error = errors[0]
    where = "settings" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        raise InvalidParameterValue(f"Invalid JSON given in the body of the request - unknown field "
                                    f"{', '.join(unknown)} in {where}.")
    if error.validator == "required":
        raise InvalidParameterValue(f"Missing required field: {where}.{error.message.split(chr(39))[1]}")
    raise InvalidParameterValue(f"Invalid value for {where}: {error.message}")
