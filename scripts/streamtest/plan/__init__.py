"""The plan file: load, template and check it whole before anything touches a workspace.

``load_plan`` is the only entry point: it returns a ``model.Plan`` or raises
``PlanInvalid`` carrying every problem as ``FILE:LINE: message``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping, Optional

from streamtest import templating
from streamtest.plan import model
from streamtest.plan.check import Checker, bundle_loader, load_job_file
from streamtest.plan.source import Problem, load_yaml, read_text

__all__ = ["PlanInvalid", "load_plan", "model"]


class PlanInvalid(Exception):
    """The plan cannot run; ``problems`` lists all of them, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line))
        super().__init__("\n".join(str(p) for p in self.problems))


def load_plan(path: Path | str, *, env: Mapping[str, str], run_id: str,
              overrides: Mapping[str, str] | None = None,
              workspace: Optional[Callable[[], object]] = None) -> model.Plan:
    """Read, template and check ``path``. ``overrides`` are --var values, taken literally (for
    the plan's vars and a bundle's variables alike); ``workspace`` gives the ``Workspace`` (made on first use) that
    answers a bundle's ``${workspace.current_user.*}`` and ``lookup`` variables, asked only if
    the bundle refers to them."""
    path = Path(path)
    shown = str(path)
    text, unreadable = read_text(path, shown, "the plan")
    if unreadable:
        raise PlanInvalid([unreadable])
    raw, locations, problems = load_yaml(text, shown)
    if problems:
        raise PlanInvalid(problems)
    ctx = templating.Context(vars={}, env=env, run_id=run_id)
    checker = Checker(path, locations, ctx)
    ctx.vars = _variables(raw, overrides or {}, checker)
    plan = checker.plan(raw, load_job_file, bundle_loader(overrides or {}, env, workspace))
    if checker.problems or plan is None:
        raise PlanInvalid(checker.problems or [Problem(shown, 1, "empty plan")])
    return plan


def _variables(raw, overrides: Mapping[str, str], checker: Checker) -> dict[str, str]:
    """vars: rendered in dependency order; --var values replace them and are not templated."""
    declared = raw.get("vars") if isinstance(raw, dict) else None
    declared = checker.mapping(declared, ("vars",), "vars")
    texts: dict[str, str] = {}
    for name, value in declared.items():
        if isinstance(value, (dict, list)):
            checker.problem(("vars", name), f"vars.{name} must be a scalar, not a {type(value).__name__}")
            continue
        texts[str(name)] = "" if value is None else (
            ("true" if value else "false") if isinstance(value, bool) else str(value))
    literal = {name: value.replace("$", "$$") for name, value in overrides.items()}
    texts.update(literal)
    values, errors = templating.resolve_vars(texts, checker.ctx)
    for name, message in errors.items():
        checker.problem(("vars", name), message)
    return values
