"""The pipelines room through the official SDK's ``WorkspaceClient().pipelines``: Databricks'
shapes and refusals. No Spark here (the python engine refuses to run pipelines, with one
line); running them is test_localspace_pipelines_spark.py."""
from __future__ import annotations

import base64
import inspect

import pytest
import requests
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceConflict
from databricks.sdk.service import pipelines as P
from databricks.sdk.service import workspace as ws_service

from conftest import TEST_TOKEN
from localspace.pipelines.settings import CREATE_ONLY, SPEC_FIELDS
from localspace_helpers import client

NOTEBOOK = "/Shared/dlt/bronze"


@pytest.fixture
def w(localspace):
    w = client(localspace, TEST_TOKEN)
    w.workspace.mkdirs("/Shared/dlt")
    w.workspace.import_(NOTEBOOK, content=base64.b64encode(b"# Databricks notebook source\nimport dlt\n").decode(),
                        format=ws_service.ImportFormat.SOURCE, language=ws_service.Language.PYTHON)
    return w


def library(path: str = NOTEBOOK) -> list[P.PipelineLibrary]:
    return [P.PipelineLibrary(notebook=P.NotebookLibrary(path=path))]


def post(localspace, path: str, body: dict) -> requests.Response:
    return requests.post(localspace.url + path, json=body, headers={"Authorization": f"Bearer {TEST_TOKEN}"},
                         timeout=10)


def test_the_accepted_fields_are_the_sdks_create_parameters():
    """A field the SDK can send is accepted; nothing else is (a misspelling is refused)."""
    parameters = set(inspect.signature(P.PipelinesAPI.create).parameters) - {"self"}
    assert parameters == SPEC_FIELDS | CREATE_ONLY


def test_create_get_list_delete_with_databricks_shapes(w):
    created = w.pipelines.create(name="orders", catalog="dev", schema="default", libraries=library(),
                                 configuration={"landing": "/Volumes/dev/default/in"}, continuous=True)
    got = w.pipelines.get(created.pipeline_id)
    assert (got.pipeline_id, got.name, got.state, got.health) == (
        created.pipeline_id, "orders", P.PipelineState.IDLE, P.GetPipelineResponseHealth.HEALTHY)
    assert got.spec.catalog == "dev" and got.spec.continuous is True
    assert got.spec.libraries[0].notebook.path == NOTEBOOK
    assert got.spec.configuration == {"landing": "/Volumes/dev/default/in"}
    assert created.effective_settings.id == created.pipeline_id
    listed = {p.pipeline_id: p for p in w.pipelines.list_pipelines(filter="name LIKE 'ord%'")}
    assert listed[created.pipeline_id].state == P.PipelineState.IDLE
    assert not list(w.pipelines.list_pipelines(filter="name LIKE 'nothing%'"))
    assert [p.name for p in w.pipelines.list_pipelines(filter=f"notebook='{NOTEBOOK}'")] == ["orders"]
    w.pipelines.delete(created.pipeline_id)
    with pytest.raises(NotFound):
        w.pipelines.get(created.pipeline_id)


def test_list_pipelines_pages(w):
    ids = {w.pipelines.create(name=f"p{i}", libraries=library()).pipeline_id for i in range(3)}
    assert {p.pipeline_id for p in w.pipelines.list_pipelines(max_results=2)} == ids  # the SDK follows the pages
    page = w.api_client.do("GET", "/api/2.0/pipelines", query={"max_results": 2})
    assert len(page["statuses"]) == 2 and page["next_page_token"]


def test_events_are_filtered_ordered_and_paged(w):
    pipeline_id = w.pipelines.create(name="ev", libraries=library()).pipeline_id
    for name in ("ev2", "ev3"):
        w.pipelines.update(pipeline_id, name=name, libraries=library())
    events = list(w.pipelines.list_pipeline_events(pipeline_id, order_by=["timestamp asc"], max_results=1))
    assert [e.message.split()[-3] for e in events] == ["created", "edited", "edited"]  # three pages of one
    assert [e.id for e in w.pipelines.list_pipeline_events(pipeline_id)] == [e.id for e in reversed(events)]
    assert w.pipelines.get(pipeline_id).name == "ev3"
    assert events[0].origin.pipeline_id == pipeline_id and events[0].level == P.EventLevel.INFO
    assert not list(w.pipelines.list_pipeline_events(pipeline_id, filter="level='ERROR'"))
    assert list(w.pipelines.list_pipeline_events(pipeline_id, filter=f"id='{events[0].id}' AND level in ('INFO')"))
    with pytest.raises(InvalidParameterValue):
        list(w.pipelines.list_pipeline_events(pipeline_id, filter="event_type='flow_progress'"))
    with pytest.raises(InvalidParameterValue):
        list(w.pipelines.list_pipeline_events(pipeline_id, order_by=["level desc"]))


@pytest.mark.parametrize("body, message", [
    ({"name": "x", "librariez": []}, "unknown field librariez"),
    ({"name": "x", "schema": "default", "target": "default"}, "Only one of 'schema' and 'target'"),
    ({"name": "x", "catalog": "nope", "schema": "default"}, "Catalog 'nope' does not exist"),
    ({"name": "x", "catalog": "dev", "schema": "nope"}, "Schema 'dev.nope' does not exist"),
    ({"name": "x", "libraries": [{"notebook": {"path": "/Shared/dlt/missing"}}]}, "does not exist"),
    ({"name": "x", "libraries": [{"file": {"path": NOTEBOOK}}]}, "does not exist"),
    ({"name": "x", "libraries": [{"glob": {"include": "/Shared/none/**"}}]}, "matches no notebook or file"),
    ({"name": "x", "libraries": [{"jar": "dbfs:/x.jar"}]}, "localspace does not emulate jar libraries"),
    ({"name": "x", "continuous": "yes"}, "expected bool"),
    ({"name": "x", "configuration": {"n": 1}}, "values must be strings"),
])
def test_create_refuses_what_a_workspace_refuses(w, localspace, body, message):
    reply = post(localspace, "/api/2.0/pipelines", body)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert message in reply.json()["message"]
    assert localspace.leftovers()["pipelines"] == 0


def test_a_glob_library_is_accepted_when_it_matches(w):
    pipeline_id = w.pipelines.create(name="g", libraries=[P.PipelineLibrary(glob=P.PathPattern(include="/Shared/dlt/**"))]).pipeline_id
    assert w.pipelines.get(pipeline_id).spec.libraries[0].glob.include == "/Shared/dlt/**"


def test_duplicate_names_are_refused_unless_allowed(w):
    w.pipelines.create(name="same", libraries=library())
    with pytest.raises(ResourceConflict):
        w.pipelines.create(name="same", libraries=library())
    w.pipelines.create(name="same", libraries=library(), allow_duplicate_names=True)
    assert len(list(w.pipelines.list_pipelines(filter="name LIKE 'same'"))) == 2


def test_unknown_ids_are_resource_does_not_exist(w):
    for call in (lambda: w.pipelines.get("nope"), lambda: w.pipelines.start_update("nope"),
                 lambda: w.pipelines.stop("nope"), lambda: w.pipelines.delete("nope"),
                 lambda: list(w.pipelines.list_pipeline_events("nope"))):
        with pytest.raises(NotFound):
            call()
    pipeline_id = w.pipelines.create(name="u", libraries=library()).pipeline_id
    with pytest.raises(NotFound):
        w.pipelines.get_update(pipeline_id, "no-such-update")


def test_the_python_engine_refuses_to_run_a_pipeline_in_one_line(w):
    pipeline_id = w.pipelines.create(name="py", libraries=library()).pipeline_id
    with pytest.raises(InvalidParameterValue) as refused:
        w.pipelines.start_update(pipeline_id)
    assert str(refused.value).startswith("localspace does not emulate Lakeflow Declarative Pipelines on the python engine")
    assert "\n" not in str(refused.value) and "What each engine does" in str(refused.value)


def test_start_update_refuses_unknown_fields_and_what_is_not_emulated(w, localspace):
    pipeline_id = w.pipelines.create(name="s", libraries=library()).pipeline_id
    for body, message in (({"full_refreshh": True}, "unknown field full_refreshh"),
                          ({"validate_only": True}, "localspace does not emulate validate-only"),
                          ({"refresh_selection": ["a"]}, "localspace does not emulate updates of selected tables")):
        reply = post(localspace, f"/api/2.0/pipelines/{pipeline_id}/updates", body)
        assert (reply.status_code, reply.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
        assert message in reply.json()["message"]


def test_pipelines_need_a_token_like_every_api(localspace):
    reply = requests.get(localspace.url + "/api/2.0/pipelines", timeout=10)
    assert (reply.status_code, reply.json()["error_code"]) == (401, "UNAUTHENTICATED")


def test_http_faults_hit_pipelines_too(space_factory):
    space = space_factory(faults=[{"path": "^/api/2.0/pipelines$", "method": "POST", "kind": "503", "count": 1}])
    first = post(space, "/api/2.0/pipelines", {"name": "f"})
    assert (first.status_code, first.json()["error_code"]) == (503, "TEMPORARILY_UNAVAILABLE")
    assert first.headers["Retry-After"] == "1"
    assert post(space, "/api/2.0/pipelines", {"name": "f"}).status_code == 200


def test_event_pages_are_cursors_so_new_events_do_not_repeat_on_the_next_page(w):
    pipeline_id = w.pipelines.create(name="cursor", libraries=library()).pipeline_id
    w.pipelines.update(pipeline_id, name="cursor2", libraries=library())
    first = w.api_client.do("GET", f"/api/2.0/pipelines/{pipeline_id}/events", query={"max_results": 1})
    w.pipelines.update(pipeline_id, name="cursor3", libraries=library())   # a newer event, while paging
    second = w.api_client.do("GET", f"/api/2.0/pipelines/{pipeline_id}/events",
                             query={"max_results": 1, "page_token": first["next_page_token"]})
    assert "edited" in first["events"][0]["message"] and "created" in second["events"][0]["message"]
    back = w.api_client.do("GET", f"/api/2.0/pipelines/{pipeline_id}/events",
                           query={"max_results": 1, "page_token": second["prev_page_token"]})
    assert back["events"][0]["id"] == first["events"][0]["id"]
