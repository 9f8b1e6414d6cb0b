"""Workspace import/export/list/delete through the official SDK, with Databricks' rules."""
from __future__ import annotations

import base64
import io

import pytest
from databricks.sdk.errors import BadRequest, NotFound, ResourceAlreadyExists
from databricks.sdk.service.workspace import ImportFormat, Language, ObjectType

from conftest import TEST_TOKEN
from localspace_helpers import EXIT_WITH, client


@pytest.fixture
def w(localspace):
    return client(localspace, TEST_TOKEN)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_import_get_status_list_export_delete(w, localspace):
    w.workspace.mkdirs("/Workspace/Shared/st/nb")
    w.workspace.import_("/Shared/st/nb/validate", content=b64(EXIT_WITH), format=ImportFormat.SOURCE,
                        language=Language.PYTHON)
    status = w.workspace.get_status("/Workspace/Shared/st/nb/validate")       # with and without /Workspace
    assert status.object_type == ObjectType.NOTEBOOK and status.language == Language.PYTHON
    assert status.path == "/Shared/st/nb/validate" and status.object_id
    assert [o.path for o in w.workspace.list("/Shared/st/nb")] == ["/Shared/st/nb/validate"]
    exported = w.workspace.export("/Shared/st/nb/validate")
    assert base64.b64decode(exported.content).decode() == EXIT_WITH
    assert w.workspace.download("/Shared/st/nb/validate").read().decode() == EXIT_WITH
    assert localspace.workspace.read_notebook("/Workspace/Shared/st/nb/validate") == EXIT_WITH

    with pytest.raises(ResourceAlreadyExists):
        w.workspace.import_("/Shared/st/nb/validate", content=b64("# x"), format=ImportFormat.SOURCE,
                            language=Language.PYTHON)
    w.workspace.import_("/Shared/st/nb/validate", content=b64(EXIT_WITH + "\n"), format=ImportFormat.SOURCE,
                        language=Language.PYTHON, overwrite=True)

    with pytest.raises(BadRequest) as not_empty:
        w.workspace.delete("/Shared/st")
    assert not_empty.value.error_code == "DIRECTORY_NOT_EMPTY"
    w.workspace.delete("/Workspace/Shared/st", recursive=True)
    with pytest.raises(NotFound):
        w.workspace.get_status("/Shared/st")
    with pytest.raises(NotFound):
        w.workspace.delete("/Shared/st")
    assert localspace.leftovers()["workspace_objects"] == 0


def test_auto_format_makes_notebooks_of_source_files_only(w):
    w.workspace.mkdirs("/Shared/auto")
    w.workspace.upload("/Shared/auto/run.py", io.BytesIO(EXIT_WITH.encode()), format=ImportFormat.AUTO)
    w.workspace.upload("/Shared/auto/helper.py", io.BytesIO(b"X = 1\n"), format=ImportFormat.AUTO)
    w.workspace.upload("/Shared/auto/data.csv", io.BytesIO(b"a,b\n1,2\n"), format=ImportFormat.RAW)
    kinds = {o.path: o.object_type for o in w.workspace.list("/Shared/auto")}
    assert kinds == {"/Shared/auto/run": ObjectType.NOTEBOOK, "/Shared/auto/helper.py": ObjectType.FILE,
                     "/Shared/auto/data.csv": ObjectType.FILE}
    assert w.workspace.download("/Shared/auto/data.csv").read() == b"a,b\n1,2\n"


def test_import_needs_an_existing_parent_and_a_known_format(w):
    with pytest.raises(NotFound):
        w.workspace.import_("/Shared/nowhere/x", content=b64("# x"), format=ImportFormat.SOURCE,
                            language=Language.PYTHON)
    with pytest.raises(BadRequest):
        w.workspace.import_("/Shared/x", content=b64("# x"), format=ImportFormat.SOURCE)  # no language
    with pytest.raises(BadRequest):
        w.workspace.import_("/Shared/x", content=b64("{}"), format=ImportFormat.DBC)


def test_list_recursive_through_the_sdk_mixin(w):
    for path in ("/Shared/tree/a/one", "/Shared/tree/b/two"):
        w.workspace.mkdirs(path.rsplit("/", 1)[0])
        w.workspace.import_(path, content=b64("print(1)"), format=ImportFormat.SOURCE, language=Language.PYTHON)
    found = sorted(o.path for o in w.workspace.list("/Shared/tree", recursive=True))
    assert found == ["/Shared/tree/a/one", "/Shared/tree/b/two"]
