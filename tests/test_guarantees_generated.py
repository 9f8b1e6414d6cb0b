"""Generated plans (Hypothesis): whatever the plan file holds, ``check`` and ``run`` answer
with exit 0 or 2, never a traceback; exit 2 names the problem as ``FILE:LINE: message``; and
after exit 2 no request has reached the workspace (counted by localspace's request log).

Plans are the guarantee project's valid stream.yml mutated at a random place (a value of the
wrong type, a key taken away or added, a bad duration, odd Unicode, a huge value, deep
nesting), YAML with anchors, aliases, merge keys and tags spliced into it, and raw YAML text
made from YAML's own punctuation. The example count and seed come from the Hypothesis
profile (tests/conftest.py: "ci" is derandomized, so CI runs the same examples every time).
"""
from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guarantees_support import PROJECT, TOKEN, start_space
from streamtest.cli import main

VALID = yaml.safe_load((PROJECT / "stream.yml").read_text())

# -- what a mutation puts in ---------------------------------------------------------------------

ODD_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)  # YAML cannot hold lone surrogates
BAD_DURATIONS = st.sampled_from(["soon", "-1s", "0s", "1e400s", "5 parsecs", "1h 2", "∞", "NaNs", "10**9s",
                                 "99999999999999999999d", "1.5.2m", " ", "", "P1D", "1h-1s", "٣s", "1ｓ"])
HUGE = st.sampled_from([lambda: 10 ** 400, lambda: -(10 ** 400), lambda: 1e308, lambda: float("inf"),
                        lambda: float("nan"), lambda: "x" * 200_000, lambda: list(range(5000)),
                        lambda: {f"k{i}": i for i in range(2000)}]).map(lambda make: make())  # fresh: mutations change it
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), ODD_TEXT, BAD_DURATIONS, HUGE)


def nested(depth: int, leaf=None, kind: str = "list"):
    for _ in range(depth):
        leaf = [leaf] if kind == "list" else {"k": leaf}
    return leaf


VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=4),
    st.dictionaries(ODD_TEXT, SCALARS, max_size=4),
    st.builds(nested, st.integers(20, 250), SCALARS, st.sampled_from(["list", "map"])),
)


def paths(value, prefix=()):
    """Every place in a parsed plan: (path, the value there)."""
    yield prefix, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, prefix + (index,))


PLACES = [path for path, _ in paths(VALID) if path]


def at(document, path):
    for step in path:
        document = document[step]
    return document


@st.composite
def mutated_plans(draw) -> str:
    plan = yaml.safe_load(yaml.safe_dump(VALID))      # a fresh deep copy
    for _ in range(draw(st.integers(1, 3))):
        places = [p for p, _ in paths(plan) if p]
        path = draw(st.sampled_from(places))
        try:
            parent = at(plan, path[:-1])
        except (KeyError, IndexError, TypeError):
            continue
        how = draw(st.sampled_from(["replace", "delete", "add", "rename"]))
        key = path[-1]
        if how == "replace":
            parent[key] = draw(VALUES)
        elif how == "delete":
            del parent[key]
        elif how == "add" and isinstance(parent, dict):
            parent[draw(st.one_of(ODD_TEXT, st.integers(), st.booleans()))] = draw(VALUES)
        elif how == "add":
            parent.append(draw(VALUES))
        elif isinstance(parent, dict):
            parent[draw(ODD_TEXT)] = parent.pop(key)
    return yaml.safe_dump(plan, sort_keys=False, allow_unicode=draw(st.booleans()), width=10_000)


TAGS = ["!!python/object/apply:os.system ['touch pwned']", "!!python/name:os.system", "!!binary aGVsbG8=",
        "!!set {a, b}", "!!timestamp 2001-12-14t21:59:43.10-05:00", "!!str 3", "!!int '3'", "!!float 1e999",
        "!custom thing", "!!omap [a: 1]", "!<tag:yaml.org,2002:map> {}", "!!null ''", "!!bool yes"]


@st.composite
def yaml_with_anchors_and_tags(draw) -> str:
    """The valid plan's text with one line's value replaced by a tag, an alias or a merge."""
    lines = (PROJECT / "stream.yml").read_text().splitlines()
    spots = [i for i, line in enumerate(lines) if re.match(r"^\s*[\w-]+: \S", line)]
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.sampled_from(spots))
        key = lines[index].split(":", 1)[0]
        value = draw(st.one_of(
            st.sampled_from(TAGS),
            st.sampled_from(["*nowhere", "&a 1", "&a [*a]", "{<<: *a}", "&b {x: 1}", "{<<: [1, 2]}", "*b",
                             "&a &b 1", "! x", "!!map [1]", "[&x 1, *x, *x]", "{? [a]: 1}", "|\n  block",
                             "'unclosed", "\"\\uD800\"", "\"\\x00\"", "@reserved", "`tick", "%YAML 1.1"])))
        lines[index] = f"{key}: {value}"
    if draw(st.booleans()):
        lines.insert(0, "defaults: &defaults {start: {timeout: 5s}}")
        lines.append("<<: *defaults")
    return "\n".join(lines) + "\n"


YAML_PIECES = st.sampled_from(["version: 1\n", "name: x\n", "job:\n", "  tasks:\n", "  - ", "- ", ": ", "? ",
                               "&a ", "*a ", "!!str ", "!t ", "{", "}", "[", "]", ",", "'", '"', "|\n", ">\n",
                               "#", "---\n", "...\n", "%TAG ! tag:x,2000:\n", "\t", "  ", "\n", "~", "null",
                               "1e9999", "-", "iterations:\n", "within: 3s\n", "expect: ", "<<: *a\n"])
RAW_YAML = st.one_of(st.lists(st.one_of(YAML_PIECES, ODD_TEXT), max_size=30).map("".join),
                     st.text(max_size=200))

PLANS = st.one_of(mutated_plans(), yaml_with_anchors_and_tags(), RAW_YAML)

# -- running the runner ---------------------------------------------------------------------------

FILE_LINE = r"^{}:\d+: \S"


def call(argv: list[str], env: dict) -> tuple[int, str]:
    """``streamtest ARGV`` in this process; an exception escaping main() fails the test as the
    traceback a user would see."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv, env=env)
    return code, err.getvalue()


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    server = start_space(tmp_path_factory.mktemp("generated") / "space")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The plan is written beside the project's notebooks and data, as a user's would be."""
    target = tmp_path_factory.mktemp("generated-project") / "project"
    shutil.copytree(PROJECT, target)
    return target


def judge(plan: Path, space, folder: Path, text: str) -> None:
    plan.write_text(text, encoding="utf-8", errors="surrogatepass")
    env = {"DATABRICKS_HOST": space.url, "DATABRICKS_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"}
    code, err = call(["check", "-c", str(plan), "--run-id", "gen_1"], env)
    assert code in (0, 2), f"check exited {code}:\n{err}"
    assert "Traceback" not in err, err
    if code == 0:
        return
    assert re.search(FILE_LINE.format(re.escape(str(plan))), err, re.M), f"no {plan}:LINE: in\n{err}"
    before = len(space.request_log)
    state = folder / "state.json"
    code, err = call(["run", "-c", str(plan), "--run-id", "gen_1", "--state", str(state)], env)
    assert code == 2, f"check refused the plan but run exited {code}:\n{err}"
    assert "Traceback" not in err, err
    assert re.search(FILE_LINE.format(re.escape(str(plan))), err, re.M), err
    assert space.request_log[before:] == [], "a request reached the workspace after exit 2"
    assert not state.exists()
    assert not (folder / "pwned").exists()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(text=PLANS)
def test_a_generated_plan_is_accepted_or_refused_with_file_and_line(text, space, folder):
    judge(folder / "generated.yml", space, folder, text)


def test_the_unmutated_plan_passes_check(space, folder):
    """The generator's starting point is valid, so a mutation is what makes a plan bad."""
    code, err = call(["check", "-c", str(folder / "stream.yml"), "--run-id", "gen_1"],
                     {"DATABRICKS_HOST": space.url, "DATABRICKS_TOKEN": TOKEN})
    assert code == 0, err


@pytest.mark.parametrize("text", ["version: 1\njob: !!python/object/apply:os.system ['touch pwned']\n",
                                  "a: &a [*a]\n", "version: 1\nname: [" * 3000 + "\n", "\t- x\n",
                                  "version: 1\nstart: {timeout: 1e400s}\n", "\x1f",
                                  (PROJECT / "stream.yml").read_text().replace("version: 1", "version: !!python/name:os.system"),
                                  (PROJECT / "stream.yml").read_text().replace("  tasks:\n", "  tasks: true\n  was:\n"),
                                  (PROJECT / "stream.yml").read_text().replace("from: notebooks", "from: " + "1" * 300),
                                  (PROJECT / "stream.yml").read_text().replace("timeout: 10s", "timeout: 1" + "0" * 400)],
                         ids=["python-tag", "self-alias", "deep-flow", "tab", "huge-duration", "control-char",
                              "python-name-tag", "tasks-not-a-list", "folder-name-too-long", "int-past-float"])
def test_inputs_generation_found_hard(text, space, folder):
    judge(folder / "hard.yml", space, folder, text)
