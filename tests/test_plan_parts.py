"""Offline parts of the plan: durations, templating, loading, checking, ``streamtest check``."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from streamtest import redaction
from streamtest.cli import main
from streamtest.durations import DurationError, format_duration, parse_duration
from streamtest.plan import PlanInvalid, load_plan
from streamtest.plan.model import UNSET
from streamtest.templating import Context, TemplateError, render

FIXTURE = Path(__file__).parent / "fixtures" / "stream" / "streamtest.yml"


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("2m", 120), ("1h", 3600), (45, 45), ("30", 30),
                                           ("1.5s", 1.5), ("1h30m", 5400), ("250ms", 0.25), (0, 0)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5 min", "m", "-3s", -1, True, None, "2x", "1h 30m", [1]])
def test_bad_durations(text):
    with pytest.raises(DurationError):
        parse_duration(text)


def test_format_duration():
    assert [format_duration(s) for s in (0.25, 12.34, 245, 3725)] == ["250ms", "12.3s", "4m05s", "1h02m"]


def ctx(**env):
    return Context(vars={"env": "dev", "root": "/Shared/x"}, env=env, run_id="42_1")


@pytest.mark.parametrize("text, out", [
    ("${var.env}.sbit", "dev.sbit"), ("${run.id}", "42_1"), ("$${var.env}", "${var.env}"),
    ("cost $$5", "cost $5"), ("$HOME stays", "$HOME stays"), ("${env.A}", "a"), ("${env.B:-dflt}", "dflt"),
    ("${env.A:-dflt}", "a"), ("${env.EMPTY:-dflt}", "dflt"), ("${env.EMPTY}", ""), ("${ var.env }", "dev"),
])
def test_templating(text, out):
    assert render(text, ctx(A="a", EMPTY="")) == out


@pytest.mark.parametrize("text, message", [
    ("${env.MISSING}", "is not set and has no default"), ("${var.nope}", "is not defined"),
    ("${iteration.name}", "only defined inside iterations"), ("${1+1}", "unknown reference"),
    ("${env.A:=x}", "unknown reference"), ("${run.attempt}", "unknown reference"),
])
def test_templating_errors(text, message):
    with pytest.raises(TemplateError) as info:
        render(text, ctx(A="a"))
    assert message in str(info.value)


def test_iteration_context():
    c = ctx().with_iteration(2, "payload 2")
    assert render("${iteration.number}/${iteration.name}", c) == "2/payload 2"


def write(tmp_path: Path, text: str, name="streamtest.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_fixture_plan_resolves_everything():
    plan = load_plan(FIXTURE, env={}, run_id="7_1")
    assert plan.vars["landing"] == "/Volumes/main/st_7_1/landing"
    assert plan.job["tasks"][0]["notebook_task"]["notebook_path"] == "/Workspace/Shared/streamtest/7_1/run"
    assert plan.compute.warehouse_id == "localspace"
    assert [it.name for it in plan.iterations] == ["payload 1", "payload 2"]
    check = plan.iterations[1].validate[1]
    assert check.expect == [[1], [2], [3], [4], [5]] and check.rows == 5 and check.within is None
    assert plan.iterations[0].validate[0].within == 20
    assert plan.setup[0].expect == 0 and plan.setup[0].rows is UNSET
    assert plan.start_timeout == 30 and plan.cleanup.timeout == 300


def test_var_overrides_are_literal(tmp_path):
    path = write(tmp_path, """
        vars: {env: dev, schema: "${var.env}_s"}
        job: {name: "j-${var.schema}", tasks: [{task_key: a}]}
    """)
    plan = load_plan(path, env={}, run_id="r", overrides={"env": "prod", "new": "${x}"})
    assert plan.job["name"] == "j-prod_s"
    assert plan.vars["new"] == "${x}"


def test_iteration_templates_and_default_names(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.csv").write_text("x")
    path = write(tmp_path, """
        compute: {warehouse_id: w}
        job: {tasks: [{task_key: a}]}
        iterations:
          - name: first
            produce: [{upload: d, to: "/Volumes/c/s/v/${iteration.number}"}]
            validate:
              - sql: "SELECT '${iteration.name}'"
                expect: {">=": "${iteration.number}", "<": 10}
          - produce: [{sleep: 2m}]
    """)
    plan = load_plan(path, env={}, run_id="r")
    first, second = plan.iterations
    assert first.produce[0].to == "/Volumes/c/s/v/1"
    assert first.validate[0].sql == "SELECT 'first'"
    assert first.validate[0].expect == {">=": "1", "<": 10}
    assert second.name == "iteration 2" and second.produce[0].name == "sleep 2m00s"
    assert plan.job["name"] == "streamtest-r"


def test_job_file_is_templated_and_located(tmp_path):
    write(tmp_path, """
        name: from-file-${run.id}
        tasks:
          - task_key: a
            notebook_task: {notebook_path: "${var.root}/run"}
          - notebook_task: {notebook_path: "${var.nope}"}
    """, "job.yml")
    path = write(tmp_path, """
        vars: {root: /Shared/x}
        job: {file: job.yml}
    """)
    with pytest.raises(PlanInvalid) as info:
        load_plan(path, env={}, run_id="r")
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path / 'job.yml'}:6: ${{var.nope}} is not defined (add it under vars: or pass --var nope=...)",
        f"{tmp_path / 'job.yml'}:6: every task needs a task_key"]
    (tmp_path / "job.yml").write_text("\n".join((tmp_path / "job.yml").read_text().splitlines()[:5]))
    plan = load_plan(path, env={}, run_id="r")
    assert plan.job["name"] == "from-file-r"
    assert plan.job["tasks"][0]["notebook_task"]["notebook_path"] == "/Shared/x/run"


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, """
        version: 1
        mode: fast
        job: {tasks: [{task_key: a}]}
        start: {timeout: soon}
        setup:
          - sql: SELECT 1
          - {}
        iterations:
          - name: x
            validate: [{notebook: /a, rows: 1}]
    """)
    with pytest.raises(PlanInvalid) as info:
        load_plan(path, env={}, run_id="r")
    lines = [p.line for p in info.value.problems]
    assert lines == sorted(lines)
    assert lines == [3, 5, 7, 8, 11]
    assert all(str(p).startswith(f"{path}:{p.line}: ") for p in info.value.problems)


def test_check_prints_resolved_plan_without_secrets(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MY_API_TOKEN", "super-secret-value-123")
    monkeypatch.setenv("PLAIN_SETTING", "visible-value")
    path = write(tmp_path, """
        vars: {token: "${env.MY_API_TOKEN}", plain: "${env.PLAIN_SETTING}"}
        job:
          tasks: [{task_key: a, notebook_task: {notebook_path: /x, base_parameters: {t: "${var.token}"}}}]
    """)
    redaction.forget_all()
    assert main(["check", "-c", str(path), "--run-id", "r1"]) == 0
    out = capsys.readouterr().out
    assert "super-secret-value-123" not in out
    resolved = yaml.safe_load(out)
    assert resolved["vars"] == {"token": "***", "plain": "visible-value"}
    assert resolved["job"]["tasks"][0]["notebook_task"]["base_parameters"]["t"] == "***"
    assert resolved["run_id"] == "r1"


@pytest.mark.parametrize("argv", [["check", "-c", "x.yml", "--var", "novalue"],
                                  ["check", "-c", "x.yml", "--run-id", "has-hyphen"],
                                  ["check", "-c", "/no/such/plan.yml"]])
def test_bad_arguments_exit_2(argv, capsys):
    assert main(argv) == 2


def test_missing_host_is_a_usage_error(tmp_path, capsys, monkeypatch):
    for name in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run", "-c", str(FIXTURE), "--state", str(tmp_path / "s.json")]) == 2
    assert "DATABRICKS_HOST is not set" in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("host, ok", [("https://adb-1.azuredatabricks.net/", "https://adb-1.azuredatabricks.net"),
                                      ("adb-1.cloud.databricks.com", "https://adb-1.cloud.databricks.com"),
                                      ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
                                      ("http://example.com", None), ("https://x.com/path", None),
                                      ("https://u:p@x.com", None), ("ftp://x.com", None)])
def test_host_validation(host, ok):
    from streamtest.config import ConfigError, normalize_host
    if ok:
        assert normalize_host(host) == ok
    else:
        with pytest.raises(ConfigError):
            normalize_host(host)


def test_auth_selection():
    from streamtest.config import ConfigError, from_env
    host = {"DATABRICKS_HOST": "https://x.cloud.databricks.com"}
    assert from_env({**host, "DATABRICKS_TOKEN": "dapi123456"}).auth_type == "pat"
    m2m = from_env({**host, "DATABRICKS_CLIENT_ID": "c", "DATABRICKS_CLIENT_SECRET": "s3cr3t-value"})
    assert m2m.auth_type == "oauth-m2m" and "s3cr3t" not in repr(m2m)
    oidc = from_env({**host, "DATABRICKS_AUTH_TYPE": "github-oidc", "DATABRICKS_CLIENT_ID": "c",
                     "ACTIONS_ID_TOKEN_REQUEST_URL": "https://gh/x?a=1", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t0ken12"})
    assert oidc.auth_type == "github-oidc"
    with pytest.raises(ConfigError, match="id-token: write"):
        from_env({**host, "DATABRICKS_AUTH_TYPE": "github-oidc", "DATABRICKS_CLIENT_ID": "c"})
    with pytest.raises(ConfigError, match="no credentials"):
        from_env(host)


@pytest.mark.parametrize("host, meant", [
    ("127.0.0.1:8000", "http://127.0.0.1:8000"), ("localhost:8000", "http://localhost:8000"),
    ("htp://127.0.0.1:8000", "http://127.0.0.1:8000"), ("http:/127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("http//127.0.0.1:8000", "http://127.0.0.1:8000"), ("https:adb-1.cloud.databricks.com", "https://adb-1.cloud.databricks.com"),
    ("htps://user:hunter22@adb-1.cloud.databricks.com", "https://adb-1.cloud.databricks.com"),
])
def test_a_missing_or_mistyped_scheme_names_the_url_meant(host, meant):
    from streamtest.config import SchemeError, normalize_host
    with pytest.raises(SchemeError) as info:
        normalize_host(host)
    assert str(info.value).endswith(f"set DATABRICKS_HOST={meant}") and "hunter22" not in str(info.value)


def test_scratch_names_resolve_everywhere_after_it(tmp_path):
    path = write(tmp_path, """
        vars: {prefix: sbit}
        scratch: {catalog: Dev, schema: "${var.prefix}_${run.id}", volumes: [landing, Checkpoints]}
        compute: {warehouse_id: w}
        job:
          tasks:
            - task_key: a
              notebook_task:
                notebook_path: /Shared/x/run
                base_parameters: {schema: "${scratch.schema}", cp: "${scratch.volume.checkpoints}"}
        iterations:
          - produce: [{sleep: 1s, name: "in ${scratch.catalog} #${iteration.number}"}]
        teardown:
          - sql: DROP TABLE IF EXISTS ${scratch.schema}.gold
    """)
    plan = load_plan(path, env={}, run_id="R_7")
    assert plan.scratch.full_name == "dev.sbit_r_7" and plan.scratch.volumes == ("landing", "checkpoints")
    assert plan.job["tasks"][0]["notebook_task"]["base_parameters"] == {
        "schema": "dev.sbit_r_7", "cp": "/Volumes/dev/sbit_r_7/checkpoints"}
    assert plan.iterations[0].produce[0].name == "in dev #1"
    assert plan.teardown[0].sql == "DROP TABLE IF EXISTS dev.sbit_r_7.gold"


def test_a_bad_scratch_section_is_reported_once(tmp_path):
    path = write(tmp_path, """
        scratch: {catalog: dev, schema: "has space"}
        job: {tasks: [{task_key: a, notebook_task: {notebook_path: /x/y, base_parameters: {s: "${scratch.schema}"}}}]}
    """)
    with pytest.raises(PlanInvalid) as info:
        load_plan(path, env={}, run_id="r")
    assert [p.message for p in info.value.problems] == [
        "scratch.schema 'has space' is not a valid name: letters, digits and _, starting with a letter or _, "
        "at most 255 (it is used unquoted in SQL and in /Volumes paths)"]


def test_check_prints_the_scratch_namespace(tmp_path, capsys):
    path = write(tmp_path, """
        scratch: {catalog: dev, schema: "s_${run.id}", volumes: [landing]}
        job: {tasks: [{task_key: a}]}
        teardown: [{sleep: 1s}]
    """)
    assert main(["check", "-c", str(path), "--run-id", "c1"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["scratch"] == {"catalog": "dev", "schema": "dev.s_c1", "volumes": {"landing": "/Volumes/dev/s_c1/landing"}}
    assert printed["teardown"][0]["sleep"] == 1.0
