"""Bundle substitutions: the ``${...}`` of a Databricks Asset Bundle file, never the plan's.

A bundle's ``${var.X}`` and a plan's ``${var.X}`` look alike but are different languages
(bundle variables may be complex values, a plan's are strings; a bundle has ``bundle.*`` and
``workspace.*``; a plan has ``run.id`` and ``env.*``), so each has its own engine and a bundle
value is never passed through ``streamtest.templating``.

What is resolved follows "Substitutions and variables in Databricks Asset Bundles"
(https://docs.databricks.com/dev-tools/bundles/variables): ``${bundle.name}``,
``${bundle.target}``, ``${workspace.root_path}``, ``${workspace.file_path}``, ``${workspace.host}``,
``${workspace.current_user.userName}`` / ``.short_name``, and ``${var.NAME}`` (a complex
variable's fields as ``${var.NAME.field}``). A string that is exactly one reference takes the
referenced value as it is (so a complex variable can stand for a whole mapping); inside
longer text the value must be a scalar. Values are looked up lazily: the current user (one
call to the workspace) is asked for only when something refers to it.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[[0-9]+\])*)\}")
NOT_BEFORE_DEPLOY = ("resources.", "artifacts.")


class RefError(ValueError):
    """A reference the bundle tooling would resolve but streamtest cannot (or nobody can)."""


class Scope:
    """What a bundle file may refer to. ``lookup(name)`` answers a dotted top-level name
    (``bundle.name``, ``var.X``...) or raises RefError; values are computed on first use."""

    def __init__(self, fixed: Mapping[str, Callable[[], Any]], variable: Callable[[str], Any]):
        self._fixed = dict(fixed)
        self._variable = variable
        self._cache: dict[str, Any] = {}

    def lookup(self, expr: str) -> Any:
        head, _, rest = expr.partition(".")
        if head == "var":
            name, _, field = rest.partition(".")
            return _dig(self._variable(name), field, expr)
        for known in sorted(self._fixed, key=len, reverse=True):
            if expr == known or expr.startswith(known + "."):
                if known not in self._cache:
                    self._cache[known] = self._fixed[known]()
                return _dig(self._cache[known], expr[len(known) + 1:], expr)
        if expr.startswith(NOT_BEFORE_DEPLOY):
            raise RefError(f"${{{expr}}} is only known after `databricks bundle deploy`; streamtest creates its own "
                           "job and cannot resolve it (pass the value as a bundle variable with --var)")
        raise RefError(f"unknown bundle reference ${{{expr}}}: streamtest resolves var.*, bundle.name, bundle.target, "
                       "workspace.root_path, workspace.file_path, workspace.host and workspace.current_user.userName/short_name")


def substitute(value: Any, scope: Scope) -> Any:
    """``value`` with every reference in every string replaced (keys are left as written)."""
    if isinstance(value, str):
        return substitute_text(value, scope)
    if isinstance(value, dict):
        return {k: substitute(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, scope) for v in value]
    return value


def substitute_text(text: str, scope: Scope) -> Any:
    whole = _REF.fullmatch(text)
    if whole:
        return scope.lookup(whole.group(1))

    def one(match: re.Match) -> str:
        found = scope.lookup(match.group(1))
        if isinstance(found, (dict, list)):
            raise RefError(f"${{{match.group(1)}}} is a complex value; it can only be used as a whole value, "
                           "not inside text")
        return _text(found)
    return _REF.sub(one, text)


def references(value: Any) -> set[str]:
    """Every reference written anywhere inside ``value``."""
    if isinstance(value, str):
        return {m.group(1) for m in _REF.finditer(value)}
    if isinstance(value, dict):
        return set().union(*(references(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(references(v) for v in value)) if value else set()
    return set()


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def short_name(user_name: str, display_name: str = "") -> str:
    """The bundle tooling's ``current_user.short_name``: the e-mail's local part lower-cased,
    each run of characters that are not letters or digits made one ``_``, none at either end
    (``Jane.Doe@x`` -> ``jane_doe``, ``.a//b..c`` -> ``a_b_c``: databricks/cli's
    libs/textutil NormalizeString, as its tests state it); for a service principal (its user
    name is an application id) its display name instead."""
    name = display_name if _UUID.fullmatch(user_name) and display_name else user_name
    local = name.split("@", 1)[0]
    return re.sub(r"[\W_]+", "_", local.lower()).strip("_")


def _dig(value: Any, field: str, expr: str) -> Any:
    for part in re.findall(r"[^.\[\]]+|\[[0-9]+\]", field) if field else []:
        if part.startswith("[") and isinstance(value, list) and int(part[1:-1]) < len(value):
            value = value[int(part[1:-1])]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise RefError(f"${{{expr}}}: no field '{part.strip('[]')}' in the value it refers to")
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
