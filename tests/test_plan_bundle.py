"""``job: {bundle, resource, target}`` resolved offline, field by field, against what the
Databricks bundle docs say the tooling produces (settings, variables, deployment-modes,
job-task-override and cluster-override pages); the current user from localspace's SCIM Me."""
from __future__ import annotations

from pathlib import Path

import pytest

from streamtest import redaction
from streamtest.cli import main
from streamtest.databricks.workspace import User
from streamtest.plan import PlanInvalid, load_plan
from streamtest.plan.bundle_refs import short_name

BUNDLES = Path(__file__).parent / "fixtures" / "bundles"


def plan_for(tmp_path: Path, bundle: Path, resource: str, target: str = "", extra: str = "") -> Path:
    plan = tmp_path / "streamtest.yml"
    target_line = f", target: {target}" if target else ""
    plan.write_text(f"version: 1\njob: {{bundle: {bundle}, resource: {resource}{target_line}}}\n{extra}")
    return plan


def never_asked():
    raise AssertionError("the workspace was asked although nothing refers to it")


class Known:
    """A workspace whose answers are known (offline tests; localspace answers the same calls)."""

    def __init__(self, user: str):
        self.user = user

    def current_user(self) -> User:
        return User(self.user)


def load(plan: Path, overrides=None, env=None, current_user=never_asked):
    workspace = current_user if current_user in (None, never_asked) else (lambda: Known(current_user().user_name))
    return load_plan(plan, env=env or {}, run_id="r1", overrides=overrides or {}, workspace=workspace)


# -- a single-file bundle -----------------------------------------------------------------
def test_single_file_default_target(tmp_path):
    plan = load(plan_for(tmp_path, BUNDLES / "single" / "databricks.yml", "sbit_stream"))
    job = plan.job
    assert job["name"] == "sbit-stream-test-r1"          # ${bundle.target} of the default target, run id appended
    assert job["tags"] == {"team": "data"}               # no dev tag: test is not a development target
    assert "permissions" not in job                      # not JobSettings: the tooling applies it after create
    task = job["tasks"][0]
    assert task["notebook_task"]["notebook_path"] == "/Workspace/Shared/streamtest/r1/files/src/ingest"
    params = task["notebook_task"]["base_parameters"]
    assert params == {"catalog": "main", "schema": "sbit_test", "landing": "/Volumes/main/sbit_test/landing",
                      "files": "/Workspace/Shared/streamtest/r1/files/src"}
    assert plan.deploy.source == (BUNDLES / "single").resolve()        # no sync: the bundle's folder, whole
    assert plan.deploy.to == "/Workspace/Shared/streamtest/r1/files"    # ${workspace.file_path}
    assert [rel for _, rel in plan.deploy.files] == ["databricks.yml", "src/ingest.py", "streamtest.yml"]


def test_other_target_overrides_variables(tmp_path):
    params = load(plan_for(tmp_path, BUNDLES / "single" / "databricks.yml", "sbit_stream", "prod")) \
        .job["tasks"][0]["notebook_task"]["base_parameters"]
    assert (params["catalog"], params["schema"], params["landing"]) == ("prod", "sbit", "/Volumes/prod/sbit/landing")


def test_var_beats_environment_beats_target(tmp_path):
    plan = plan_for(tmp_path, BUNDLES / "single" / "databricks.yml", "sbit_stream")
    env = {"BUNDLE_VAR_schema": "from_env", "BUNDLE_VAR_catalog": "env_catalog"}
    params = load(plan, overrides={"schema": "from_cli"}, env=env).job["tasks"][0]["notebook_task"]["base_parameters"]
    assert params["schema"] == "from_cli" and params["catalog"] == "env_catalog"


def test_deploy_to_is_the_runs_root_path(tmp_path):
    plan = load(plan_for(tmp_path, BUNDLES / "single" / "databricks.yml", "sbit_stream",
                         extra="deploy:\n  to: /Workspace/Shared/ci/${run.id}\n"))
    assert plan.deploy.to == "/Workspace/Shared/ci/r1/files"
    assert plan.job["tasks"][0]["notebook_task"]["notebook_path"] == "/Workspace/Shared/ci/r1/files/src/ingest"


# -- included resource files, task overrides, complex variables ---------------------------
def test_included_file_and_target_overrides(tmp_path):
    job = load(plan_for(tmp_path, BUNDLES / "included" / "databricks.yml", "orders_stream", "test")).job
    stream, helper = job["tasks"]
    assert stream["task_key"] == "stream" and stream["max_retries"] == 0          # merged by task_key
    assert stream["notebook_task"]["base_parameters"] == {"env": "ci", "warehouse": "test-wh", "mode": "test"}
    # ../src from resources/orders.job.yml: relative to the file that holds it, under file_path
    assert stream["notebook_task"]["notebook_path"] == "/Workspace/Shared/streamtest/r1/files/src/stream/run"
    assert helper["spark_python_task"]["python_file"] == "/Workspace/Shared/streamtest/r1/files/src/stream/helpers.py"
    assert job["job_clusters"][0]["new_cluster"] == {"spark_version": "15.4.x-scala2.12", "node_type_id": "m5.large",
                                                     "num_workers": 2}  # the target's complex value
    assert job["tags"] == {"cost_center": "ci"}                                     # presets.tags
    assert job["continuous"] == {} and job["max_concurrent_runs"] == 1             # not a development target


def test_development_mode_prefix_tag_and_paused_triggers(tmp_path):
    plan = load(plan_for(tmp_path, BUNDLES / "included" / "databricks.yml", "orders_stream", "dev"),
                current_user=lambda: User("jane.doe@example.com"))
    job = plan.job
    assert job["name"] == "[dev jane_doe] orders-stream-r1"
    assert job["tags"] == {"dev": "jane_doe"}
    assert job["continuous"] == {"pause_status": "PAUSED"}
    assert job["max_concurrent_runs"] == 1            # an explicit 1 keeps runs one at a time
    assert job["job_clusters"][0]["new_cluster"]["node_type_id"] == "i3.xlarge"   # the complex default
    assert job["tasks"][0]["notebook_task"]["base_parameters"]["warehouse"] == "dev-wh"


def test_development_mode_without_a_workspace_is_a_plan_error(tmp_path):
    with pytest.raises(PlanInvalid) as raised:
        load(plan_for(tmp_path, BUNDLES / "included" / "databricks.yml", "orders_stream", "dev"), current_user=None)
    assert any("needs the workspace's current user" in p.message and p.file.endswith("databricks.yml")
               for p in raised.value.problems)


def test_plan_templating_never_reads_bundle_syntax(tmp_path):
    bundle = tmp_path / "b" / "databricks.yml"
    bundle.parent.mkdir()
    bundle.write_text("bundle: {name: b}\nresources:\n  jobs:\n    j:\n      description: ${env.HOME}\n"
                      "      tasks: [{task_key: t, notebook_task: {notebook_path: /Workspace/nb}}]\n")
    with pytest.raises(PlanInvalid) as raised:
        load(plan_for(tmp_path, bundle, "j"), env={"HOME": "/root"})
    [problem] = raised.value.problems
    assert (problem.file, problem.line) == (str(bundle), 5) and "unknown bundle reference ${env.HOME}" in problem.message


def test_target_adds_a_task_after_the_others(tmp_path):
    bundle = tmp_path / "b" / "databricks.yml"
    bundle.parent.mkdir()
    bundle.write_text("bundle: {name: b}\nresources:\n  jobs:\n    j:\n"
                      "      tasks: [{task_key: a, notebook_task: {notebook_path: /Workspace/a}}]\n"
                      "targets:\n  t:\n    resources:\n      jobs:\n        j:\n"
                      "          tasks: [{task_key: b, notebook_task: {notebook_path: /Workspace/b}}]\n")
    job = load(plan_for(tmp_path, bundle, "j", "t")).job
    assert [t["task_key"] for t in job["tasks"]] == ["a", "b"]
    assert job["name"] == "j-r1"                      # no name: the resource key, as the tooling names it


@pytest.mark.parametrize("user, display, short", [
    ("jane.doe@example.com", "Jane Doe", "jane_doe"), ("sp-1234", "", "sp_1234"), ("élodie+ci@x.io", "", "élodie_ci"),
    ("Jane.Doe@example.com", "", "jane_doe"), (".test//test..test@x", "", "test_test_test"),   # lower, runs of _
    ("6f1c2a3b-0000-4000-8000-00000000abcd", "ci-deployer", "ci_deployer")])   # a service principal: its display name
def test_short_name(user, display, short):
    assert short_name(user, display) == short


# -- the current user from the workspace ----------------------------------------------------
def test_localspace_answers_scim_me(localspace, workspace_env):
    import requests
    reply = requests.get(f"{localspace.url}/api/2.0/preview/scim/v2/Me",
                         headers={"Authorization": f"Bearer {workspace_env['DATABRICKS_TOKEN']}"}, timeout=10)
    assert reply.status_code == 200
    me = reply.json()
    assert me["userName"] == "localspace-user@example.com" and me["id"] and me["active"] is True
    assert requests.get(f"{localspace.url}/api/2.0/preview/scim/v2/Me", timeout=10).status_code == 401


def test_check_asks_the_workspace_for_the_current_user(localspace, workspace_env, tmp_path, capsys):
    plan = plan_for(tmp_path, BUNDLES / "included" / "databricks.yml", "orders_stream", "dev")
    assert main(["check", "-c", str(plan), "--run-id", "r1"]) == 0
    out = capsys.readouterr().out
    assert "name: '[dev localspace_user] orders-stream-r1'" in out
    assert f"job_from:\n  bundle: {BUNDLES / 'included' / 'databricks.yml'}\n  resource: orders_stream\n  target: dev\n" in out
    assert [r[:2] for r in localspace.request_log] == [("GET", "/api/2.0/preview/scim/v2/Me")]


def test_check_without_reference_makes_no_call(localspace, workspace_env, tmp_path, capsys):
    plan = plan_for(tmp_path, BUNDLES / "single" / "databricks.yml", "sbit_stream")
    assert main(["check", "-c", str(plan), "--run-id", "r1"]) == 0
    assert localspace.request_log == []


# -- a project shaped like the default-python template ------------------------------------
def test_template_dev_target(tmp_path):
    job = load(plan_for(tmp_path, BUNDLES / "template" / "databricks.yml", "my_project_job"),
               current_user=lambda: User("sam@example.com")).job
    assert job["name"] == "[dev sam] my_project_job-r1"
    assert job["tags"] == {"dev": "sam"}
    assert job["trigger"] == {"periodic": {"interval": 1, "unit": "DAYS"}, "pause_status": "PAUSED"}
    assert job["email_notifications"] == {"on_failure": ["sam@example.com"]}
    assert job["parameters"] == [{"name": "catalog", "default": "main"}]
    assert job["max_concurrent_runs"] == 4
    assert job["tasks"][0]["notebook_task"]["notebook_path"] == "/Workspace/Shared/streamtest/r1/files/src/notebook"
    assert "run_as" not in job


def test_template_prod_target(tmp_path):
    job = load(plan_for(tmp_path, BUNDLES / "template" / "databricks.yml", "my_project_job", "prod"),
               current_user=lambda: User("sam@example.com")).job
    assert job["name"] == "my_project_job-r1" and "tags" not in job
    assert "pause_status" not in job["trigger"] and "max_concurrent_runs" not in job
    assert job["parameters"] == [{"name": "catalog", "default": "prod"}]
    assert job["run_as"] == {"service_principal_name": "6f1c-sp"}
    assert "permissions" not in job


def test_target_lists_are_concatenated_and_parameters_merge_by_name(tmp_path):
    bundle = tmp_path / "b" / "databricks.yml"
    bundle.parent.mkdir()
    bundle.write_text("bundle: {name: b}\nresources:\n  jobs:\n    j:\n"
                      "      parameters: [{name: catalog, default: main}, {name: keep, default: x}]\n"
                      "      email_notifications: {on_failure: [a@example.com]}\n"
                      "      tasks: [{task_key: a, notebook_task: {notebook_path: /Workspace/a}}]\n"
                      "targets:\n  t:\n    resources:\n      jobs:\n        j:\n"
                      "          parameters: [{name: catalog, default: ci}]\n"
                      "          email_notifications: {on_failure: [b@example.com]}\n"
                      "          tazks: 1\n")
    with pytest.raises(PlanInvalid) as raised:
        load(plan_for(tmp_path, bundle, "j", "t"))
    [problem] = raised.value.problems                 # the typo is reported where the target wrote it
    assert (problem.file, problem.line) == (str(bundle), 15) and "unknown key 'tazks'" in problem.message
    bundle.write_text(bundle.read_text().replace("          tazks: 1\n", ""))
    job = load(plan_for(tmp_path, bundle, "j", "t")).job
    assert job["parameters"] == [{"name": "catalog", "default": "ci"}, {"name": "keep", "default": "x"}]
    assert job["email_notifications"] == {"on_failure": ["a@example.com", "b@example.com"]}


def test_step_notebook_outside_the_deployed_folder_is_a_plan_error(tmp_path):
    plan = plan_for(tmp_path, BUNDLES / "single" / "databricks.yml", "sbit_stream",
                    extra="after:\n  - notebook: /Workspace/Shared/streamtest/r1/files/tests/validate\n")
    with pytest.raises(PlanInvalid) as raised:
        load(plan)
    [problem] = raised.value.problems
    assert (problem.file, problem.line) == (str(plan), 4) and "deploys no such notebook" in problem.message


def test_secret_looking_bundle_variable_is_elided_from_check(tmp_path, capsys, monkeypatch):
    bundle = tmp_path / "b" / "databricks.yml"
    bundle.parent.mkdir()
    bundle.write_text("bundle: {name: b}\nvariables:\n  api_token: {}\nresources:\n  jobs:\n    j:\n"
                      "      tasks: [{task_key: t, notebook_task: {notebook_path: /Workspace/nb,"
                      " base_parameters: {token: '${var.api_token}'}}}]\n")
    plan = plan_for(tmp_path, bundle, "j")
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    try:
        assert main(["check", "-c", str(plan)], env={"BUNDLE_VAR_api_token": "s3cr3t-value-123"}) == 0
    finally:
        captured = capsys.readouterr()
        redaction.forget_all()
    assert "s3cr3t-value-123" not in captured.out + captured.err and "token: '***'" in captured.out


def test_the_only_target_is_the_default(tmp_path):
    bundle = tmp_path / "b" / "databricks.yml"
    bundle.parent.mkdir()
    bundle.write_text("bundle: {name: b}\nresources:\n  jobs:\n    j:\n      name: j-${bundle.target}\n"
                      "      tasks: [{task_key: t, notebook_task: {notebook_path: /Workspace/nb}}]\n"
                      "targets:\n  staging:\n    workspace: {host: https://example.cloud.databricks.com}\n")
    assert load(plan_for(tmp_path, bundle, "j")).job["name"] == "j-staging-r1"


def test_jupyter_notebook_path_loses_its_extension(tmp_path):
    plan = load(plan_for(tmp_path, BUNDLES / "jupyter" / "databricks.yml", "explore"))
    assert plan.job["tasks"][0]["notebook_task"]["notebook_path"] == "/Workspace/Shared/streamtest/r1/files/src/explore"
    assert ("src/explore.ipynb" in [rel for _, rel in plan.deploy.files])


LOOKUP_BUNDLE = """\
bundle: {name: b}
variables:
  cluster_id:
    lookup: {cluster: localspace-all-purpose}
  warehouse_id:
    lookup: {warehouse: "${var.warehouse_name}"}
  warehouse_name: {default: localspace}
resources:
  jobs:
    j:
      tasks:
        - task_key: t
          existing_cluster_id: ${var.cluster_id}
          notebook_task: {notebook_path: /Workspace/nb, warehouse_id: "${var.warehouse_id}"}
"""


def test_lookups_are_asked_of_the_workspace(localspace, workspace_env, tmp_path, capsys):
    bundle = tmp_path / "b" / "databricks.yml"
    bundle.parent.mkdir()
    bundle.write_text(LOOKUP_BUNDLE)
    assert main(["check", "-c", str(plan_for(tmp_path, bundle, "j")), "--run-id", "r1"]) == 0
    out = capsys.readouterr().out
    assert "existing_cluster_id: localspace-all-purpose" in out and "warehouse_id: localspace" in out
    assert {r[1] for r in localspace.request_log} == {"/api/2.1/clusters/list", "/api/2.0/sql/warehouses"}


def test_a_lookup_that_finds_nothing_is_a_plan_error(localspace, workspace_env, tmp_path, capsys):
    bundle = tmp_path / "b" / "databricks.yml"
    bundle.parent.mkdir()
    bundle.write_text(LOOKUP_BUNDLE.replace("{cluster: localspace-all-purpose}", "{cluster: nope}"))
    assert main(["check", "-c", str(plan_for(tmp_path, bundle, "j")), "--run-id", "r1"]) == 2
    err = capsys.readouterr().err
    assert f"{bundle}:13: variable 'cluster_id': the workspace has no cluster named 'nope'" in err


def test_parallel_runs_deploy_to_their_own_folders(tmp_path):
    plan = plan_for(tmp_path, BUNDLES / "single" / "databricks.yml", "sbit_stream")
    first, second = (load_plan(plan, env={}, run_id=run_id) for run_id in ("run_a", "run_b"))
    assert first.deploy.to == "/Workspace/Shared/streamtest/run_a/files"
    assert second.deploy.to == "/Workspace/Shared/streamtest/run_b/files"
    assert first.job["name"] != second.job["name"]


def test_development_cluster_id_runs_every_task_on_that_cluster(tmp_path):
    bundle = tmp_path / "b" / "databricks.yml"
    bundle.parent.mkdir()
    bundle.write_text("bundle: {name: b}\nresources:\n  jobs:\n    j:\n"
                      "      job_clusters: [{job_cluster_key: main, new_cluster: {num_workers: 1}}]\n"
                      "      tasks: [{task_key: t, job_cluster_key: main, notebook_task: {notebook_path: /Workspace/nb}}]\n"
                      "targets:\n  dev:\n    mode: development\n    cluster_id: 0101-abc\n"
                      "    presets: {name_prefix: 'ci '}\n")
    job = load(plan_for(tmp_path, bundle, "j", "dev"), current_user=lambda: User("sam@example.com")).job
    assert job["tasks"][0] == {"task_key": "t", "existing_cluster_id": "0101-abc",
                               "notebook_task": {"notebook_path": "/Workspace/nb"}}
    assert job["name"] == "ci j-r1"                   # presets.name_prefix replaces the dev prefix


# -- sync: which files are deployed, and where ---------------------------------------------
NOTEBOOK = "# Databricks notebook source\nprint(1)\n"
SYNC_JOB = """\
bundle: {{name: b}}
{sync}resources:
  jobs:
    j:
      tasks:
        - task_key: t
          notebook_task: {{notebook_path: {notebook}}}
"""


def repository(tmp_path: Path, sync: str, notebook: str = "src/run.py") -> Path:
    """A repository (a folder holding .git) with a shared folder beside the bundle's."""
    repo = tmp_path / "repo"
    for rel, text in {"common/lib.py": "X = 1\n", "my_bundle/src/run.py": NOTEBOOK,
                      "my_bundle/src/scratch.tmp": "draft\n", "my_bundle/data/big.csv": "a\n1\n",
                      "my_bundle/.gitignore": "*.tmp\n/data/\n", "unrelated/x.txt": "x\n"}.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    (repo / ".git").mkdir()
    bundle = repo / "my_bundle" / "databricks.yml"
    bundle.write_text(SYNC_JOB.format(sync=sync, notebook=notebook))
    return bundle


def deployed(plan) -> list[str]:
    return [rel for _, rel in plan.deploy.files]


def test_gitignored_files_are_not_deployed(tmp_path):
    plan = load(plan_for(tmp_path, repository(tmp_path, ""), "j"))
    assert deployed(plan) == ["databricks.yml", "src/run.py"]     # *.tmp and /data/ are in .gitignore
    assert plan.job["tasks"][0]["notebook_task"]["notebook_path"] == "/Workspace/Shared/streamtest/r1/files/src/run"


def test_sync_paths_above_the_bundle_move_the_sync_root(tmp_path):
    """settings docs ("sync", "paths"): ../common and . deploy as common/ and my_bundle/."""
    plan = load(plan_for(tmp_path, repository(tmp_path, "sync:\n  paths: [../common, .]\n"), "j"))
    assert plan.deploy.source == (tmp_path / "repo").resolve()
    assert deployed(plan) == ["common/lib.py", "my_bundle/databricks.yml", "my_bundle/src/run.py"]
    assert plan.job["tasks"][0]["notebook_task"]["notebook_path"] == \
        "/Workspace/Shared/streamtest/r1/files/my_bundle/src/run"


def test_sync_include_brings_back_and_exclude_leaves_out(tmp_path):
    sync = "sync:\n  include: [data/*.csv]\n  exclude: [databricks.yml]\n"
    plan = load(plan_for(tmp_path, repository(tmp_path, sync), "j"))
    assert deployed(plan) == ["data/big.csv", "src/run.py"]


def test_a_notebook_the_bundle_does_not_sync_is_a_plan_error(tmp_path):
    bundle = repository(tmp_path, "sync:\n  exclude: [src/]\n")
    with pytest.raises(PlanInvalid) as caught:
        load(plan_for(tmp_path, bundle, "j"))
    assert f"{bundle}:9: notebook_path 'src/run.py'" in str(caught.value)
    assert "is not among the files the bundle syncs" in str(caught.value)


@pytest.mark.parametrize("sync, line, message", [
    ("sync:\n  paths: [../../elsewhere]\n", 3, "outside"),
    ("sync:\n  paths: [missing]\n", 3, "no file or folder"),
    ("sync:\n  include: ['!src/x.py']\n", 3, "negated globs"),
    ("sync:\n  exlude: [x]\n", 3, "unknown key 'exlude' in sync"),
])
def test_sync_problems_are_reported_at_their_line(tmp_path, sync, line, message):
    bundle = repository(tmp_path, sync)
    with pytest.raises(PlanInvalid) as caught:
        load(plan_for(tmp_path, bundle, "j"))
    assert f"{bundle}:{line}: " in str(caught.value) and message in str(caught.value), str(caught.value)


def test_plan_variables_reach_the_bundle_and_var_still_wins(tmp_path):
    """job.variables: the plan's values (its templating, so ${scratch.schema} too) for bundle
    variables, as a CI script's --var; a --var on the command line wins over them."""
    extra = ("scratch: {catalog: main, schema: 's_${run.id}'}\n")
    plan = tmp_path / "streamtest.yml"
    plan.write_text(f"version: 1\njob:\n  bundle: {BUNDLES / 'single' / 'databricks.yml'}\n  resource: sbit_stream\n"
                    "  variables: {schema: '${scratch.schema}', catalog: plan_catalog}\n" + extra)
    params = load(plan).job["tasks"][0]["notebook_task"]["base_parameters"]
    assert (params["schema"], params["catalog"]) == ("main.s_r1", "plan_catalog")
    params = load(plan, overrides={"catalog": "cli"}).job["tasks"][0]["notebook_task"]["base_parameters"]
    assert params["catalog"] == "cli"


def test_a_plan_variable_the_bundle_does_not_declare_is_a_plan_error(tmp_path):
    plan = tmp_path / "streamtest.yml"
    plan.write_text(f"version: 1\njob:\n  bundle: {BUNDLES / 'single' / 'databricks.yml'}\n  resource: sbit_stream\n"
                    "  variables:\n    shema: x\n")
    with pytest.raises(PlanInvalid) as caught:
        load(plan)
    assert f"{plan}:6: job.variables: the bundle declares no variable 'shema'" in str(caught.value)


SBIT = Path(__file__).resolve().parents[1] / "examples" / "sbit"


def test_stream_plan_is_the_bundle_plan_with_the_job_written_out():
    """examples/sbit: streamtest.yml (what ``make demo`` runs) and streamtest-bundle.yml (what
    test_sbit_e2e runs end to end) differ only in where the job comes from and where its
    notebooks are deployed: the same job, scratch namespace, checks and expectations."""
    written = load_plan(SBIT / "streamtest.yml", env={}, run_id="r1")
    bundled = load_plan(SBIT / "streamtest-bundle.yml", env={}, run_id="r1")

    def checks(plan):
        steps = plan.setup + [step for it in plan.iterations for step in it.produce + it.validate]
        return [(s.kind, s.name, s.sql, s.expect, s.within, s.to, s.parameters, s.notebook.rsplit("/", 1)[-1])
                for s in steps]
    assert checks(bundled) == checks(written)
    scratch = [(p.scratch.catalog, p.scratch.schema, p.scratch.volumes) for p in (written, bundled)]
    assert scratch[0] == scratch[1] == ("dev", "sbit_r1", ("landing", "checkpoints"))
    assert bundled.job["name"] == written.job["name"] == "sbit-stream-r1"
    assert bundled.job["job_clusters"] == written.job["job_clusters"]
    task, written_task = bundled.job["tasks"][0]["notebook_task"], written.job["tasks"][0]["notebook_task"]
    assert task["base_parameters"] == written_task["base_parameters"]
    assert task["notebook_path"] == "/Workspace/Shared/streamtest/r1/files/notebooks/run"
    assert written_task["notebook_path"] == "/Workspace/Shared/streamtest/r1/run"


def test_the_repositorys_gitignore_applies_and_negation_re_includes(tmp_path):
    bundle = repository(tmp_path, "")
    (tmp_path / "repo" / ".gitignore").write_text("*.log\n!keep.log\n")        # above the bundle's folder
    for name in ("src/debug.log", "src/keep.log"):
        (bundle.parent / name).write_text("x\n")
    assert deployed(load(plan_for(tmp_path, bundle, "j"))) == ["databricks.yml", "src/keep.log", "src/run.py"]


# -- a pipeline from a bundle ---------------------------------------------------------------
def test_pipeline_from_a_bundle(tmp_path):
    """resources.pipelines: the library path relative to the YAML file re-rooted under the run's
    file_path, the target's variables substituted, the run id appended to the name."""
    plan = tmp_path / "streamtest.yml"
    plan.write_text(f"version: 1\npipeline: {{bundle: {BUNDLES / 'pipeline'}, resource: sbit_dlt, target: test}}\n")
    loaded = load(plan)
    assert loaded.under_test == "pipeline" and loaded.job == {}
    assert loaded.mode == "stream"                                  # continuous: true
    pipeline = loaded.pipeline
    assert pipeline["name"] == "sbit-dlt-test-r1"
    assert pipeline["catalog"] == "test_catalog" and pipeline["schema"] == "sbit_test"
    assert pipeline["libraries"] == [{"notebook": {"path": "/Workspace/Shared/streamtest/r1/files/src/sbit_dlt"}}]
    assert pipeline["configuration"] == {"landing": "/Volumes/test_catalog/sbit_test/landing"}
    assert loaded.deploy.source == (BUNDLES / "pipeline").resolve()     # the sync root: the bundle's folder
    assert "src/sbit_dlt.py" in [rel for _, rel in loaded.deploy.files]


def test_pipeline_resource_named_as_a_job(tmp_path, capsys):
    """A pipeline's key under job: says it is a pipeline, and which form takes it."""
    plan = tmp_path / "streamtest.yml"
    plan.write_text(f"version: 1\njob: {{bundle: {BUNDLES / 'pipeline'}, resource: sbit_dlt}}\n")
    assert main(["check", "-c", str(plan)]) == 2
    assert f"{plan}:2: job.resource: the bundle defines no job 'sbit_dlt' (it is a pipeline: use pipeline: " \
           "{bundle: ...})" in capsys.readouterr().err
