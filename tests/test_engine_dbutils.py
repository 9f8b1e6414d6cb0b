"""dbutils as notebooks see it: widgets, notebook.exit, fs over the root, secrets."""
from __future__ import annotations

import re

import pytest

from localspace.engine.dbutils import (DBUtils, InputWidgetNotDefined, NotebookExit,
                                       NotSupportedOnLocalspace, SecretNotFound)
from localspace.engine.fileopen import mapped_open
from localspace.paths import Paths
from localspace.unity import models as unity


@pytest.fixture
def paths(tmp_path):
    """A root with the volume dev.sbit.landing (writes under /Volumes need their volume)."""
    paths = Paths(tmp_path / "root")
    unity.volume_dir(paths, "dev", "sbit", "landing").mkdir(parents=True)
    return paths


def test_widgets_parameters_win_over_defaults(paths):
    dbutils = DBUtils(paths, {"env": "ci", "extra": "1"})
    dbutils.widgets.text("env", "dev")
    dbutils.widgets.dropdown("mode", "stream", ["stream", "batch"])
    assert dbutils.widgets.get("env") == "ci"
    assert dbutils.widgets.get("mode") == "stream"
    assert dbutils.widgets.get("extra") == "1"  # job parameters need no declaration
    assert dbutils.widgets.getAll() == {"env": "ci", "mode": "stream", "extra": "1"}
    with pytest.raises(InputWidgetNotDefined, match="No input widget named nope is defined"):
        dbutils.widgets.get("nope")
    with pytest.raises(ValueError):
        dbutils.widgets.dropdown("bad", "x", ["a", "b"])
    dbutils.widgets.removeAll()
    assert dbutils.widgets.getAll() == {"env": "ci", "extra": "1"}


def test_notebook_exit_coerces_to_string(paths):
    dbutils = DBUtils(paths, {})
    with pytest.raises(NotebookExit) as exited:
        dbutils.notebook.exit(42)
    assert exited.value.value == "42"
    assert not isinstance(exited.value, Exception)  # `except Exception` must not swallow it


def test_fs_over_volumes_and_dbfs(paths):
    fs = DBUtils(paths, {}).fs
    assert fs.mkdirs("/Volumes/dev/sbit/landing")
    assert fs.put("/Volumes/dev/sbit/landing/a.json", '{"a": 1}')
    with pytest.raises(FileExistsError):
        fs.put("/Volumes/dev/sbit/landing/a.json", "x")
    assert fs.head("/Volumes/dev/sbit/landing/a.json") == '{"a": 1}'
    fs.cp("/Volumes/dev/sbit/landing/a.json", "dbfs:/tmp/copy/a.json")
    assert (paths.dbfs_root / "tmp/copy/a.json").read_text() == '{"a": 1}'
    fs.mv("dbfs:/tmp/copy", "dbfs:/tmp/moved", recurse=True)
    listing = fs.ls("dbfs:/tmp")
    assert [(f.name, f.path, f.isDir()) for f in listing] == [("moved/", "dbfs:/tmp/moved/", True)]
    assert [f.size for f in fs.ls("/tmp/moved")] == [8]  # bare paths are DBFS paths
    with pytest.raises(OSError):
        fs.rm("dbfs:/tmp/moved")
    assert fs.rm("dbfs:/tmp/moved", recurse=True)
    assert fs.rm("dbfs:/tmp/moved") is False
    with pytest.raises(FileNotFoundError):
        fs.ls("/Volumes/dev/none")


@pytest.mark.parametrize("write", [
    lambda fs: fs.put("/Volumes/dev/sbit/novol/a.txt", "x"),
    lambda fs: fs.mkdirs("/Volumes/nocat/sbit/landing/x"),
    lambda fs: fs.cp("/Workspace/Shared/a.txt", "/Volumes/dev/nosch/landing/a.txt"),
], ids=["put", "mkdirs", "cp"])
def test_fs_writes_need_the_volume(paths, write):
    """No folders are made up for a catalog, schema or volume that does not exist."""
    fs = DBUtils(paths, {}).fs
    fs.put("/Workspace/Shared/a.txt", "x")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write(fs)
    assert sorted(p.name for p in paths.volumes_root.iterdir()) == ["dev"]
    assert unity.children(paths.volumes_root / "dev") == ["sbit"]


@pytest.mark.parametrize("call", ["ls", "head", "cp", "mv"])
def test_fs_reads_of_missing_paths_name_the_path_as_written(paths, call):
    fs = DBUtils(paths, {}).fs
    read = {"ls": fs.ls, "head": fs.head, "cp": lambda p: fs.cp(p, "/tmp/copy"),
            "mv": lambda p: fs.mv(p, "/tmp/moved")}[call]
    with pytest.raises(FileNotFoundError) as missing:
        read("/tmp/nope")
    assert str(missing.value) == "java.io.FileNotFoundException: File /tmp/nope does not exist."
    with pytest.raises(FileNotFoundError, match=r"^localspace does not emulate /databricks-datasets, .*"
                       r"dbfs:/databricks-datasets/iot/ is not there; upload"):
        read("dbfs:/databricks-datasets/iot/")
    sample = paths.local("/databricks-datasets/README.md")
    sample.parent.mkdir(parents=True)
    sample.write_text("uploaded by the plan")
    assert fs.ls("/databricks-datasets")[0].path == "dbfs:/databricks-datasets/README.md"


@pytest.mark.parametrize("path", ["s3://bucket/in/", "abfss://raw@account.dfs.core.windows.net/in", "GS://b/x"])
def test_fs_refuses_cloud_storage_in_one_line(paths, path):
    fs = DBUtils(paths, {}).fs
    fs.put("/tmp/a", "x")
    for call in (fs.ls, fs.head, lambda p: fs.put(p, "x"), lambda p: fs.cp("/tmp/a", p)):
        with pytest.raises(NotSupportedOnLocalspace, match=rf"^localspace does not emulate cloud object "
                           rf"storage \({re.escape(path)}\): land the files in a volume"):
            call(path)
    assert [p.name for p in paths.root.rglob("*") if p.is_file()] == ["a"]  # nothing made for it


def test_fs_cp_from_local_file_and_keyword_from(paths, tmp_path):
    source = tmp_path / "data.csv"
    source.write_text("id\n1\n")
    fs = DBUtils(paths, {}).fs
    fs.cp(**{"from": f"file:{source}", "to": "/Volumes/dev/sbit/landing/data.csv"})
    assert (paths.volumes_root / "dev/sbit/landing/data.csv").read_text() == "id\n1\n"


def test_file_scheme_reaches_the_driver_mounts(paths):
    """file:/Workspace, file:/Volumes and file:/dbfs are the driver's mounts, as on Databricks."""
    fs = DBUtils(paths, {}).fs
    fs.put("/Workspace/Shared/demo/data/history/users.csv", "id\n1\n")
    listing = fs.ls("file:/Workspace/Shared/demo/data/history")
    assert [f.name for f in listing] == ["users.csv"]
    fs.cp("file:/Workspace/Shared/demo/data", "file:/Volumes/dev/sbit/landing", recurse=True)
    landed = paths.volumes_root / "dev/sbit/landing/history/users.csv"
    assert landed.read_text() == "id\n1\n"
    assert not list(landed.parent.glob(".*"))  # no partial file left beside it


def test_secrets(paths):
    secrets = DBUtils(paths, {}, {"scope": {"key": "s3cr3t"}}).secrets
    assert secrets.get("scope", "key") == "s3cr3t"
    assert [m.key for m in secrets.list("scope")] == ["key"]
    assert [s.name for s in secrets.listScopes()] == ["scope"]
    with pytest.raises(SecretNotFound) as missing:
        secrets.get("scope", "other")
    assert "s3cr3t" not in str(missing.value)


def test_unsupported_calls_name_themselves(paths):
    dbutils = DBUtils(paths, {})
    with pytest.raises(NotSupportedOnLocalspace, match="localspace does not emulate dbutils.notebook.run on the python engine"):
        dbutils.notebook.run("x", 60)  # no engine gave it a way to start runs
    with pytest.raises(NotSupportedOnLocalspace, match="^localspace does not emulate dbutils.jobs.taskValues.setJson "):
        dbutils.jobs.taskValues.setJson("a", 1)
    with pytest.raises(NotSupportedOnLocalspace, match="^localspace does not emulate dbutils.credentials "):
        dbutils.credentials.showRoles()


def test_task_values_are_json_and_bounded(paths):
    run_values: dict = {}
    dbutils = DBUtils(paths, {}, task_key="t", task_values=run_values)
    dbutils.jobs.taskValues.set("ok", {"n": [1, 2]})
    assert run_values == {"t": {"ok": {"n": [1, 2]}}}
    with pytest.raises(TypeError):
        dbutils.jobs.taskValues.set("bad", object())
    with pytest.raises(ValueError, match="48 KiB"):
        dbutils.jobs.taskValues.set("big", "x" * 50_000)
    with pytest.raises(ValueError, match="was not set by task 'other'"):
        dbutils.jobs.taskValues.get("other", "ok")


def test_open_maps_only_databricks_prefixes(paths, tmp_path):
    opener = mapped_open(paths)
    with opener("/Volumes/dev/sbit/landing/x.txt", "w") as handle:
        handle.write("v")
    assert (paths.volumes_root / "dev/sbit/landing/x.txt").read_text() == "v"
    with opener("dbfs:/y.txt", "w") as handle:
        handle.write("d")
    assert (paths.dbfs_root / "y.txt").read_text() == "d"
    plain = tmp_path / "plain.txt"
    with opener(plain, "w") as handle:
        handle.write("p")
    assert plain.read_text() == "p"
