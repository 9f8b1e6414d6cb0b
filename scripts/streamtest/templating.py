"""Plan templating: exactly ``${var.X}``, ``${env.X}``, ``${env.X:-default}``, ``${run.id}``,
``${iteration.number}``, ``${iteration.name}``, ``${scratch.catalog}``, ``${scratch.schema}``, ``${scratch.schema_name}``,
``${scratch.volume.NAME}``, and ``$$`` for a literal ``$``.

Nothing else is evaluated: no expressions, no nesting, no shell. A ``$`` that starts none of
these forms is kept as it is, so SQL and regexes survive; ``${...}`` with anything else
inside is an error, because it is almost certainly a typo the user wants to hear about.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Optional

from streamtest import redaction

_TOKEN = re.compile(r"\$\$|\$\{([^}]*)\}")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_VAR = re.compile(rf"var\.({_NAME}(?:-[A-Za-z0-9_]+)*)")
_ENV = re.compile(rf"env\.({_NAME})(?::-(.*))?", re.DOTALL)


class TemplateError(ValueError):
    """A reference that cannot be resolved; the message names it."""


@dataclass
class Context:
    """What templates may refer to. ``iteration`` is None outside ``iterations``.

    ``scratch`` maps ``scratch.schema``-style references to their values once the plan's
    ``scratch:`` section is named ({} when the plan has none). It is None while ``vars`` and
    ``scratch:`` itself are rendered: the namespace's name is built from them, not the
    other way round.
    """

    vars: Mapping[str, str]
    env: Mapping[str, str]
    run_id: str
    iteration: Optional[tuple[int, str]] = None
    used_secrets: set = field(default_factory=set)
    scratch: Optional[Mapping[str, str]] = None

    def with_iteration(self, number: int, name: str) -> "Context":
        return Context(self.vars, self.env, self.run_id, (number, name), self.used_secrets, self.scratch)


def render(text: str, ctx: Context) -> str:
    """Substitute every reference in ``text``; raise TemplateError on the first bad one."""
    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        return _resolve(match.group(1).strip(), ctx)
    return _TOKEN.sub(substitute, text)


def _resolve(expr: str, ctx: Context) -> str:
    if expr == "run.id":
        return ctx.run_id
    if expr in ("iteration.number", "iteration.name"):
        if ctx.iteration is None:
            raise TemplateError(f"${{{expr}}} is only defined inside iterations")
        number, name = ctx.iteration
        return str(number) if expr == "iteration.number" else name
    if expr.startswith("scratch."):
        return _scratch(expr, ctx.scratch)
    match = _VAR.fullmatch(expr)
    if match:
        name = match.group(1)
        if name not in ctx.vars:
            raise TemplateError(f"${{var.{name}}} is not defined (add it under vars: or pass --var {name}=...)")
        return ctx.vars[name]
    match = _ENV.fullmatch(expr)
    if match:
        name, default = match.group(1), match.group(2)
        value = ctx.env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise TemplateError(f"${{env.{name}}} is not set and has no default (write ${{env.{name}:-default}})")
            return default
        if redaction.looks_secret(name):
            redaction.register(value)
            ctx.used_secrets.add(name)
        return value
    raise TemplateError(f"unknown reference ${{{expr}}}: use var.NAME, env.NAME, env.NAME:-default, "
                        "run.id, iteration.number, iteration.name or scratch.* ($$ for a literal $)")


def _scratch(expr: str, scratch: Optional[Mapping[str, str]]) -> str:
    """``scratch.catalog``, ``scratch.schema`` (catalog.schema), ``scratch.schema_name`` (the
    schema's own name, as a pipeline's ``schema`` takes it) or ``scratch.volume.NAME``
    (its /Volumes path), each only for what the plan's ``scratch:`` section declares."""
    if scratch is None:
        raise TemplateError(f"${{{expr}}} cannot be used in vars: or scratch: (the scratch namespace is named "
                            "from them); write it where the value is used")
    if expr in scratch:
        return scratch[expr]
    if not scratch:
        raise TemplateError(f"${{{expr}}} needs a scratch: section (catalog, schema, volumes) in the plan")
    volumes = sorted(key[len("scratch.volume."):] for key in scratch if key.startswith("scratch.volume."))
    if expr.startswith("scratch.volume."):
        listed = ", ".join(volumes) if volumes else "none"
        raise TemplateError(f"${{{expr}}}: '{expr[len('scratch.volume.'):]}' is not in scratch.volumes "
                            f"(declared: {listed})")
    raise TemplateError(f"unknown reference ${{{expr}}}: use scratch.catalog, scratch.schema, "
                        "scratch.schema_name or scratch.volume.NAME")


def resolve_vars(raw: Mapping[str, str], ctx: Context) -> tuple[dict[str, str], dict[str, str]]:
    """Render variables that may refer to env, run.id and each other (any order, no cycles).

    Returns (values, errors): every variable that failed is named with its own message, so the
    plan checker can report all of them at once.
    """
    resolved: dict[str, str] = {}
    errors: dict[str, str] = {}
    resolving: list[str] = []

    class Lazy(dict):
        def __contains__(self, key):
            return key in raw

        def __getitem__(self, key):
            if key in resolved:
                return resolved[key]
            if key in errors:
                raise TemplateError(f"${{var.{key}}} cannot be resolved")
            if key in resolving:
                raise TemplateError("variables refer to each other in a cycle: "
                                    + " -> ".join(resolving + [key]))
            resolving.append(key)
            try:
                resolved[key] = render(raw[key], Context(self, ctx.env, ctx.run_id, None,
                                                         ctx.used_secrets))
            finally:
                resolving.pop()
            return resolved[key]

    lazy = Lazy()
    for key in raw:
        try:
            lazy[key]
        except TemplateError as exc:
            errors.setdefault(key, str(exc))
    return resolved, errors
