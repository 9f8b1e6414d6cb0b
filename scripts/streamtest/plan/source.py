"""YAML that remembers where every key and list item came from.

pyyaml's node tree knows line numbers but its constructed objects do not. We compose nodes
and build plain dicts/lists ourselves, recording ``path -> (file, line)`` for each mapping
key and sequence item, so every problem found later can be reported as ``FILE:LINE``.
Scalars are still built by pyyaml's safe constructor, so YAML typing (ints, bools, null)
is exactly what users know.

A plan is a few KB written by a person, so anything far from that is refused as a problem
rather than processed: files over ``MAX_BYTES``, text that is not UTF-8, nesting that
exhausts the parser, and aliases that expand past ``MAX_VALUES`` (a "billion laughs" YAML
bomb is 1 KB on disk and a billion values once expanded).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

Path_ = tuple  # ("iterations", 0, "validate", 1, "expect")
MAX_BYTES = 1024 * 1024
MAX_VALUES = 100_000


@dataclass
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Locations:
    """Where each path of a loaded document was written; nearest known ancestor otherwise."""

    file: str
    where: dict = field(default_factory=dict)

    def of(self, path: Path_) -> tuple[str, int]:
        path = tuple(path)
        while path:
            if path in self.where:
                return self.where[path]
            path = path[:-1]
        return self.where.get((), (self.file, 1))

    def graft(self, prefix: Path_, other: "Locations") -> None:
        """Take another file's locations (``job: {file: ...}``) under ``prefix``."""
        for path, place in other.where.items():
            self.where[tuple(prefix) + path] = place


class _TooLarge(Exception):
    """Aliases expand the document past MAX_VALUES."""


def read_text(path: Path, shown: str, what: str) -> tuple[Optional[str], Optional[Problem]]:
    """The UTF-8 text of ``path``, or the one problem that makes it unusable as YAML."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        return None, Problem(shown, 1, f"cannot read {what}: {exc.strerror or exc}")
    if len(data) > MAX_BYTES:
        return None, Problem(shown, 1, f"{what} is larger than {MAX_BYTES // 1024} KB; it cannot be a plan")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, Problem(shown, line, f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} "
                                          f"at offset {exc.start}); is it a binary file?")


def load_yaml(text: str, file: str) -> tuple[Any, Locations, list[Problem]]:
    """Parse ``text``; returns (data, locations, problems). Syntax errors become problems."""
    locations = Locations(file)
    problems: list[Problem] = []
    try:
        loader = yaml.SafeLoader(text)        # refuses unprintable characters at once
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(exc, text, file))
        return None, locations, problems
    try:
        node = loader.get_single_node()
        if node is None:
            return None, locations, problems
        locations.where[()] = (file, node.start_mark.line + 1)
        data = _build(node, (), loader, locations, problems, [MAX_VALUES])
        return data, locations, problems
    except yaml.YAMLError as exc:             # syntax, and tags no safe constructor knows
        problems.append(_yaml_problem(exc, text, file))
    except (_TooLarge, RecursionError):
        problems.append(Problem(file, 1, f"the YAML expands to more than {MAX_VALUES} values "
                                         "or nests too deeply (aliases used as a YAML bomb?)"))
    finally:
        loader.dispose()
    return None, locations, problems


def _yaml_problem(exc: yaml.YAMLError, text: str, file: str) -> Problem:
    """A YAML error as FILE:LINE: the line its mark (or its reader position) points at."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[:exc.position].count("\n") + 1
        return Problem(file, line, f"the plan holds a character YAML does not allow "
                                   f"(U+{exc.character:04X} at line {line}); is it a binary file?")
    if isinstance(exc, yaml.constructor.ConstructorError) and exc.problem_mark:
        return Problem(file, exc.problem_mark.line + 1,
                       f"YAML tag not supported here: {exc.problem}; plans hold plain values only")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return Problem(file, 1, f"YAML error: {exc}")
    line = mark.line + 1
    return Problem(file, line, f"YAML syntax error: {getattr(exc, 'problem', None) or exc}; "
                               f"{indentation_hint(text, line)}")


def load_file(path: Path, what: str, problems: list[Problem]) -> tuple[Any, Optional[Locations]]:
    """Read and parse one YAML file named by a plan (a job file, a bundle file); its problems
    are added to ``problems`` with its own lines. (None, None) when it cannot be read at all."""
    text, unreadable = read_text(path, str(path), what)
    if unreadable:
        problems.append(unreadable)
        return None, None
    data, locations, found = load_yaml(text, str(path))
    problems.extend(found)
    return (None if found else data), locations


def indentation_hint(text: str, line: int) -> str:
    """Most YAML syntax errors in a hand-written plan are indentation: say what to look at."""
    lines = text.splitlines()
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in shown[: len(shown) - len(shown.lstrip())]:
        return f"line {line} is indented with a tab; YAML needs spaces"
    hint = (f"check the indentation of line {line} against the lines above it: keys of one mapping "
            "start in the same column, a list item is '- ' one level in, and a value needs quotes when "
            "it contains ': ', starts with '{', '[', '*' or '&', or holds ${...} inside a {...} mapping")
    return hint + (f" (line {line}: {shown.strip()[:60]!r})" if shown.strip() else "")


def _build(node, path, loader, locations: Locations, problems: list[Problem], budget: list[int]):
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooLarge()
    file = locations.file
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(Problem(file, line, "only plain keys are supported (no merge keys or complex keys)"))
                continue
            key = loader.construct_object(key_node)
            if key is None or isinstance(key, (bool, float)):
                key = key_node.value  # 'on:', 'null:' and '1.0:' mean the text the user wrote
            if isinstance(key, int):
                key = str(key)
            if key in out:
                problems.append(Problem(file, line, f"duplicate key '{key}'"))
                continue
            locations.where[path + (key,)] = (file, line)
            out[key] = _build(value_node, path + (key,), loader, locations, problems, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            locations.where[path + (index,)] = (file, item.start_mark.line + 1)
            items.append(_build(item, path + (index,), loader, locations, problems, budget))
        return items
    return loader.construct_object(node, deep=True)
