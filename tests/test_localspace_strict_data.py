"""Unity Catalog, files, SQL warehouses and workspace import as strict as a real workspace,
through the official SDK (the README's strictness table names the doc or SDK line of each)."""
from __future__ import annotations

import base64
import io
import json

import pytest
from databricks.sdk.errors import (BadRequest, InvalidParameterValue, NotFound, ResourceConflict,
                                   ResourceDoesNotExist)
from databricks.sdk.service import catalog, sql
from databricks.sdk.service import workspace as ws_service

from conftest import TEST_TOKEN
from localspace_helpers import EXIT_WITH, client, import_notebook, make_volume, one_task, wait_until


@pytest.fixture
def w(localspace):
    return client(localspace, TEST_TOKEN)


def statement(w, text: str, warehouse: str = "localspace", **kwargs):
    return w.statement_execution.execute_statement(statement=text, warehouse_id=warehouse, **kwargs)


# -- Unity Catalog ------------------------------------------------------------------------------

def test_main_default_and_served_catalogs_exist_at_start(w):
    assert {c.name for c in w.catalogs.list()} == {"main", "dev"}  # dev: the fixture's --catalog
    assert [s.name for s in w.schemas.list("main")] == ["default"]
    assert w.schemas.get("main.default").full_name == "main.default"


def test_catalog_schema_volume_life_cycle(w, localspace):
    created = w.catalogs.create("Sales", comment="lower-cased, as Unity Catalog does")
    assert (created.name, created.comment) == ("sales", "lower-cased, as Unity Catalog does")
    with pytest.raises(ResourceConflict):
        w.catalogs.create("sales")
    w.schemas.create("raw", "sales")
    volume = w.volumes.create("sales", "raw", "landing", catalog.VolumeType.MANAGED)
    assert (volume.full_name, volume.volume_type) == ("sales.raw.landing", catalog.VolumeType.MANAGED)
    assert (localspace.paths.volumes_root / "sales/raw/landing").is_dir()  # the folder contract
    assert [v.name for v in w.volumes.list("sales", "raw")] == ["landing"]
    assert w.volumes.read("sales.raw.landing").volume_id == volume.volume_id
    w.volumes.delete("sales.raw.landing")
    with pytest.raises(NotFound):
        w.volumes.read("sales.raw.landing")
    w.schemas.delete("sales.raw")
    w.catalogs.delete("sales")
    assert "sales" not in {c.name for c in w.catalogs.list()}


@pytest.mark.parametrize("call,code", [
    (lambda w: w.catalogs.get("nocat"), "CATALOG_DOES_NOT_EXIST"),
    (lambda w: w.schemas.get("main.nosch"), "SCHEMA_DOES_NOT_EXIST"),
    (lambda w: w.schemas.create("s", "nocat"), "CATALOG_DOES_NOT_EXIST"),
    (lambda w: w.volumes.create("main", "nosch", "v", catalog.VolumeType.MANAGED), "SCHEMA_DOES_NOT_EXIST"),
    (lambda w: w.tables.get("main.default.notable"), "TABLE_DOES_NOT_EXIST"),
], ids=["catalog", "schema", "schema in missing catalog", "volume in missing schema", "table"])
def test_missing_unity_catalog_objects_are_404(w, call, code):
    with pytest.raises(NotFound) as missing:
        call(w)
    assert missing.value.error_code == code


def test_objects_created_with_sql_list_without_a_registry_entry(w):
    for text in ("CREATE SCHEMA dev.sbit", "CREATE VOLUME dev.sbit.landing",
                 "CREATE TABLE dev.sbit.users (id INT)", "INSERT INTO dev.sbit.users VALUES (1)"):
        assert statement(w, text).status.state == sql.StatementState.SUCCEEDED
    assert [v.name for v in w.volumes.list("dev", "sbit")] == ["landing"]
    assert w.schemas.get("dev.sbit").created_at > 0  # metadata made up from the folder
    assert [t.full_name for t in w.tables.list("dev", "sbit")] == ["dev.sbit.users"]
    assert w.tables.exists("dev.sbit.users").table_exists is True
    w.tables.delete("dev.sbit.users")
    assert list(w.tables.list("dev", "sbit")) == []


def test_schema_delete_needs_force_when_it_has_contents(w):
    statement(w, "CREATE SCHEMA dev.full")
    statement(w, "CREATE TABLE dev.full.t (id INT)")
    w.volumes.create("dev", "full", "files", catalog.VolumeType.MANAGED)
    with pytest.raises(BadRequest, match="not empty"):
        w.schemas.delete("dev.full")
    w.schemas.delete("dev.full", force=True)
    with pytest.raises(NotFound):
        w.schemas.get("dev.full")
    failed = statement(w, "SELECT * FROM dev.full.t")
    assert failed.status.state == sql.StatementState.FAILED  # the table went with it


# -- Files API, DBFS ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path,missing", [
    ("/Volumes/nocat/nosch/novol/a.txt", "Catalog 'nocat'"),
    ("/Volumes/main/nosch/novol/a.txt", "Schema 'main.nosch'"),
    ("/Volumes/main/default/novol/a.txt", "Volume 'main.default.novol'"),
], ids=["catalog", "schema", "volume"])
def test_files_api_writes_need_the_volume(w, localspace, path, missing):
    with pytest.raises(NotFound, match=f"{missing} does not exist"):
        w.files.upload(path, io.BytesIO(b"x"))
    with pytest.raises(NotFound, match="does not exist"):
        w.files.create_directory(path.rsplit("/", 1)[0] + "/sub")
    assert not (localspace.paths.volumes_root / "nocat").exists()
    assert not (localspace.paths.volumes_root / "main/nosch").exists()
    assert not (localspace.paths.volumes_root / "main/default/novol").exists()


def test_files_api_writes_into_a_volume_that_exists(w):
    make_volume(w, "main.default.landing")
    w.files.upload("/Volumes/main/default/landing/a/b.txt", io.BytesIO(b"x"))
    assert w.files.download("/Volumes/main/default/landing/a/b.txt").contents.read() == b"x"


def test_dbfs_volume_paths_need_the_volume(w):
    with pytest.raises(NotFound, match="Volume 'main.default.novol' does not exist"):
        w.dbfs.put("dbfs:/Volumes/main/default/novol/a.txt", contents=base64.b64encode(b"x").decode())
    w.dbfs.put("dbfs:/tmp/a.txt", contents=base64.b64encode(b"x").decode())  # plain DBFS is not UC
    assert w.dbfs.get_status("dbfs:/tmp/a.txt").file_size == 1


# -- SQL warehouses and statements --------------------------------------------------------------------

def test_warehouses_exist_only_when_configured(w):
    assert [wh.id for wh in w.warehouses.list()] == ["localspace"]
    with pytest.raises(NotFound):
        w.warehouses.get("nowhere")
    with pytest.raises(NotFound, match="Warehouse nowhere does not exist"):
        statement(w, "SELECT 1", warehouse="nowhere")


def test_a_stopped_warehouse_starts_on_the_first_statement(space_factory):
    space = space_factory(warehouses=["wh1", "wh2"], warehouse_start=1.0)
    w = client(space, TEST_TOKEN)
    assert {wh.id: wh.state for wh in w.warehouses.list()} == {"wh1": sql.State.STOPPED, "wh2": sql.State.STOPPED}
    pending = statement(w, "SELECT 1", warehouse="wh1", wait_timeout="0s")
    assert pending.status.state == sql.StatementState.PENDING
    assert w.warehouses.get("wh1").state == sql.State.STARTING
    done = wait_until(lambda: w.statement_execution.get_statement(pending.statement_id).status.state
                      == sql.StatementState.SUCCEEDED, what="the statement once the warehouse runs")
    assert done
    assert w.warehouses.get("wh1").state == sql.State.RUNNING
    w.warehouses.start("wh2")  # the SDK's waiter polls get until RUNNING
    assert w.warehouses.get("wh2").state == sql.State.STARTING
    w.warehouses.stop("wh1")
    assert w.warehouses.get("wh1").state == sql.State.STOPPED


def test_booleans_are_true_false_typed_boolean(w):
    result = statement(w, "SELECT 1 > 0 AS yes, 2 < 1, count(*) FROM (SELECT 1)")
    assert result.result.data_array == [["true", "false", "1"]]
    types = [c.type_name for c in result.manifest.schema.columns]
    assert types == [sql.ColumnInfoTypeName.BOOLEAN, sql.ColumnInfoTypeName.BOOLEAN, sql.ColumnInfoTypeName.LONG]


def test_inline_results_are_limited_to_25_mib(w):
    digits = "(" + " UNION ALL ".join(f"SELECT {i} AS d" for i in range(10)) + ")"

    def rows_of_300_chars(powers: int) -> str:  # 10**powers rows of 300 characters each
        tables = ", ".join(f"{digits} t{i}" for i in range(powers))
        return f"SELECT hex(zeroblob(150)) FROM {tables}"
    failed = statement(w, rows_of_300_chars(5), wait_timeout="50s")  # about 30 MB
    assert failed.status.state == sql.StatementState.FAILED
    assert "Inline byte limit exceeded" in failed.status.error.message
    assert statement(w, rows_of_300_chars(3)).status.state == sql.StatementState.SUCCEEDED


# -- workspace import ---------------------------------------------------------------------------------

def test_import_limit_is_on_the_base64_text(w):
    raw = b"#" * (8 * 1024 * 1024)  # 8 MB of bytes, 10.7 MB of base64
    with pytest.raises(BadRequest) as too_big:
        w.workspace.import_("/Shared/big.py", content=base64.b64encode(raw).decode(),
                            format=ws_service.ImportFormat.RAW, overwrite=True)
    assert too_big.value.error_code == "MAX_NOTEBOOK_SIZE_EXCEEDED"
    assert "exceeded max size (10485760 bytes)" in str(too_big.value)
    w.workspace.import_("/Shared/fits.py", content=base64.b64encode(raw[: 7 * 1024 * 1024]).decode(),
                        format=ws_service.ImportFormat.RAW, overwrite=True)


def test_ipynb_under_auto_becomes_a_notebook_without_its_extension(w, localspace):
    notebook = {"cells": [{"cell_type": "markdown", "source": ["# Title"]},
                          {"cell_type": "code", "source": ["import json\n", "dbutils.notebook.exit(json.dumps(1))"]}],
                "metadata": {"kernelspec": {"language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    w.workspace.mkdirs("/Shared/nb")
    w.workspace.import_("/Shared/nb/job.ipynb", content=base64.b64encode(json.dumps(notebook).encode()).decode(),
                        format=ws_service.ImportFormat.AUTO)
    status = w.workspace.get_status("/Shared/nb/job")
    assert (status.object_type, status.language) == (ws_service.ObjectType.NOTEBOOK, ws_service.Language.PYTHON)
    with pytest.raises(ResourceDoesNotExist):
        w.workspace.get_status("/Shared/nb/job.ipynb")
    run = w.jobs.submit(run_name="ipynb", tasks=one_task("/Shared/nb/job")).result()  # it runs as a notebook
    assert w.jobs.get_run_output(run.tasks[0].run_id).notebook_output.result == "1"


def test_imported_source_notebooks_still_run(w):
    import_notebook(w, "/Shared/st/validate", EXIT_WITH)
    assert w.jobs.submit(run_name="ok", tasks=one_task()).result().state.result_state.value == "SUCCESS"
    with pytest.raises(InvalidParameterValue):
        w.workspace.import_("/Shared/st/x", content="not base64!", format=ws_service.ImportFormat.RAW)


def test_dot_dot_does_not_walk_past_a_missing_schema(w, localspace):
    """/Volumes/dev/../main/nosch/v/f is a write into main.nosch.v: refused like any other."""
    with pytest.raises(NotFound, match="Schema 'main.nosch' does not exist"):
        w.api_client.do("PUT", "/api/2.0/fs/files/Volumes/dev/../main/nosch/v/f.txt", data=b"x",
                        headers={"Content-Type": "application/octet-stream"})
    assert not (localspace.paths.volumes_root / "main/nosch").exists()


def test_update_sets_the_comment_and_refuses_what_is_not_emulated(w):
    assert w.catalogs.update("dev", comment="the demo's").comment == "the demo's"
    assert w.catalogs.get("dev").comment == "the demo's"
    w.schemas.create("s", "dev")
    assert w.schemas.update("dev.s", comment="raw").comment == "raw"
    with pytest.raises(InvalidParameterValue, match="comment only"):
        w.schemas.update("dev.s", new_name="t")
