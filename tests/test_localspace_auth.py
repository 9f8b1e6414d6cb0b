"""Authentication: PAT, OAuth M2M (client credentials), GitHub OIDC token exchange, expiry."""
from __future__ import annotations

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import PermissionDenied, Unauthenticated

from conftest import TEST_TOKEN
from localspace.server import LocalSpace
from localspace_helpers import client, one_task, wait_until
from oidc_support import github_token_service, unsigned_jwt

CLIENT_ID, CLIENT_SECRET = "sp-streamtest", "sp-secret-0123456789"


@pytest.fixture
def oauth_space(tmp_path):
    server = LocalSpace(root=tmp_path / "ls", engine="python", token=TEST_TOKEN, pending=0.2,
                        oauth_clients={CLIENT_ID: CLIENT_SECRET}, token_ttl=2)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_pat_missing_and_wrong(localspace):
    assert client(localspace, TEST_TOKEN).current_user.me().user_name
    with pytest.raises(PermissionDenied):
        client(localspace, "dapi-wrong").jobs.get(1)
    with pytest.raises(Unauthenticated):
        client(localspace, TEST_TOKEN).api_client.do("GET", "/api/2.2/jobs/list",
                                                     auth=lambda prepared: prepared)  # no header at all
    raw = requests.get(f"{localspace.url}/api/2.2/jobs/list")
    assert raw.status_code == 401 and raw.json()["error_code"] == "UNAUTHENTICATED"
    assert requests.get(f"{localspace.url}/api/2.2/nothing/here").status_code == 401   # auth before routing


def test_oauth_m2m_through_the_sdk(oauth_space):
    w = WorkspaceClient(host=oauth_space.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                        auth_type="oauth-m2m")
    assert w.current_user.me().user_name == CLIENT_ID
    assert w.jobs.create(name="via-oauth", tasks=one_task()).job_id
    with pytest.raises(Exception):
        WorkspaceClient(host=oauth_space.url, client_id=CLIENT_ID, client_secret="wrong",
                        auth_type="oauth-m2m").current_user.me()


def test_discovery_and_expiry(oauth_space):
    meta = requests.get(f"{oauth_space.url}/oidc/.well-known/oauth-authorization-server").json()
    assert meta["token_endpoint"] == f"{oauth_space.url}/oidc/v1/token"
    assert meta["issuer"] and meta["authorization_endpoint"]
    answer = requests.post(meta["token_endpoint"], data={"grant_type": "client_credentials", "scope": "all-apis"},
                           auth=(CLIENT_ID, CLIENT_SECRET)).json()
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 2 and answer["scope"] == "all-apis"
    headers = {"Authorization": f"Bearer {answer['access_token']}"}
    assert requests.get(f"{oauth_space.url}/api/2.2/jobs/list", headers=headers).status_code == 200
    expired = wait_until(lambda: (r := requests.get(f"{oauth_space.url}/api/2.2/jobs/list", headers=headers))
                         .status_code == 403 and r.json(), timeout=5, interval=0.1, what="token expiry")
    assert expired["error_code"] == "PERMISSION_DENIED"
    bad = requests.post(meta["token_endpoint"], data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, "no"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"


def test_github_oidc_token_exchange_through_the_sdk(oauth_space, monkeypatch):
    with github_token_service() as github:
        for name, value in github.env.items():
            monkeypatch.setenv(name, value)
        w = WorkspaceClient(host=oauth_space.url, client_id=CLIENT_ID, auth_type="github-oidc")
        assert w.current_user.me().user_name == CLIENT_ID
        assert github.issued
    token_url = f"{oauth_space.url}/oidc/v1/token"
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "client_id": CLIENT_ID,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt"}
    wrong_aud = requests.post(token_url, data={**form, "subject_token": unsigned_jwt({"aud": "https://elsewhere"})})
    assert wrong_aud.status_code == 400 and wrong_aud.json()["error"] == "invalid_grant"
    not_jwt = requests.post(token_url, data={**form, "subject_token": "not-a-jwt"})
    assert not_jwt.status_code == 400
